"""Pooling layers: max and average pooling over windows, and global pooling.

Keras' ``"same"`` padding follows TensorFlow: ``ceil(n / stride)`` outputs, the odd padded cell
at the end, padded cells never win a max and never count in an average's divisor. torch can
say exactly that without padding the input, because its implicit padding is ``-inf`` for max
and, with ``count_include_pad=False``, left out of an average's divisor:

* even total padding: pad half on each side;
* odd total, stride > 1: pad the smaller half on each side and let ``ceil_mode=True`` add the
  last window, which hangs over the end; its missing cells are likewise ignored;
* odd total, stride 1: pad the larger half on each side and drop the first output, whose
  window is the only one shifted onto the extra leading pad.

So every pooling call is one torch kernel on a view, plus at most a slicing view.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers import conv_utils
from kerasish.layers.base import Layer
from kerasish.layers.conv_utils import IntOrTuple
from kerasish.layers.input_spec import InputSpec

_MAX_POOL: dict[int, Callable[..., torch.Tensor]] = {
    1: F.max_pool1d,
    2: F.max_pool2d,
    3: F.max_pool3d,
}
_AVG_POOL: dict[int, Callable[..., torch.Tensor]] = {
    1: F.avg_pool1d,
    2: F.avg_pool2d,
    3: F.avg_pool3d,
}


class BasePooling(Layer):
    """Windowed pooling; ``pool_mode`` is ``"max"`` or ``"average"``."""

    def __init__(
        self,
        pool_size: IntOrTuple,
        strides: Optional[IntOrTuple],
        pool_dimensions: int,
        pool_mode: str = "max",
        padding: str = "valid",
        data_format: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"`pool_mode` must be either 'max' or 'average'. Received: {pool_mode}."
            )
        self.pool_size = conv_utils.standardize_tuple(pool_size, pool_dimensions, "pool_size")
        strides = pool_size if strides is None else strides
        self.strides = conv_utils.standardize_tuple(strides, pool_dimensions, "strides")
        self.pool_mode = pool_mode
        self.padding = conv_utils.standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self._channels_last = self.data_format == "channels_last"
        self._pool = (_MAX_POOL if pool_mode == "max" else _AVG_POOL)[pool_dimensions]
        self._extra = {} if pool_mode == "max" else {"count_include_pad": False}
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.movedim(-1, 1) if self._channels_last else inputs
        if self.padding == "valid":
            outputs = self._pool(x, self.pool_size, self.strides, 0, **self._extra)
        else:
            padding, drop_first = self._same_padding(x.shape[2:])
            outputs = self._pool(
                x, self.pool_size, self.strides, padding, ceil_mode=True, **self._extra
            )
            if any(drop_first):
                outputs = outputs[(Ellipsis,) + tuple(slice(int(d), None) for d in drop_first)]
        return outputs.movedim(1, -1) if self._channels_last else outputs

    def _same_padding(self, spatial: Sequence[int]) -> tuple[tuple, tuple]:
        """torch's symmetric padding per axis, and which axes lose their first output."""
        padding, drop_first = [], []
        for size, k, s in zip(spatial, self.pool_size, self.strides):
            before, after = conv_utils.same_padding(size, k, s)
            shift = s == 1 and after > before
            padding.append(after if shift else before)
            drop_first.append(shift)
        return tuple(padding), tuple(drop_first)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        spatial = conv_utils.spatial_axes(input_shape, self.data_format)
        out = tuple(
            conv_utils.output_length(size, k, s, self.padding)
            for size, k, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Computed output size would be zero or negative. Received: "
                f"`inputs.shape={input_shape}`, `pool_size={self.pool_size}`, "
                f"`strides={self.strides}`, `padding={self.padding}`."
            )
        channels = input_shape[-1] if self._channels_last else input_shape[1]
        return conv_utils.with_spatial(input_shape, out, channels, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


# Keras spells out each pooling layer's constructor, with defaults that depend on the rank
# only; max and average pooling of one rank share theirs (as Keras 2's ``_Pooling2D`` did).


class _Pooling1D(BasePooling):
    _pool_mode: str

    def __init__(
        self,
        pool_size: IntOrTuple = 2,
        strides: Optional[IntOrTuple] = None,
        padding: str = "valid",
        data_format: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 1, self._pool_mode, padding, data_format, name, **kwargs
        )


class _Pooling2D(BasePooling):
    _pool_mode: str

    def __init__(
        self,
        pool_size: IntOrTuple = (2, 2),
        strides: Optional[IntOrTuple] = None,
        padding: str = "valid",
        data_format: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 2, self._pool_mode, padding, data_format, name, **kwargs
        )


class _Pooling3D(BasePooling):
    _pool_mode: str

    def __init__(
        self,
        pool_size: IntOrTuple = (2, 2, 2),
        strides: Optional[IntOrTuple] = None,
        padding: str = "valid",
        data_format: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 3, self._pool_mode, padding, data_format, name, **kwargs
        )


class MaxPooling1D(_Pooling1D):
    _pool_mode = "max"


class MaxPooling2D(_Pooling2D):
    _pool_mode = "max"


class MaxPooling3D(_Pooling3D):
    _pool_mode = "max"


class AveragePooling1D(_Pooling1D):
    _pool_mode = "average"


class AveragePooling2D(_Pooling2D):
    _pool_mode = "average"


class AveragePooling3D(_Pooling3D):
    _pool_mode = "average"


# ---------------------------------------------------------------- global pooling


class BaseGlobalPooling(Layer):
    """Reduce all spatial axes; ``keepdims`` keeps them as size 1."""

    _reduce: Callable[..., torch.Tensor]

    def __init__(
        self,
        pool_dimensions: int,
        data_format: Optional[str] = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + pool_dimensions))
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return type(self)._reduce(inputs, dim=self._axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        spatial = (1,) * (len(input_shape) - 2) if self.keepdims else ()
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        return conv_utils.with_spatial(input_shape, spatial, channels, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "keepdims": self.keepdims,
        }


class _GlobalPooling(BaseGlobalPooling):
    """Keras' global pooling constructor, the same for every rank (the class's ``_rank``)."""

    _rank: int

    def __init__(
        self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(self._rank, data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over steps; with a mask, the mean of the unmasked steps only."""

    _rank = 1

    def __init__(
        self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        axis = self._axes[0]
        if mask is None:
            return inputs.mean(dim=axis, keepdim=self.keepdims)
        keep = mask.to(torch.bool).unsqueeze(2 if axis == 1 else 1)
        total = torch.where(keep, inputs, 0).sum(dim=axis, keepdim=self.keepdims)
        return total / keep.to(inputs.dtype).sum(dim=axis, keepdim=self.keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    _rank = 2
    _reduce = torch.mean


class GlobalAveragePooling3D(_GlobalPooling):
    _rank = 3
    _reduce = torch.mean


class GlobalMaxPooling1D(_GlobalPooling):
    _rank = 1
    _reduce = torch.amax


class GlobalMaxPooling2D(_GlobalPooling):
    _rank = 2
    _reduce = torch.amax


class GlobalMaxPooling3D(_GlobalPooling):
    _rank = 3
    _reduce = torch.amax


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
