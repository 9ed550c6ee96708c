"""Keras 3's adaptive pooling layers: pool to a fixed ``output_size`` whatever the input size.

The numbers are ``ops.adaptive_average_pool`` / ``adaptive_max_pool`` (torch's bins, as Keras'
torch backend); the layers only normalise ``output_size`` with Keras' per-rank rules and errors.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch

from kerasish import backend
from kerasish.layers.base import Layer
from kerasish.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool

_NAMES = {1: "", 2: "(height, width) ", 3: "(depth, height, width) "}


def _output_size(value: Any, rank: int) -> tuple:
    """Keras' per-rank check: 1D rejects a wrong-length tuple with ValueError, 2D/3D TypeError."""
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, (tuple, list)):
        if len(value) == rank:
            return tuple(value)
        if rank == 1:
            raise ValueError(
                f"For 1D input, `output_size` tuple must have length 1. Received: {value}"
            )
    if rank == 1:
        raise TypeError(
            f"`output_size` must be an integer or tuple of 1 integer. "
            f"Received: {value} of type {type(value)}"
        )
    raise TypeError(
        f"`output_size` must be an integer or {_NAMES[rank]}tuple. "
        f"Received: {value} of type {type(value)}"
    )


class BaseAdaptivePooling(Layer):
    """Shared constructor, shape and config; ``_rank`` and ``_pool`` come from the subclass."""

    _rank: int
    _pool: Callable[..., torch.Tensor]

    def __init__(self, output_size: Any, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.output_size = _output_size(output_size, self._rank)
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in {"channels_first", "channels_last"}:
            raise ValueError(
                f"Invalid data_format: {self.data_format}. "
                "Expected 'channels_first' or 'channels_last'."
            )
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return type(self)._pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    _rank = 1
    _pool = adaptive_average_pool


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    _rank = 2
    _pool = adaptive_average_pool


class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    _rank = 3
    _pool = adaptive_average_pool


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    _rank = 1
    _pool = adaptive_max_pool


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    _rank = 2
    _pool = adaptive_max_pool


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    _rank = 3
    _pool = adaptive_max_pool
