"""Depthwise convolutions: DepthwiseConv1D/2D, and the depthwise step shared with SeparableConv.

A depthwise convolution filters each input channel on its own with ``depth_multiplier``
kernels: torch's ``ConvNd(groups=in_channels)``, whose weight ``(in * dm, 1, *k)`` orders the
outputs channel-major (``c * dm + m``), exactly as Keras does. The Keras kernel is
``(*k, in, dm)``; the two are one reshape-and-permute apart (views both ways).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from kerasish import activations, backend, constraints, initializers, regularizers
from kerasish.layers import conv_utils
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.saving import layouts

IntOrTuple = Union[int, Sequence[int]]

TORCH_CONV: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d}


class BaseDepthwise(Layer):
    """What depthwise and separable convolutions share: arguments, padding, the depthwise step."""

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
        super().__init__(activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        if (
            isinstance(depth_multiplier, bool)
            or not isinstance(depth_multiplier, int)
            or depth_multiplier <= 0
        ):
            raise ValueError(
                "Invalid value for argument `depth_multiplier`. Expected a strictly positive "
                f"value. Received depth_multiplier={depth_multiplier}."
            )
        self.rank = rank
        self.depth_multiplier = depth_multiplier
        self.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = conv_utils.standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._channels_last = self.data_format == "channels_last"
        self._torch_conv = TORCH_CONV[rank]
        self._static_padding = conv_utils.symmetric_padding(
            self.padding, self.kernel_size, self.strides, self.dilation_rate
        )

    def _in_channels(self, input_shape: tuple) -> Optional[int]:
        return input_shape[-1 if self._channels_last else 1]

    def _build_depthwise(self, input_shape: tuple, keras_name: str, torch_name: str) -> int:
        """Check the input, create the depthwise kernel; return the input channel count."""
        self.compute_output_shape(input_shape)  # validates rank and output size
        in_channels = self._in_channels(input_shape)
        if in_channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' should be defined. Received input shape {input_shape}."
            )
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
        channel_axis = -1 if self._channels_last else 1
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={channel_axis: in_channels})
        return in_channels

    def _depthwise(
        self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]
    ) -> torch.Tensor:
        """The depthwise convolution of channels-first ``x``, padded as Keras pads."""
        padding = self._static_padding
        if padding is None:
            x, padding = conv_utils.pad_input(
                x, self.padding, self.kernel_size, self.strides, self.dilation_rate
            )
        return self._torch_conv(
            x, weight, bias, self.strides, padding, self.dilation_rate, x.shape[1]
        )

    def _output_shape(self, input_shape: Sequence[Optional[int]], channels: Any) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2} (batch, {self.rank} spatial axes, channels). Received input "
                f"of shape {input_shape}."
            )
        spatial = conv_utils.spatial_axes(input_shape, self.data_format)
        out = tuple(
            conv_utils.output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Computed output size would be zero or negative. Received `inputs "
                f"shape={input_shape}`, `kernel_size={self.kernel_size}`, "
                f"`dilation_rate={self.dilation_rate}`, `strides={self.strides}`, "
                f"`padding={self.padding}`."
            )
        return conv_utils.with_spatial(input_shape, out, channels, self.data_format)

    def _depthwise_config(self) -> dict:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "depth_multiplier": self.depth_multiplier,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, kernel_size={self.kernel_size}, strides={self.strides}, "
            f"padding={self.padding!r}, depth_multiplier={self.depth_multiplier}"
        )


def check_groups(layer_name: str, groups: Any) -> None:
    """tf.keras wrote ``groups: 1`` into these configs (Keras 3 refuses the key)."""
    if groups != 1:
        raise NotImplementedError(
            f"{layer_name}(groups={groups}) is not supported: only groups=1 (what Keras 2 "
            "configs store) is accepted."
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
        check_groups(type(self).__name__, groups)
        super().__init__(
            rank, depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        in_channels = self._build_depthwise(input_shape, "kernel", "weight")
        if self.use_bias:
            self.add_weight(
                "bias",
                shape=(in_channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    @property
    def kernel(self) -> torch.Tensor:
        """Keras layout ``(*kernel_size, in, depth_multiplier)``: a view of ``weight``."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._keras_variables[0].value

    @property
    def depthwise_kernel(self) -> torch.Tensor:
        """tf.keras' name for ``kernel``."""
        return self.kernel

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.movedim(-1, 1) if self._channels_last else inputs
        outputs = self._depthwise(x, self.weight, self.bias)
        if self._channels_last:
            outputs = outputs.movedim(1, -1)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        in_channels = self._in_channels(tuple(input_shape))
        channels = None if in_channels is None else in_channels * self.depth_multiplier
        return self._output_shape(input_shape, channels)

    def get_config(self) -> dict:
        return self._depthwise_config()


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
