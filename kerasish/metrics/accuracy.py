"""Accuracy metrics: a per-sample 0/1 match, averaged by ``Mean``.

The functions are Keras 3's, including their shape handling: ``(N, 1)`` labels against
``(N,)`` or ``(N, C)`` outputs, and class indices compared as floats after ``argmax``. Ties in
``argmax`` go to the first index, as in torch (and so in Keras' torch backend).
"""

from __future__ import annotations

from typing import Any

import torch

from kerasish import backend
from kerasish.losses import as_tensor, squeeze_or_expand_to_same_rank
from kerasish.metrics.reduction import _FunctionMetric, _metric_class


def _floatx() -> torch.dtype:
    return backend.torch_dtype(backend.floatx())


def _predictions(y_pred: Any) -> torch.Tensor:
    y_pred = as_tensor(y_pred)
    return y_pred if y_pred.is_floating_point() else y_pred.to(_floatx())


def accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Exact equality of labels and predictions."""
    y_pred = _predictions(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype, y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(_floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    y_pred = _predictions(y_pred)
    y_true = as_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == (y_pred > threshold).to(y_true.dtype)).to(_floatx())


def categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_pred = _predictions(y_pred)
    y_true = as_tensor(y_true, device=y_pred.device).argmax(dim=-1).to(y_pred.dtype)
    original_shape = y_true.shape
    reshape = y_true.dim() == y_pred.dim()
    if reshape:
        y_true = y_true.squeeze(-1)
    matches = (y_true == y_pred.argmax(dim=-1).to(y_true.dtype)).to(_floatx())
    return matches.reshape(original_shape) if reshape else matches


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_pred = _predictions(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype, y_pred.device)
    original_shape = y_true.shape
    reshape = y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1
    if reshape:
        y_true = y_true.squeeze(-1)
    matches = (y_true == y_pred.argmax(dim=-1).to(y_true.dtype)).to(_floatx())
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def in_top_k(targets: torch.Tensor, predictions: torch.Tensor, k: int) -> torch.Tensor:
    """Whether each target's score is at least the k-th largest score of its row (ties count
    as hits). ``k`` larger than the number of classes means every target is a hit, as in
    tf.keras (Keras 3's torch backend raises instead)."""
    k = min(k, predictions.shape[-1])
    kth_largest = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_scores = torch.take_along_dim(predictions, targets.long()[:, None], dim=-1)
    return (target_scores >= kth_largest).squeeze(-1)


def _flat_rows(y_true: torch.Tensor, y_pred: torch.Tensor):
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    original_shape = y_true.shape
    if y_true.dim() > 1:
        return y_true.reshape(-1), y_pred, original_shape
    return y_true, y_pred, None


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    y_pred = _predictions(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype, y_pred.device).argmax(dim=-1)
    y_true, y_pred, original_shape = _flat_rows(y_true, y_pred)
    matches = in_top_k(y_true, y_pred, k).to(_floatx())
    return matches.reshape(original_shape) if original_shape is not None else matches


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    """With ``from_sorted_ids``, ``y_pred`` holds class ids sorted by score, not scores."""
    y_pred = _predictions(y_pred)
    y_true = as_tensor(y_true, device=y_pred.device)
    y_true = y_true.to(y_pred.dtype) if from_sorted_ids else y_true.to(torch.int32)
    y_true, y_pred, original_shape = _flat_rows(y_true, y_pred)
    if from_sorted_ids:
        matches = (y_true[:, None] == y_pred[:, :k]).any(dim=1)
    else:
        matches = in_top_k(y_true, y_pred, k)
    matches = matches.to(_floatx())
    return matches.reshape(original_shape) if original_shape is not None else matches


Accuracy = _metric_class(__name__, "Accuracy", accuracy)
CategoricalAccuracy = _metric_class(__name__, "CategoricalAccuracy", categorical_accuracy)
SparseCategoricalAccuracy = _metric_class(
    __name__, "SparseCategoricalAccuracy", sparse_categorical_accuracy
)


class BinaryAccuracy(_FunctionMetric):
    _fn_impl = staticmethod(binary_accuracy)
    _params = ("threshold",)

    def __init__(
        self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5
    ) -> None:
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class TopKCategoricalAccuracy(_FunctionMetric):
    _fn_impl = staticmethod(top_k_categorical_accuracy)
    _params = ("k",)

    def __init__(
        self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(_FunctionMetric):
    _fn_impl = staticmethod(sparse_top_k_categorical_accuracy)
    _params = ("k",)

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
