"""``keras.ops.unfold`` / ``keras.ops.fold``: sliding blocks of channels-first images as
columns (im2col) and back (col2im, overlapping blocks summed), torch's own kernels as in
Keras 3's torch backend. Both take NCHW whatever ``image_data_format()`` says, as Keras does.
"""

from __future__ import annotations

from typing import Any, Sequence, Union

import torch
import torch.nn.functional as F

from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op

IntPair = Union[int, Sequence[int]]


def _check_rank(x: torch.Tensor, rank: int, op: str) -> None:
    if x.ndim != rank:
        raise ValueError(f"{op}: input must be a {rank}D tensor. Received: input.shape={tuple(x.shape)}")


def _pair(value: IntPair) -> Any:
    return value if isinstance(value, int) else tuple(value)


@keras_op
def unfold(x: Any, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0, stride: IntPair = 1) -> torch.Tensor:
    """``(N, C, H, W)`` -> ``(N, C * kh * kw, blocks)``."""
    x = to_tensor(x)
    _check_rank(x, 4, "unfold")
    return F.unfold(x, _pair(kernel_size), dilation=_pair(dilation), padding=_pair(padding), stride=_pair(stride))


@keras_op
def fold(
    x: Any,
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> torch.Tensor:
    """``(N, C * kh * kw, blocks)`` -> ``(N, C, *output_size)``, overlapping blocks summed."""
    x = to_tensor(x)
    _check_rank(x, 3, "fold")
    return F.fold(
        x, _pair(output_size), _pair(kernel_size), dilation=_pair(dilation), padding=_pair(padding),
        stride=_pair(stride),
    )
