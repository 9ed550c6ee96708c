"""``to_categorical`` and ``normalize``: the array helpers Keras 2 scripts call first."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch


def to_categorical(x: Any, num_classes: Optional[int] = None, dtype: Any = None) -> Any:
    """One-hot rows for integer class labels; the class axis is last.

    A trailing axis of size 1 (labels shaped ``(n, 1)``, as CIFAR's) is replaced, not kept.
    NumPy in, NumPy out (float64 as Keras 3, or ``dtype`` as Keras 2's ``np_utils``); a torch
    tensor in gives a float32 torch tensor on the same device.
    """
    if isinstance(x, torch.Tensor):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(tuple(x.shape[:-1]))
        x = x.long()
        depth = int(num_classes) if num_classes else int(x.max()) + 1
        out = torch.nn.functional.one_hot(x, depth)
        return out.to(torch.float32 if dtype is None else _torch_dtype(dtype))
    x = np.array(x, dtype="int64")
    input_shape = x.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        bad = x[(x < 0) | (x >= num_classes)][0]
        raise IndexError(
            f"to_categorical: class index {bad} is out of range for num_classes={num_classes} "
            f"(valid indices are 0..{num_classes - 1})."
        )
    categorical = np.zeros((x.shape[0], num_classes), dtype=dtype or "float64")
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x: Any, axis: Optional[int] = -1, order: int = 2) -> Any:
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as 1)."""
    if isinstance(x, torch.Tensor):
        norm = torch.linalg.vector_norm(
            x, ord=order, dim=axis if axis is not None else None, keepdim=True
        )
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    if axis is None:
        axis = -1
    return x / np.expand_dims(norm, axis)


def _torch_dtype(dtype: Any) -> torch.dtype:
    from kerasish import backend

    return backend.torch_dtype(dtype)
