"""Regression, correlation, F-score and loss-as-metric classes on hand-made examples."""

import math

import numpy as np
import pytest
import torch

from kerasish import metrics


def t(values):
    return torch.tensor(values, dtype=torch.float32)


def value(metric, *updates):
    for update in updates:
        metric.update_state(*update)
    return metric.result().numpy()


def test_error_metrics():
    y_true, y_pred = t([[0.0], [0.0]]), t([[3.0], [4.0]])
    assert value(metrics.MeanSquaredError(), (y_true, y_pred)) == pytest.approx(12.5)
    assert value(metrics.MeanAbsoluteError(), (y_true, y_pred)) == pytest.approx(3.5)
    assert value(metrics.RootMeanSquaredError(), (y_true, y_pred)) == pytest.approx(math.sqrt(12.5))
    rmse = metrics.RootMeanSquaredError()
    # the root of the running mean, not the mean of batch roots
    assert value(rmse, (t([0.0]), t([3.0])), (t([0.0]), t([4.0]))) == pytest.approx(math.sqrt(12.5))


def test_cosine_similarity_metric_is_positive():
    assert value(metrics.CosineSimilarity(), (t([[1.0, 1.0]]), t([[2.0, 2.0]]))) == pytest.approx(1.0)
    assert value(metrics.CosineSimilarity(axis=0), (t([[1.0], [0.0]]), t([[0.0], [1.0]]))) == pytest.approx(0.0)
    assert metrics.CosineSimilarity(axis=0).get_config()["axis"] == 0


def test_r2_score():
    assert value(metrics.R2Score(), (t([[1.0], [2.0], [3.0]]), t([[1.0], [2.0], [4.0]]))) == pytest.approx(0.5)
    per_column = metrics.R2Score(class_aggregation=None)
    y_true = t([[1.0, 0.0], [2.0, 1.0], [3.0, 2.0]])
    np.testing.assert_allclose(value(per_column, (y_true, y_true)), [1.0, 1.0])
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(t([[[1.0]]]), t([[[1.0]]]))


def test_adjusted_r2_falls_back_when_undefined():
    y_true, y_pred = t([[1.0], [2.0], [3.0]]), t([[1.0], [2.0], [4.0]])
    assert value(metrics.R2Score(num_regressors=5), (y_true, y_pred)) == pytest.approx(0.5)
    # n = 3 samples, p = 1 regressor: 1 - (1 - 0.5) * 2 / 1
    assert value(metrics.R2Score(num_regressors=1), (y_true, y_pred)) == pytest.approx(0.0)


Y_TRUE = t([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y_PRED = t([[0.9, 0.2], [0.6, 0.7], [0.8, 0.3]])


def test_f1_scores():
    eps = 1e-7
    np.testing.assert_allclose(value(metrics.F1Score(threshold=0.5), (Y_TRUE, Y_PRED)), [0.8, 2 / 3], atol=1e-6)
    assert value(metrics.F1Score(average="macro", threshold=0.5), (Y_TRUE, Y_PRED)) == pytest.approx(
        (0.8 + 2 / 3) / 2, abs=1e-6
    )
    assert value(metrics.F1Score(average="micro", threshold=0.5), (Y_TRUE, Y_PRED)) == pytest.approx(0.75, abs=eps * 10)
    assert "beta" not in metrics.F1Score().get_config()
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=2)


def test_correlations():
    assert value(metrics.PearsonCorrelation(), (t([[1.0, 2.0, 3.0]]), t([[2.0, 4.0, 6.0]]))) == pytest.approx(1.0)
    assert value(metrics.ConcordanceCorrelation(), (t([[1.0, 2.0, 3.0]]), t([[1.0, 2.0, 3.0]]))) == pytest.approx(
        1.0, abs=1e-6
    )


def test_losses_as_metrics():
    y_true, y_pred = t([[0.0, 1.0]]), t([[0.25, 0.75]])
    assert value(metrics.CategoricalCrossentropy(), (y_true, y_pred)) == pytest.approx(-math.log(0.75))
    assert value(metrics.SparseCategoricalCrossentropy(), (t([1.0]), y_pred)) == pytest.approx(-math.log(0.75))
    assert value(metrics.BinaryCrossentropy(), (t([[1.0]]), t([[0.75]]))) == pytest.approx(-math.log(0.75))
    assert value(metrics.Hinge(), (t([[1.0]]), t([[0.25]]))) == pytest.approx(0.75)
    assert value(metrics.KLDivergence(), (y_true, y_true)) == pytest.approx(0.0, abs=1e-6)
    assert metrics.LogCoshError().name == "logcosh"
    assert metrics.BinaryCrossentropy(from_logits=True).get_config() == {
        "name": "binary_crossentropy", "dtype": "float32", "from_logits": True, "label_smoothing": 0,
    }  # fmt: skip
