"""Separable convolutions: SeparableConv1D/2D, a depthwise convolution then a 1x1 convolution.

Weights ``depthwise_weight`` (``(in * dm, 1, *k)``, torch's ``ConvNd(groups=in)``) and
``pointwise_weight`` (``(filters, in * dm, 1...)``, a plain 1x1 conv); the Keras
``depthwise_kernel`` ``(*k, in, dm)`` and ``pointwise_kernel`` ``(1..., in * dm, filters)``
are views of them. Strides, padding and dilation apply to the depthwise step, as in Keras.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import constraints, initializers, regularizers
from kerasish.layers import conv_utils
from kerasish.layers.conv_utils import IntOrTuple
from kerasish.layers.depthwise_conv import BaseDepthwise

# tf.keras' SeparableConv configs carry Conv's keys too (ignored by tf.keras; Keras 3
# refuses them). Reading such a config drops them.
_KERAS2_CONV_KEYS = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")


class BaseSeparableConv(BaseDepthwise):
    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )
        conv_utils.check_positive("filters", filters)
        self.filters = filters
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        in_channels = self._build_depthwise(input_shape, "depthwise_kernel", "depthwise_weight")
        self.add_weight(
            "pointwise_kernel",
            shape=(1,) * self.rank + (in_channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._add_bias(self.filters)
        self._finish_build(in_channels)

    @property
    def depthwise_kernel(self) -> torch.Tensor:
        """Keras layout ``(*kernel_size, in, depth_multiplier)``: a view."""
        return self._keras_weight(0, "depthwise_kernel")

    @property
    def pointwise_kernel(self) -> torch.Tensor:
        """Keras layout ``(1..., in * depth_multiplier, filters)``: a view."""
        return self._keras_weight(1, "pointwise_kernel")

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        x = self._depthwise(x, self.depthwise_weight, None)
        return self._torch_conv(x, self.pointwise_weight, self.bias)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = self._checked_rank(input_shape)
        return self._padded_output_shape(
            input_shape, self.filters, "kernel_size", self.kernel_size
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }

    @classmethod
    def from_config(cls, config: dict) -> BaseSeparableConv:
        config = dict(config)
        conv_utils.check_groups_is_one(cls.__name__, config.pop("groups", 1))
        for key in _KERAS2_CONV_KEYS:
            config.pop(key, None)
        return cls(**config)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, filters={self.filters}"


class SeparableConv1D(BaseSeparableConv):
    """1-D separable convolution over ``(batch, steps, channels)``."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, depth_multiplier, filters, kernel_size, strides, padding, data_format,
            dilation_rate, activation, use_bias, depthwise_initializer, pointwise_initializer,
            bias_initializer, depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint,
            **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    """2-D separable convolution over ``(batch, rows, cols, channels)`` (or channels_first)."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1),
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = (1, 1),
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, depth_multiplier, filters, kernel_size, strides, padding, data_format,
            dilation_rate, activation, use_bias, depthwise_initializer, pointwise_initializer,
            bias_initializer, depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint,
            **kwargs,
        )


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
