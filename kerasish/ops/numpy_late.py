"""The numpy-namespace ops Keras 3 added last: ``argpartition``, ``unique`` and ``cdist``.

``unique`` without ``size`` has as many outputs as the data has distinct values, so its
symbolic output has an unknown (``None``) length, as in Keras; its op layer takes that spec
from ``unique_output_spec`` instead of a meta-device run (torch cannot count values there).
"""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op


@keras_op
def argpartition(x: Any, kth: int, axis: Optional[int] = -1) -> torch.Tensor:
    """Indices that put the ``kth`` smallest element of each slice in its sorted place, the
    smaller ones before it (int32, as Keras).

    The ``kth + 1`` smallest come first in ascending order, then the others in the order
    ``torch.topk`` gives the rest, which is the order Keras' torch backend gives. Keras casts
    ``x`` to int32 first, so it compares ``1.2`` and ``1.9`` as equal; kerasish compares the
    values themselves (the same result wherever the values are whole numbers).
    """
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if x.ndim == 0:
        raise ValueError(f"argpartition expects an input of rank >= 1. Received: x.shape={tuple(x.shape)}")
    length = x.shape[axis]
    if not -length <= kth < length:
        raise ValueError(
            f"argpartition: kth={kth} is out of bounds for an axis of length {length} "
            f"(x.shape={tuple(x.shape)}, axis={axis})."
        )
    kth = kth % length
    moved = x.movedim(axis, -1)
    smallest = torch.topk(moved, kth + 1, dim=-1, largest=False).indices
    rest_marker = torch.ones(moved.shape, dtype=torch.int32, device=x.device).scatter_(-1, smallest, 0)
    rest = torch.topk(rest_marker, length - kth - 1, dim=-1).indices
    return torch.cat([smallest, rest], dim=-1).movedim(-1, axis).to(torch.int32)


def _unique_first_index(inverse: torch.Tensor, count: int) -> torch.Tensor:
    """The position of each unique value's first occurrence: a min-scatter of positions."""
    positions = torch.arange(inverse.numel(), dtype=inverse.dtype, device=inverse.device)
    return inverse.new_empty(count).scatter_reduce_(0, inverse, positions, reduce="amin", include_self=False)


def _fit_to_size(tensor: torch.Tensor, dim: int, size: int, fill: Any) -> torch.Tensor:
    have = tensor.shape[dim]
    if have >= size:
        return tensor.narrow(dim, 0, size)
    pad = [0, 0] * (tensor.ndim - dim)
    pad[-1] = size - have
    return F.pad(tensor, pad, value=fill)


@keras_op
def unique(
    x: Any,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Optional[int] = None,
    size: Optional[int] = None,
    fill_value: Any = None,
) -> Any:
    """The distinct values (or slices along ``axis``), with Keras' torch-backend extras:
    int64 index/inverse/counts, and with ``size`` the outputs cut or padded (values with
    ``fill_value`` or 0, counts with 0 and, as Keras pads them, first indices with 1).

    The number of distinct values is read on the host (torch needs it to size the result),
    as in Keras; ``size`` fixes the output shapes but not that read.
    """
    x = to_tensor(x)
    found = torch.unique(
        x, sorted=sorted, return_inverse=return_inverse or return_index,
        return_counts=return_counts, dim=axis,
    )
    found = list(found) if isinstance(found, tuple) else [found]
    values = found[0]
    inverse = found[1] if (return_inverse or return_index) else None
    counts = found[-1] if return_counts else None
    dim = 0 if axis is None else axis % x.ndim
    first = _unique_first_index(inverse, values.shape[dim]) if return_index else None
    if size is not None:
        values = _fit_to_size(values, dim, size, 0 if fill_value is None else fill_value)
        counts = None if counts is None else _fit_to_size(counts, 0, size, 0)
        first = None if first is None else _fit_to_size(first, 0, size, 1)
    outputs = [values]
    if return_index:
        outputs.append(first)
    if return_inverse:
        outputs.append(inverse)
    if return_counts:
        outputs.append(counts)
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def unique_output_spec(
    x: KerasTensor,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Optional[int] = None,
    size: Optional[int] = None,
    fill_value: Any = None,
) -> Any:
    """Keras' symbolic shapes: the unique axis is ``size`` when given, else unknown (``None``)."""
    shape = list(x.shape)
    if axis is None:
        values_shape = [size]
    else:
        axis = axis % len(shape)
        values_shape = shape[:axis] + [size] + shape[axis + 1:]
    outputs = [KerasTensor(tuple(values_shape), x.dtype)]
    if return_index:
        outputs.append(KerasTensor((size,), "int64"))
    if return_inverse:
        # torch's inverse has the input's shape when the input is flattened.
        inverse_shape = tuple(shape) if axis is None else (shape[axis],)
        outputs.append(KerasTensor(inverse_shape, "int64"))
    if return_counts:
        outputs.append(KerasTensor((size,), "int64"))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


unique.eager.output_spec = unique_output_spec


@keras_op
def cdist(x: Any, y: Any) -> torch.Tensor:
    """Euclidean distances between the rows of ``x`` and ``y`` (``(..., m, d)``, ``(..., n, d)``
    -> ``(..., m, n)``), leading axes broadcast. An exact difference-and-square, as Keras does,
    rather than ``torch.cdist``'s matmul form, whose cancellation costs float32 digits; integer
    inputs give ``floatx()``."""
    x, y = to_tensor(x), to_tensor(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            f"cdist inputs must have rank >= 2. Received: x.shape={tuple(x.shape)}, "
            f"y.shape={tuple(y.shape)}"
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "The last dimension of cdist's inputs must match. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    if not x.is_floating_point():
        x = x.to(backend.torch_dtype(backend.floatx()))
    if not y.is_floating_point():
        y = y.to(backend.torch_dtype(backend.floatx()))
    difference = x.unsqueeze(-2) - y.unsqueeze(-3)
    return torch.sqrt(torch.sum(difference * difference, dim=-1))

