"""Regression metrics: the error losses as running means, RMSE, cosine similarity, R²."""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish import losses
from kerasish.losses import as_tensor, squeeze_or_expand_to_same_rank
from kerasish.metrics.base import Metric
from kerasish.metrics.reduction import Mean, _FunctionMetric, _metric_class

MeanSquaredError = _metric_class(__name__, "MeanSquaredError", losses.mean_squared_error)
MeanAbsoluteError = _metric_class(__name__, "MeanAbsoluteError", losses.mean_absolute_error)
MeanAbsolutePercentageError = _metric_class(
    __name__, "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error
)
MeanSquaredLogarithmicError = _metric_class(
    __name__, "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error
)
LogCoshError = _metric_class(__name__, "LogCoshError", losses.log_cosh, "logcosh")


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """The *metric*: the cosine similarity itself (the loss of that name is its negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


class CosineSimilarity(_FunctionMetric):
    _fn_impl = staticmethod(cosine_similarity)

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype, axis=axis)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.axis != -1:  # Keras 3 leaves `axis` out of the config, losing a non-default one
            config["axis"] = self.axis
        return config


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running weighted mean of squared errors (not the mean of batch RMSEs)."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = as_tensor(y_pred, self._torch_dtype)
        y_true = as_tensor(y_true, self._torch_dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """Coefficient of determination per output column, then aggregated.

    With ``num_regressors`` the adjusted R² is returned; where it is undefined (too few
    samples) the plain R² is, chosen on the device. Keras also warns then, which would need the
    sample count on the host, so kerasish does not.
    """

    def __init__(
        self,
        class_aggregation: Optional[str] = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        columns = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(columns,), name="squared_sum")
        self.sum = self.add_variable(shape=(columns,), name="sum")
        self.total_mse = self.add_variable(shape=(columns,), name="residual")
        self.count = self.add_variable(shape=(columns,), name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = as_tensor(y_pred, self._torch_dtype)
        y_true = as_tensor(y_true, self._torch_dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = as_tensor(sample_weight, self._torch_dtype, y_pred.device)
            if weight.dim() == 1:
                weight = weight.unsqueeze(1)
            weight = weight.broadcast_to(y_true.shape)
        weighted_y_true = y_true * weight
        self.sum.assign_add(weighted_y_true.sum(dim=0))
        self.squared_sum.assign_add((y_true * weighted_y_true).sum(dim=0))
        self.total_mse.assign_add((torch.square(y_true - y_pred) * weight).sum(dim=0))
        self.count.assign_add(weight.sum(dim=0))
        self.num_samples.assign_add(y_true.numel())

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype)
        mean = self.sum.value / self.count.value
        total = self.squared_sum.value - self.sum.value * mean
        raw_scores = 1 - self.total_mse.value / total
        raw_scores = torch.where(torch.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            score = raw_scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw_scores).sum() / total.sum()
        else:
            score = raw_scores
        if self.num_regressors == 0:
            return score
        n, p = self.num_samples.value, float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return torch.where(p >= n - 1, score, adjusted)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
