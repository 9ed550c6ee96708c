"""``keras.ops.depth_to_space`` and ``space_to_depth``: pure reshapes and permutes (views
until the final reshape), in Keras 3's channel orders for either data format."""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish import backend
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op


def _check(x: torch.Tensor, block_size: int, name: str) -> None:
    if block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    if x.ndim != 4:
        raise ValueError(f"{name} expects a rank-4 tensor. Received: x.shape={tuple(x.shape)}")


@keras_op
def depth_to_space(x: Any, block_size: int, data_format: Optional[str] = "channels_last") -> torch.Tensor:
    """Channels split as ``(block, block, channels)`` (channels_last) or ``(channels, block,
    block)`` (channels_first), as Keras' torch backend splits them."""
    data_format = backend.standardize_data_format(data_format)
    x = to_tensor(x)
    _check(x, block_size, "depth_to_space")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h, w, b, b, c // b**2).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h * b, w * b, c // b**2)
    n, c, h, w = x.shape
    x = x.reshape(n, c // b**2, b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(n, c // b**2, h * b, w * b)


@keras_op
def space_to_depth(x: Any, block_size: int, data_format: Optional[str] = "channels_last") -> torch.Tensor:
    data_format = backend.standardize_data_format(data_format)
    x = to_tensor(x)
    _check(x, block_size, "space_to_depth")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h // b, w // b, c * b**2)
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // b, b, w // b, b).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(n, c * b**2, h // b, w // b)
