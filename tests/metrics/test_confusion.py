"""Threshold metrics on hand-made examples: counts, Precision, Recall, X-at-Y, AUC."""

import numpy as np
import pytest
import torch

from kerasish import metrics

Y_TRUE = torch.tensor([1.0, 0.0, 1.0, 1.0])
Y_PRED = torch.tensor([0.9, 0.8, 0.3, 0.6])


def value(metric, y_true, y_pred, sample_weight=None):
    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    return metric.result().numpy()


def test_counts_at_the_default_threshold():
    assert value(metrics.TruePositives(), Y_TRUE, Y_PRED) == 2
    assert value(metrics.FalsePositives(), Y_TRUE, Y_PRED) == 1
    assert value(metrics.TrueNegatives(), Y_TRUE, Y_PRED) == 0
    assert value(metrics.FalseNegatives(), Y_TRUE, Y_PRED) == 1
    np.testing.assert_allclose(value(metrics.TruePositives(thresholds=[0.2, 0.85]), Y_TRUE, Y_PRED), [3, 1])


def test_precision_and_recall():
    assert value(metrics.Precision(), Y_TRUE, Y_PRED) == pytest.approx(2 / 3)
    assert value(metrics.Recall(), Y_TRUE, Y_PRED) == pytest.approx(2 / 3)
    weighted = value(metrics.Precision(), Y_TRUE, Y_PRED, sample_weight=torch.tensor([1.0, 2.0, 1.0, 1.0]))
    assert weighted == pytest.approx(2 / 4)


def test_several_thresholds_give_one_value_each():
    np.testing.assert_allclose(
        value(metrics.Precision(thresholds=[0.25, 0.5, 0.85]), Y_TRUE, Y_PRED), [0.75, 2 / 3, 1.0], rtol=1e-6
    )
    np.testing.assert_allclose(
        value(metrics.Recall(thresholds=[0.25, 0.5, 0.85]), Y_TRUE, Y_PRED), [1.0, 2 / 3, 1 / 3], rtol=1e-6
    )


def test_evenly_spaced_thresholds_take_the_bucketed_path_with_the_same_answer():
    evenly = metrics.Recall(thresholds=[0.0, 0.5, 1.0])
    assert evenly._thresholds_distributed_evenly
    np.testing.assert_allclose(value(evenly, Y_TRUE, Y_PRED), [1.0, 2 / 3, 0.0], rtol=1e-6)


def test_top_k_and_class_id():
    y_true, y_pred = torch.tensor([[0.0, 1.0, 1.0]]), torch.tensor([[0.2, 0.9, 0.5]])
    assert value(metrics.Precision(top_k=1), y_true, y_pred) == pytest.approx(1.0)
    assert value(metrics.Recall(top_k=1), y_true, y_pred) == pytest.approx(0.5)
    y_true = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    y_pred = torch.tensor([[0.2, 0.9, 0.6], [0.8, 0.1, 0.7]])
    assert value(metrics.Precision(class_id=2), y_true, y_pred) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=0).update_state(Y_TRUE, Y_PRED)


def test_empty_precision_is_zero():
    assert metrics.Precision().result().numpy() == 0.0


def test_invalid_thresholds():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])


def test_sensitivity_at_specificity():
    y_true, y_pred = torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.6, 0.4, 0.9])
    assert value(metrics.SensitivityAtSpecificity(0.5), y_true, y_pred) == pytest.approx(1.0)
    assert value(metrics.SensitivityAtSpecificity(1.0), y_true, y_pred) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="specificity"):
        metrics.SensitivityAtSpecificity(1.5)


@pytest.mark.parametrize(
    "y_pred, expected",
    [([0.1, 0.2, 0.8, 0.9], 1.0), ([0.9, 0.8, 0.2, 0.1], 0.0), ([0.5, 0.5, 0.5, 0.5], 0.5)],
)
def test_roc_auc_extremes(y_pred, expected):
    auc = metrics.AUC()
    assert value(auc, torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor(y_pred)) == pytest.approx(expected, abs=1e-6)


def test_roc_auc_equals_the_rank_statistic():
    # 3 of the 4 positive/negative pairs are ordered correctly.
    auc = metrics.AUC()
    assert value(auc, torch.tensor([0.0, 1.0, 0.0, 1.0]), torch.tensor([0.1, 0.4, 0.5, 0.8])) == pytest.approx(
        0.75, abs=1e-6
    )


def test_pr_auc_of_a_perfect_ranking():
    auc = metrics.AUC(curve="PR")
    assert value(auc, torch.tensor([0.0, 0.0, 1.0, 1.0]), torch.tensor([0.1, 0.2, 0.8, 0.9])) > 0.99


def test_multi_label_auc_averages_labels_optionally_weighted():
    y_true = torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    y_pred = torch.tensor([[0.1, 0.1], [0.2, 0.2], [0.8, 0.8], [0.9, 0.9]])  # label 1 reversed
    assert value(metrics.AUC(multi_label=True), y_true, y_pred) == pytest.approx(0.5, abs=1e-6)
    weighted = metrics.AUC(multi_label=True, label_weights=[3.0, 1.0])
    assert value(weighted, y_true, y_pred) == pytest.approx(0.75, abs=1e-6)
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state(torch.ones(4), torch.ones(4))


def test_auc_from_logits():
    logits = torch.tensor([-2.0, -1.0, 1.0, 2.0])
    assert value(metrics.AUC(from_logits=True), torch.tensor([0.0, 0.0, 1.0, 1.0]), logits) == pytest.approx(1.0)


def test_auc_argument_errors():
    with pytest.raises(ValueError, match="Invalid AUC curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation method"):
        metrics.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="multi_label"):
        metrics.AUC(num_labels=3)


def test_auc_reset_and_config():
    auc = metrics.AUC(thresholds=[0.7, 0.3], name="auc_pr", curve="pr")
    assert auc.num_thresholds == 4
    config = auc.get_config()
    assert config["curve"] == "PR" and config["thresholds"] == [0.3, 0.7]
    value(auc, Y_TRUE, Y_PRED)
    auc.reset_state()
    assert float(auc.true_positives.value.sum()) == 0.0
    assert metrics.AUC.from_config(config).get_config() == config
