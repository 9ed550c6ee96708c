"""Convolution layers: Conv1D, Conv2D, Conv3D on ``torch.nn.functional.convNd``, and
``ConvLayer``, what they share with the transposed, depthwise and separable convolutions.

Weights are stored as torch's ``ConvNd`` stores them (``weight`` is ``(out, in/groups, *k)``),
so a layer's ``state_dict`` loads into ``torch.nn.ConvNd``; ``kernel`` and ``get_weights`` give
Keras' ``(*k, in/groups, out)`` layout through the one layout table.

torch convolves channels-first tensors. A channels_last input is handed to torch as a permuted
view (no copy); for a contiguous NHWC tensor that view *is* torch's ``channels_last`` memory
format, which its kernels handle natively, and permuting the result back is again a view.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import activations, backend, constraints, initializers, regularizers
from kerasish.layers import conv_utils
from kerasish.layers.base import Layer
from kerasish.layers.conv_utils import IntOrTuple
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.kernel_config import kernel_bias_config
from kerasish.layers.lora import TorchLayoutLoraMixin
from kerasish.saving import layouts

_TORCH_CONV: dict[int, Callable[..., torch.Tensor]] = {
    1: F.conv1d,
    2: F.conv2d,
    3: F.conv3d,
}


class ConvLayer(Layer):
    """What every convolution (plain, transposed, depthwise, separable) does alike.

    Keras' window arguments, the activation and the bias, the checks of an input's rank and
    channels, and the call: the input goes to torch channels-first, the subclass convolves it
    (``_convolve``), and the activation applies to the result in the layer's own layout.
    ``_padded_conv`` is torch's ``convNd`` on an input padded as Keras pads; a transposed
    convolution crops its output instead and does not use it.
    """

    def __init__(
        self,
        rank: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple,
        padding: str,
        data_format: Optional[str],
        dilation_rate: IntOrTuple,
        activation: Any,
        use_bias: bool,
        bias_initializer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        bias_constraint: Any,
        allow_causal: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self.rank = rank
        self.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = conv_utils.standardize_padding(padding, allow_causal)
        self.data_format = backend.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._channels_last = self.data_format == "channels_last"
        self._channel_axis = -1 if self._channels_last else 1
        self._torch_conv = _TORCH_CONV[rank]
        self._static_padding = conv_utils.symmetric_padding(
            self.padding, self.kernel_size, self.strides, self.dilation_rate
        )

    # ------------------------------------------------------------------ build

    def _checked_rank(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2} (batch, {self.rank} spatial axes, channels). Received input "
                f"of shape {input_shape}."
            )
        return input_shape

    def _known_channels(self, input_shape: tuple) -> int:
        """The input's channel count, which sizes the kernel and so must be known."""
        in_channels = input_shape[self._channel_axis]
        if in_channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' should be defined. Received input shape {input_shape}."
            )
        return in_channels

    def _add_bias(self, size: int) -> None:
        if self.use_bias:
            self.add_weight(
                "bias",
                shape=(size,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def _finish_build(self, in_channels: int) -> None:
        """Later inputs must have the channel count the weights were made for."""
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: in_channels})
        self.built = True

    # ------------------------------------------------------------------- call

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.movedim(-1, 1) if self._channels_last else inputs
        outputs = self._convolve(x)
        if self._channels_last:
            outputs = outputs.movedim(1, -1)
        return self.activation(outputs)

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's convolution of channels-first ``x``, before the activation."""
        raise NotImplementedError

    def _padded_conv(
        self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], groups: int
    ) -> torch.Tensor:
        padding = self._static_padding
        if padding is None:
            x, padding = conv_utils.pad_input(
                x, self.padding, self.kernel_size, self.strides, self.dilation_rate
            )
        return self._torch_conv(x, weight, bias, self.strides, padding, self.dilation_rate, groups)

    def _padded_output_shape(
        self, input_shape: tuple, channels: Any, kernel_label: str, kernel: tuple
    ) -> tuple:
        """The output shape of ``_padded_conv`` for a rank-checked input shape;
        ``kernel_label``/``kernel`` describe the kernel if the output would be empty."""
        spatial = conv_utils.spatial_axes(input_shape, self.data_format)
        out = tuple(
            conv_utils.output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Computed output size would be zero or negative. Received `inputs "
                f"shape={input_shape}`, `{kernel_label}={kernel}`, "
                f"`dilation_rate={self.dilation_rate}`, `strides={self.strides}`, "
                f"`padding={self.padding}`."
            )
        return conv_utils.with_spatial(input_shape, out, channels, self.data_format)


class BaseConv(TorchLayoutLoraMixin, ConvLayer):
    """N-D convolution; ``rank`` is the number of spatial axes.

    With LoRA (``lora_rank=``/``enable_lora``, Keras 3's Conv1D/2D/3D) the kernel is frozen and
    ``lora_A``/``lora_B`` adapt it (``layers/lora.py``).
    """

    _lora_dispatch = ("_convolve", "_lora_convolve")

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: Optional[int] = None,
        lora_alpha: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias, bias_initializer, bias_regularizer, activity_regularizer, bias_constraint,
            allow_causal=rank == 1, **kwargs,
        )
        conv_utils.check_positive("filters", filters)
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(
                f"The number of groups must be a positive integer. Received: groups={groups}."
            )
        if filters % groups:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
        conv_utils.check_strides_dilation(self.strides, self.dilation_rate)
        self.filters = filters
        self.groups = groups
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._init_lora(lora_rank, lora_alpha)

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        in_channels = self._known_channels(input_shape)
        if in_channels % self.groups:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of "
                f"groups. Received groups={self.groups}, but the input has {in_channels} "
                f"channels (full input shape is {input_shape})."
            )
        self.compute_output_shape(input_shape)  # validates rank and output size
        self.add_weight(
            "kernel",
            shape=self.kernel_size + (in_channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias(self.filters)
        self._finish_build(in_channels)
        self._build_lora()

    @property
    def kernel(self) -> torch.Tensor:
        """The kernel in Keras layout ``(*kernel_size, in/groups, filters)``: a view of ``weight``,
        or with LoRA the merged kernel, as Keras returns it."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        weight = self._lora_merged() if self.lora_enabled else self.weight
        return layouts.lookup(type(self), "kernel").to_keras(weight)

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        return self._padded_conv(x, self.weight, self.bias, self.groups)

    def _lora_convolve(self, x: torch.Tensor) -> torch.Tensor:
        return self._padded_conv(x, self._lora_merged(), self.bias, self.groups)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = self._checked_rank(input_shape)
        kernel_shape = self.kernel_size + (input_shape[self._channel_axis], self.filters)
        return self._padded_output_shape(input_shape, self.filters, "kernel shape", kernel_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            **kernel_bias_config(self),
            **self._lora_config(),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
            f"strides={self.strides}, padding={self.padding!r}"
        )


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; also ``padding="causal"``."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
            activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs,
        )


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, rows, cols, channels)`` (or channels_first)."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1),
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = (1, 1),
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
            activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs,
        )


class Conv3D(BaseConv):
    """3-D convolution over ``(batch, d1, d2, d3, channels)`` (or channels_first)."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1, 1),
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = (1, 1, 1),
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
            activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs,
        )


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
