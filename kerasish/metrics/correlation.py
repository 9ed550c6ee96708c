"""Correlation metrics: computed within each batch along ``axis``, then averaged over samples
like any mean metric (so they are not the correlation over the whole dataset)."""

from __future__ import annotations

from typing import Any

import torch

from kerasish import backend
from kerasish.losses import _pair, squeeze_or_expand_to_same_rank
from kerasish.metrics.reduction import _FunctionMetric


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    true_centered = y_true - y_true.mean(dim=axis, keepdim=True)
    pred_centered = y_pred - y_pred.mean(dim=axis, keepdim=True)
    true_centered = true_centered / torch.std(true_centered, dim=axis, keepdim=True, correction=0)
    pred_centered = pred_centered / torch.std(pred_centered, dim=axis, keepdim=True, correction=0)
    return (true_centered * pred_centered).mean(dim=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = torch.var(y_true - true_mean, dim=axis, keepdim=True, correction=0)
    pred_var = torch.var(y_pred - pred_mean, dim=axis, keepdim=True, correction=0)
    # Keras centres y_true on the *prediction* mean here; kept for identical numbers.
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return (2 * covariance / (norm + backend.epsilon())).mean(dim=axis)


class PearsonCorrelation(_FunctionMetric):
    _fn_impl = staticmethod(pearson_correlation)
    _params = ("axis",)

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_FunctionMetric):
    _fn_impl = staticmethod(concordance_correlation)
    _params = ("axis",)

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(name=name, dtype=dtype, axis=axis)
