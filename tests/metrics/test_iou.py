"""IoU metrics from a running confusion matrix."""

import warnings

import numpy as np
import pytest
import torch

from kerasish import metrics


def test_mean_iou_by_hand():
    metric = metrics.MeanIoU(num_classes=2)
    metric.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    # each class: tp 1, fp 1, fn 1 -> 1/3
    assert metric.result().numpy() == pytest.approx(1 / 3, abs=1e-6)
    assert metric.total_cm.dtype == torch.int32
    np.testing.assert_array_equal(metric.total_cm.numpy(), [[1, 1], [1, 1]])


def test_classes_that_never_occur_are_left_out_of_the_mean():
    metric = metrics.MeanIoU(num_classes=3)
    metric.update_state(torch.tensor([0, 1]), torch.tensor([0, 1]))
    assert metric.result().numpy() == pytest.approx(1.0, abs=1e-6)


def test_out_of_range_and_ignored_labels_do_not_count():
    metric = metrics.MeanIoU(num_classes=2, ignore_class=1)
    metric.update_state(torch.tensor([0, 1, 5, 0]), torch.tensor([0, 0, 0, -1]))
    np.testing.assert_array_equal(metric.total_cm.numpy(), [[1, 0], [0, 0]])


def test_float_weights_with_integer_state_warn_as_in_keras():
    metric = metrics.MeanIoU(num_classes=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metric.update_state(torch.tensor([0, 1]), torch.tensor([0, 1]), sample_weight=torch.tensor([1.0, 2.0]))
    assert any("integer weights" in str(w.message) for w in caught)
    float_metric = metrics.MeanIoU(num_classes=2, dtype="float32")
    float_metric.update_state(torch.tensor([0, 1]), torch.tensor([0, 0]), sample_weight=torch.tensor([0.5, 2.0]))
    np.testing.assert_allclose(float_metric.total_cm.numpy(), [[0.5, 0.0], [2.0, 0.0]])


def test_iou_of_target_classes_and_one_hot_inputs():
    y_true = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y_pred = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.2, 0.1, 0.7]])
    metric = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    metric.update_state(y_true, y_pred)
    assert metric.result().numpy() == pytest.approx((1.0 + 0.5) / 2, abs=1e-6)
    with pytest.raises(ValueError, match="Target class id 3 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[3])


def test_binary_iou_thresholds_predictions():
    metric = metrics.BinaryIoU(threshold=0.3)
    metric.update_state(torch.tensor([0, 1, 1]), torch.tensor([0.1, 0.35, 0.2]))
    # class 0: tp 1, fp 1 -> 1/2; class 1: tp 1, fn 1 -> 1/2
    assert metric.result().numpy() == pytest.approx(0.5, abs=1e-6)
    assert metric.get_config() == {"target_class_ids": [0, 1], "threshold": 0.3, "name": "binary_io_u", "dtype": "int32"}
