"""Reshaping layers: Permute, RepeatVector, ZeroPadding, Cropping and UpSampling in 1-3D.

These layers move values without computing new ones, so their outputs keep the input dtype
and, where torch allows it, are views of the input: Permute, RepeatVector and Cropping copy
nothing. Nearest-neighbour upsampling is one broadcast-and-reshape (a single copy) instead of
one ``repeat_interleave`` per axis.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers import conv_utils
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.preprocessing import resize_images

Shape = Sequence[Optional[int]]
IntOrPairs = Union[int, Sequence[Any]]

_ORDINALS = ("1st", "2nd", "3rd")


class _MovesValues(Layer):
    """Output dtype is the input dtype (an integer input stays integer)."""

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else kwargs["inputs"]
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)), inputs.dtype)


def _spatial_offset(data_format: str) -> int:
    return 2 if data_format == "channels_first" else 1


# ------------------------------------------------------------ Permute, RepeatVector


class Permute(_MovesValues):
    """Permutes the non-batch axes: ``dims`` is a permutation of ``1..rank-1``."""

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.permute((0,) + self.dims)

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(_MovesValues):
    """``(batch, features)`` to ``(batch, n, features)``; the output is a broadcast view."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


# -------------------------------------------------------------------- padding


def _pairs(value: IntOrPairs, rank: int, what: str) -> tuple:
    """``value`` as ``rank`` (before, after) pairs, Keras' accepted spellings and messages."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{what}` cannot be negative. Received: {what}={value}.")
        return ((value, value),) * rank
    if not hasattr(value, "__len__"):
        raise ValueError(
            f"`{what}` should be either an int, a tuple of {rank} ints, or a tuple of {rank} "
            f"tuples of 2 ints. Received: {what}={value}."
        )
    if len(value) != rank:
        count = "two" if rank == 2 else str(rank)
        raise ValueError(f"`{what}` should have {count} elements. Received: {what}={value}.")
    return tuple(
        conv_utils.standardize_tuple(v, 2, f"{_ORDINALS[i]} entry of {what}", allow_zero=True)
        for i, v in enumerate(value)
    )


class _ZeroPadding(_MovesValues):
    _rank = 1

    def __init__(self, padding: Any, data_format: Optional[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        if self._rank == 1:
            self.padding = conv_utils.standardize_tuple(padding, 2, "padding", allow_zero=True)
            self._pairs = (self.padding,)
        else:
            self.padding = _pairs(padding, self._rank, "padding")
            self._pairs = self.padding
        # F.pad lists (before, after) from the last axis backwards.
        pads: list[int] = [0, 0] if self.data_format == "channels_last" else []
        for before, after in reversed(self._pairs):
            pads.extend((before, after))
        self._torch_pads = tuple(pads)
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.pad(inputs, self._torch_pads)

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        shape = list(input_shape)
        offset = _spatial_offset(self.data_format)
        for i, (before, after) in enumerate(self._pairs):
            if shape[offset + i] is not None:
                shape[offset + i] += before + after
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps axis: ``padding`` is an int or ``(before, after)``."""

    _rank = 1

    def __init__(
        self, padding: IntOrPairs = 1, data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        # tf.keras' ZeroPadding1D has no data_format; write it only when it matters.
        if self.data_format == "channels_last":
            config.pop("data_format")
        return config


class ZeroPadding2D(_ZeroPadding):
    _rank = 2

    def __init__(
        self, padding: IntOrPairs = (1, 1), data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    _rank = 3

    def __init__(
        self,
        padding: IntOrPairs = ((1, 1), (1, 1), (1, 1)),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


# ------------------------------------------------------------------- cropping


class _Cropping(_MovesValues):
    _rank = 1

    def __init__(self, cropping: Any, data_format: Optional[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        if self._rank == 1:
            self.cropping = conv_utils.standardize_tuple(cropping, 2, "cropping", allow_zero=True)
            self._pairs = (self.cropping,)
        else:
            self.cropping = _pairs(cropping, self._rank, "cropping")
            self._pairs = self.cropping
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.built = True

    def _too_large(self, shape: Shape, what: str) -> ValueError:
        if self._rank == 1:
            return ValueError(
                "`cropping` parameter of `Cropping1D` layer must be smaller than the input "
                f"length. Received: {what}={tuple(shape)}, cropping={self.cropping}"
            )
        return ValueError(
            "Values in `cropping` argument should be smaller than the corresponding spatial "
            f"dimension of the input. Received: {what}={tuple(shape)}, "
            f"cropping={self.cropping}"
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        offset = _spatial_offset(self.data_format)
        index: list[Any] = [slice(None)] * inputs.ndim
        for i, (before, after) in enumerate(self._pairs):
            size = inputs.shape[offset + i]
            if before + after >= size:
                raise self._too_large(inputs.shape, "inputs.shape")
            index[offset + i] = slice(before, size - after)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        shape = list(input_shape)
        offset = _spatial_offset(self.data_format)
        for i, (before, after) in enumerate(self._pairs):
            size = shape[offset + i]
            if size is None:
                continue
            if before + after >= size:
                raise self._too_large(input_shape, "input_shape")
            shape[offset + i] = size - before - after
        return tuple(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "cropping": self.cropping,
            "data_format": self.data_format,
        }


class Cropping1D(_Cropping):
    """Removes ``cropping`` steps at the start and end of ``(batch, steps, features)``."""

    _rank = 1

    def __init__(self, cropping: IntOrPairs = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("data_format")
        return config


class Cropping2D(_Cropping):
    _rank = 2

    def __init__(
        self,
        cropping: IntOrPairs = ((0, 0), (0, 0)),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    _rank = 3

    def __init__(
        self,
        cropping: IntOrPairs = ((1, 1), (1, 1), (1, 1)),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


# ----------------------------------------------------------------- upsampling


def repeat_spatial(inputs: torch.Tensor, first_axis: int, sizes: Sequence[int]) -> torch.Tensor:
    """Repeat each element ``sizes[i]`` times along axis ``first_axis + i``, in one copy."""
    shape = list(inputs.shape)
    expanded_shape: list[int] = []
    view_shape: list[int] = []
    out_shape: list[int] = []
    for axis, size in enumerate(shape):
        i = axis - first_axis
        if 0 <= i < len(sizes):
            view_shape.extend((size, 1))
            expanded_shape.extend((size, sizes[i]))
            out_shape.append(size * sizes[i])
        else:
            view_shape.append(size)
            expanded_shape.append(size)
            out_shape.append(size)
    return inputs.reshape(view_shape).expand(expanded_shape).reshape(out_shape)


class _UpSampling(_MovesValues):
    _rank = 1

    def __init__(self, size: Any, data_format: Optional[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return repeat_spatial(inputs, _spatial_offset(self.data_format), self._sizes)

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        shape = list(input_shape)
        offset = _spatial_offset(self.data_format)
        for i, factor in enumerate(self._sizes):
            if shape[offset + i] is not None:
                shape[offset + i] *= factor
        return tuple(shape)


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times."""

    _rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size, "channels_last", **kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = size
        self._sizes = (size,)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


_UPSAMPLING_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


class UpSampling2D(_UpSampling):
    """Repeats rows and columns (``"nearest"``) or resizes with ``F.interpolate``.

    ``"bilinear"`` and ``"bicubic"`` are Keras 3's image resize on torch: half-pixel centres
    (``align_corners=False``) and no antialiasing.
    """

    _rank = 2

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: Optional[str] = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(size, data_format, **kwargs)
        self.size = conv_utils.standardize_tuple(size, 2, "size")
        self._sizes = self.size
        self.interpolation = interpolation.lower()
        if self.interpolation not in _UPSAMPLING_INTERPOLATIONS:
            raise ValueError(
                f"Invalid value for argument `interpolation` of UpSampling2D layer "
                f"'{self.name}'. Expected one of {_UPSAMPLING_INTERPOLATIONS}. Received: "
                f"interpolation={interpolation}"
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.interpolation == "nearest":
            return super().call(inputs)
        channels_last = self.data_format == "channels_last"
        x = inputs.movedim(-1, 1) if channels_last else inputs
        size = (x.shape[2] * self.size[0], x.shape[3] * self.size[1])
        out = resize_images(x, size, self.interpolation)
        return out.movedim(1, -1) if channels_last else out

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(_UpSampling):
    _rank = 3

    def __init__(
        self, size: Any = (2, 2, 2), data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(size, data_format, **kwargs)
        self.size = conv_utils.standardize_tuple(size, 3, "size")
        self._sizes = self.size

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
