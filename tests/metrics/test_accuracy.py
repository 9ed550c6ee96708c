"""Accuracy metrics on hand-made examples, including Keras' shape conventions."""

import numpy as np
import pytest
import torch

from kerasish import metrics


def t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


def result(metric, *updates):
    for update in updates:
        metric.update_state(*update)
    return float(metric.result().numpy())


def test_accuracy_is_exact_equality():
    assert result(metrics.Accuracy(), (t([[1], [2], [3]]), t([[1], [0], [3]]))) == pytest.approx(2 / 3)


@pytest.mark.parametrize("labels_shape", [(4,), (4, 1)])
def test_binary_accuracy(labels_shape):
    y_true = t([1.0, 0.0, 1.0, 0.0]).reshape(labels_shape)
    y_pred = t([[0.7], [0.6], [0.4], [0.1]])
    assert result(metrics.BinaryAccuracy(), (y_true, y_pred)) == pytest.approx(0.5)
    assert result(metrics.BinaryAccuracy(threshold=0.35), (y_true, y_pred)) == pytest.approx(0.75)


def test_binary_accuracy_with_integer_labels_and_weights():
    metric = metrics.BinaryAccuracy()
    weights = t([1.0, 0.0, 2.0])
    value = result(metric, (t([1, 0, 0], torch.int64), t([0.9, 0.8, 0.2]), weights))
    assert value == pytest.approx(3 / 3)


def test_categorical_accuracy_ties_go_to_the_first_class():
    y_true = t([[0, 1, 0], [1, 0, 0]])
    y_pred = t([[0.1, 0.8, 0.1], [0.4, 0.4, 0.2]])
    assert result(metrics.CategoricalAccuracy(), (y_true, y_pred)) == pytest.approx(1.0)


@pytest.mark.parametrize("labels", [[1, 2], [[1], [2]], [1.0, 2.0]])
def test_sparse_categorical_accuracy_label_forms(labels):
    y_pred = t([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    assert result(metrics.SparseCategoricalAccuracy(), (torch.tensor(labels), y_pred)) == pytest.approx(0.5)


def test_sparse_categorical_accuracy_for_sequences():
    y_true = t([[1, 0], [2, 2]])
    y_pred = torch.nn.functional.one_hot(torch.tensor([[1, 1], [2, 0]]), 3).float()
    assert result(metrics.SparseCategoricalAccuracy(), (y_true, y_pred)) == pytest.approx(0.5)


def test_top_k():
    y_pred = t([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]])
    y_true = t([[0, 0, 1], [0, 1, 0]])
    assert result(metrics.TopKCategoricalAccuracy(k=1), (y_true, y_pred)) == 0.0
    assert result(metrics.TopKCategoricalAccuracy(k=2), (y_true, y_pred)) == pytest.approx(0.5)
    sparse = metrics.SparseTopKCategoricalAccuracy(k=2)
    assert result(sparse, (t([2, 1]), y_pred)) == pytest.approx(0.5)


def test_top_k_larger_than_the_classes_counts_every_target():
    assert result(metrics.TopKCategoricalAccuracy(), (t([[0, 1]]), t([[0.9, 0.1]]))) == 1.0


def test_sparse_top_k_from_sorted_ids():
    ids = t([[2, 0, 1], [1, 2, 0]])
    metric = metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    assert result(metric, (t([2, 2]), ids)) == pytest.approx(0.5)
    assert metric.get_config()["from_sorted_ids"] is True
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()


def test_configs():
    assert metrics.BinaryAccuracy(threshold=0.3).get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.3,
    }  # fmt: skip
    assert metrics.TopKCategoricalAccuracy(k=3, name="top3").get_config() == {
        "name": "top3", "dtype": "float32", "k": 3,
    }  # fmt: skip
    rebuilt = metrics.BinaryAccuracy.from_config({"name": "acc", "dtype": "float32", "threshold": 0.3})
    assert rebuilt.name == "acc" and rebuilt.threshold == 0.3


def test_accuracy_functions_give_per_sample_matches():
    np.testing.assert_array_equal(
        metrics.binary_accuracy(t([[1.0], [0.0]]), t([[0.9], [0.9]])).numpy(), [[1.0], [0.0]]
    )
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(t([0, 1]), t([[0.9, 0.1], [0.8, 0.2]])).numpy(), [1.0, 0.0]
    )
