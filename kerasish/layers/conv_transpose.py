"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

The Keras kernel ``(*k, filters, in)`` and torch's ``ConvTranspose`` weight
``(in, filters, *k)`` are one permutation apart, so ``weight`` is stored for
``torch.nn.ConvTransposeNd`` and ``kernel`` is a view (see ``saving/layouts.py``).

Keras keeps TensorFlow's output window ("same" with stride > 1 crops the full transposed
output asymmetrically; ``output_padding`` extends it at the end). Relative to torch's full
output (``padding=0``) that window is a crop before and after each axis, fixed by the kernel,
stride, dilation, padding and output_padding alone. When the crops are torch's symmetric
``padding`` plus an ``output_padding`` at the end, torch computes the window directly;
otherwise the full output is sliced (a view) and, where Keras pads, zero-padded.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import constraints, initializers, regularizers
from kerasish.layers import conv_utils
from kerasish.layers.conv_utils import IntOrTuple
from kerasish.layers.convolutional import BaseConv, ConvLayer
from kerasish.layers.kernel_config import kernel_bias_config
from kerasish.saving import layouts

_TORCH_CONV_TRANSPOSE: dict[int, Callable[..., torch.Tensor]] = {
    1: F.conv_transpose1d,
    2: F.conv_transpose2d,
    3: F.conv_transpose3d,
}


class BaseConvTranspose(ConvLayer):
    """N-D transposed convolution; ``rank`` is the number of spatial axes."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        output_padding: Optional[IntOrTuple] = None,
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        groups: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, kernel_size, strides, padding, data_format, dilation_rate, activation,
            bool(use_bias), bias_initializer, bias_regularizer, activity_regularizer,
            bias_constraint, **kwargs,
        )
        conv_utils.check_groups_is_one(type(self).__name__, groups)
        conv_utils.check_positive("filters", filters)
        self.filters = filters
        self.output_padding = (
            None
            if output_padding is None
            else conv_utils.standardize_tuple(
                output_padding, rank, "output_padding", allow_zero=True
            )
        )
        if self.output_padding is not None:
            for i, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise ValueError(
                        "`output_padding` must be strictly less than `strides` for all "
                        f"dimensions. At dimension {i}, `output_padding` is {extra} but "
                        f"`strides` is {stride}. Received: output_padding="
                        f"{self.output_padding}, strides={self.strides}"
                    )
        conv_utils.check_strides_dilation(self.strides, self.dilation_rate)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._torch_conv_transpose = _TORCH_CONV_TRANSPOSE[rank]
        self._plan_window()

    def _plan_window(self) -> None:
        """Torch's (padding, output_padding) for Keras' window, or the crops to apply after."""
        extras = self.output_padding or (None,) * self.rank
        self._crops = [
            conv_utils.transpose_crops(k, s, d, self.padding, extra)
            for k, s, d, extra in zip(self.kernel_size, self.strides, self.dilation_rate, extras)
        ]
        native = all(
            before >= 0 and 0 <= before - after < max(s, d)
            for (before, after), s, d in zip(self._crops, self.strides, self.dilation_rate)
        )
        if native:
            self._torch_padding = tuple(before for before, _ in self._crops)
            self._torch_output_padding = tuple(before - after for before, after in self._crops)
        else:
            self._torch_padding = self._torch_output_padding = None

    # ------------------------------------------------------------------- build

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)  # validates the rank
        in_channels = self._known_channels(input_shape)
        self.add_weight(
            "kernel",
            shape=self.kernel_size + (self.filters, in_channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias(self.filters)
        self._finish_build(in_channels)

    @property
    def kernel(self) -> torch.Tensor:
        """Keras layout ``(*kernel_size, filters, in)``: a view of ``weight``."""
        return layouts.lookup(type(self), "kernel").to_keras(self.weight)

    # -------------------------------------------------------------------- call

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        if self._torch_padding is None:
            return self._cropped(x)
        return self._torch_conv_transpose(
            x, self.weight, self.bias, self.strides, self._torch_padding,
            self._torch_output_padding, 1, self.dilation_rate,
        )

    def _cropped(self, x: torch.Tensor) -> torch.Tensor:
        pads = any(before < 0 or after < 0 for before, after in self._crops)
        # With zero padding to add, the bias goes on after it (Keras adds it to the padded
        # output too).
        bias = None if pads else self.bias
        full = self._torch_conv_transpose(
            x, self.weight, bias, self.strides, 0, 0, 1, self.dilation_rate
        )
        window = (slice(None), slice(None)) + tuple(
            slice(max(before, 0), size - max(after, 0))
            for (before, after), size in zip(self._crops, full.shape[2:])
        )
        outputs = full[window]
        if pads:
            amounts = [
                amount
                for before, after in reversed(self._crops)
                for amount in (max(-before, 0), max(-after, 0))
            ]
            outputs = F.pad(outputs, amounts)
            if self.bias is not None:
                outputs = outputs + self.bias.view((-1,) + (1,) * self.rank)
        return outputs

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = self._checked_rank(input_shape)
        extras = self.output_padding or (None,) * self.rank
        spatial = conv_utils.spatial_axes(input_shape, self.data_format)
        out = tuple(
            conv_utils.transpose_output_length(size, k, s, self.padding, extra, d)
            for size, k, s, extra, d in zip(
                spatial, self.kernel_size, self.strides, extras, self.dilation_rate
            )
        )
        return conv_utils.with_spatial(input_shape, out, self.filters, self.data_format)

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **kernel_bias_config(self),
        }

    extra_repr = BaseConv.extra_repr


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)``."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        output_padding: Optional[IntOrTuple] = None,
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
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
            1, filters, kernel_size, strides, padding, output_padding, data_format,
            dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint, **kwargs,
        )


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution over ``(batch, rows, cols, channels)`` (or channels_first)."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1),
        padding: str = "valid",
        output_padding: Optional[IntOrTuple] = None,
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = (1, 1),
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
            2, filters, kernel_size, strides, padding, output_padding, data_format,
            dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint, **kwargs,
        )


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over ``(batch, d1, d2, d3, channels)`` (or channels_first)."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = (1, 1, 1),
        padding: str = "valid",
        data_format: Optional[str] = None,
        output_padding: Optional[IntOrTuple] = None,
        dilation_rate: IntOrTuple = (1, 1, 1),
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
            3, filters, kernel_size, strides, padding, output_padding, data_format,
            dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
            kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint, **kwargs,
        )


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
