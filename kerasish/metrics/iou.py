"""Intersection-over-union metrics from a running confusion matrix.

The matrix is integer (``int32``, Keras' default on torch) unless a float ``dtype`` is given;
labels or predictions outside ``[0, num_classes)`` (and ``ignore_class``) are left out. The
result averages ``tp / (tp + fp + fn)`` over the target classes that occurred.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.losses import as_tensor
from kerasish.metrics.base import Metric


def confusion_matrix(
    labels: torch.Tensor, predictions: torch.Tensor, num_classes: int, weights: torch.Tensor
) -> torch.Tensor:
    """``(num_classes, num_classes)`` counts, rows = labels, columns = predictions."""
    flat_index = labels.long() * num_classes + predictions.long()
    counts = torch.zeros(num_classes * num_classes, dtype=weights.dtype, device=weights.device)
    return counts.index_add_(0, flat_index, weights).reshape(num_classes, num_classes)


class IoU(Metric):
    """IoU averaged over ``target_class_ids`` (those that occurred)."""

    # The attributes that make up the config, in the order it lists them.
    _config_keys: tuple[str, ...] = (
        "name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_true",
        "sparse_y_pred", "axis",
    )  # fmt: skip

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: Optional[str] = None,
        dtype: Any = None,
        ignore_class: Optional[int] = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), name="total_confusion_matrix"
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)
        self._add_constant("target_class_ids", self.target_class_ids, dtype=torch.long)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        dtype = self._torch_dtype
        y_pred = as_tensor(y_pred)
        y_true = as_tensor(y_true, device=y_pred.device)
        if not self.sparse_y_true:
            y_true = y_true.argmax(dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(dim=self.axis)
        y_true = y_true.to(dtype).reshape(-1)
        y_pred = y_pred.to(dtype).reshape(-1)
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            sample_weight = as_tensor(sample_weight, device=y_pred.device)
            if sample_weight.is_floating_point() and not dtype.is_floating_point:
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result "
                    "in an incorrect weight due to type casting Consider using integer "
                    "weights.",
                    stacklevel=3,
                )
            weight = sample_weight.to(dtype).reshape(-1).broadcast_to(y_true.shape)
        in_bounds = (
            (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        )
        if self.ignore_class is not None:
            in_bounds = in_bounds & (y_true != self.ignore_class)
        y_true = torch.where(in_bounds, y_true, 0)
        y_pred = torch.where(in_bounds, y_pred, 0)
        weight = torch.where(in_bounds, weight, 0)
        self.total_cm.assign_add(confusion_matrix(y_true, y_pred, self.num_classes, weight))

    def result(self) -> torch.Tensor:
        total_cm = self.total_cm.value
        true_positives = torch.diagonal(total_cm)
        denominator = total_cm.sum(dim=0) + total_cm.sum(dim=1) - true_positives
        targets = self._constants["target_class_ids"]
        true_positives = true_positives[targets].to(torch.float32)
        denominator = denominator[targets].to(torch.float32)
        valid = denominator > 1e-9
        iou = torch.where(valid, true_positives / (denominator + backend.epsilon()), 0.0)
        return iou.sum(dim=self.axis) / (valid.to(torch.float32).sum() + backend.epsilon())

    def get_config(self) -> dict:
        return {key: getattr(self, key) for key in self._config_keys}


class BinaryIoU(IoU):
    """IoU of two classes, predictions thresholded at ``threshold`` (``>=``)."""

    _config_keys = ("target_class_ids", "threshold", "name", "dtype")

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = as_tensor(y_pred, torch.float32)
        y_pred = (y_pred >= self.threshold).to(self._torch_dtype)
        super().update_state(y_true, y_pred, sample_weight)


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes (those that occurred)."""

    _config_keys = (
        "num_classes", "name", "dtype", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis"
    )

    def __init__(
        self,
        num_classes: int,
        name: Optional[str] = None,
        dtype: Any = None,
        ignore_class: Optional[int] = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes, list(range(num_classes)), name, dtype, ignore_class, sparse_y_true,
            sparse_y_pred, axis,
        )  # fmt: skip


def _without_sparse_y_true(keys: tuple[str, ...]) -> tuple[str, ...]:
    """One-hot IoUs take one-hot labels only, so ``sparse_y_true`` is no argument of theirs."""
    return tuple(key for key in keys if key != "sparse_y_true")


class OneHotIoU(IoU):
    _config_keys = _without_sparse_y_true(IoU._config_keys)

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: Optional[str] = None,
        dtype: Any = None,
        ignore_class: Optional[int] = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes, target_class_ids, name, dtype, ignore_class, sparse_y_true=False,
            sparse_y_pred=sparse_y_pred, axis=axis,
        )  # fmt: skip


class OneHotMeanIoU(MeanIoU):
    _config_keys = _without_sparse_y_true(MeanIoU._config_keys)

    def __init__(
        self,
        num_classes: int,
        name: Optional[str] = None,
        dtype: Any = None,
        ignore_class: Optional[int] = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes, name, dtype, ignore_class, sparse_y_true=False,
            sparse_y_pred=sparse_y_pred, axis=axis,
        )  # fmt: skip
