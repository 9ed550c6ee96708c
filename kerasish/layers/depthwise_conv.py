"""Depthwise convolutions: DepthwiseConv1D/2D, and the depthwise step shared with SeparableConv.

A depthwise convolution filters each input channel on its own with ``depth_multiplier``
kernels: torch's ``ConvNd(groups=in_channels)``, whose weight ``(in * dm, 1, *k)`` orders the
outputs channel-major (``c * dm + m``), exactly as Keras does. The Keras kernel is
``(*k, in, dm)``; the two are one reshape-and-permute apart (views both ways).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import constraints, initializers, regularizers
from kerasish.layers import conv_utils
from kerasish.layers.conv_utils import IntOrTuple
from kerasish.layers.convolutional import ConvLayer
from kerasish.layers.kernel_config import kernel_bias_config
from kerasish.saving import layouts


class BaseDepthwise(ConvLayer):
    """What depthwise and separable convolutions share: the depthwise kernel and step."""

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple,
        padding: str,
        data_format: Optional[str],
        dilation_rate: IntOrTuple,
        activation: Any,
        use_bias: bool,
        depthwise_initializer: Any,
        bias_initializer: Any,
        depthwise_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        depthwise_constraint: Any,
        bias_constraint: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, kernel_size, strides, padding, data_format, dilation_rate, activation,
            bool(use_bias), bias_initializer, bias_regularizer, activity_regularizer,
            bias_constraint, **kwargs,
        )
        conv_utils.check_positive("depth_multiplier", depth_multiplier)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _build_depthwise(self, input_shape: tuple, keras_name: str, torch_name: str) -> int:
        """Check the input, create the depthwise kernel; return the input channel count."""
        self.compute_output_shape(input_shape)  # validates rank and output size
        in_channels = self._known_channels(input_shape)
        self.add_weight(
            keras_name,
            shape=self.kernel_size + (in_channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        # The table's entry is written for depth_multiplier 1: torch's (in * dm, 1, *k) shape
        # does not say how to split in * dm back, so this layer's variable gets its own.
        self._keras_variables[-1]._layout = layouts.depthwise_kernel(
            torch_name, self.depth_multiplier
        )
        return in_channels

    def _keras_weight(self, index: int, name: str) -> torch.Tensor:
        if not self.built:
            raise AttributeError(f"You must build the layer before accessing `{name}`.")
        return self._keras_variables[index].value

    def _depthwise(
        self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]
    ) -> torch.Tensor:
        """The depthwise convolution of channels-first ``x``: one group per input channel."""
        return self._padded_conv(x, weight, bias, x.shape[1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "depth_multiplier": self.depth_multiplier,
            **kernel_bias_config(self, "depthwise"),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, kernel_size={self.kernel_size}, strides={self.strides}, "
            f"padding={self.padding!r}, depth_multiplier={self.depth_multiplier}"
        )


class BaseDepthwiseConv(BaseDepthwise):
    """N-D depthwise convolution with bias ``(in * depth_multiplier,)``."""

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        groups: int = 1,
        **kwargs: Any,
    ) -> None:
        conv_utils.check_groups_is_one(type(self).__name__, groups)
        super().__init__(
            rank, depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        in_channels = self._build_depthwise(input_shape, "kernel", "weight")
        self._add_bias(in_channels * self.depth_multiplier)
        self._finish_build(in_channels)

    @property
    def kernel(self) -> torch.Tensor:
        """Keras layout ``(*kernel_size, in, depth_multiplier)``: a view of ``weight``."""
        return self._keras_weight(0, "kernel")

    @property
    def depthwise_kernel(self) -> torch.Tensor:
        """tf.keras' name for ``kernel``."""
        return self.kernel

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        return self._depthwise(x, self.weight, self.bias)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = self._checked_rank(input_shape)
        in_channels = input_shape[self._channel_axis]
        channels = None if in_channels is None else in_channels * self.depth_multiplier
        return self._padded_output_shape(input_shape, channels, "kernel_size", self.kernel_size)


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution over ``(batch, steps, channels)``."""

    def __init__(
        self,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution over ``(batch, rows, cols, channels)`` (or channels_first)."""

    def __init__(
        self,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )
