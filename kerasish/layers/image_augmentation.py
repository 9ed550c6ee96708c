"""Keras 3's random image augmentation layers: RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast, RandomBrightness, RandomCrop.

As in Keras 3, they return their input (cast to the compute dtype; the colour layers cast only
floating inputs) unchanged at inference; only ``training=True`` (or a model in training mode, as
inside ``fit``) draws fresh parameters, one set per image, from a torch generator (seeded by
``seed`` when given). Geometric layers build one affine matrix per image and resample the whole
batch in one vectorised gather with Keras 3's ``affine_transform`` rules (its index fixers,
per-corner fill and rounding), so the same parameters give Keras' pixels.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import torch

from kerasish import backend, devices
from kerasish.layers.base import Layer
from kerasish.layers.preprocessing import resize_images

Factor = Union[float, Sequence[float]]

_INTERPOLATIONS = ("nearest", "bilinear")
_LAYER_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


# ------------------------------------------------------------------ affine transform


def _mirror(index: torch.Tensor, size: int) -> torch.Tensor:
    if size == 1:
        return torch.zeros_like(index)
    period = size - 1
    return ((index + period) % (2 * period) - period).abs()


def _reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    return torch.div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")


_INDEX_FIXERS: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "constant": lambda index, size: index.clamp(0, size - 1),
    "nearest": lambda index, size: index.clamp(0, size - 1),
    "wrap": lambda index, size: index % size,
    "mirror": _mirror,
    "reflect": _reflect,
}


def _source_coordinates(
    transform: torch.Tensor, height: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input (row, column) of every output pixel: ``(batch, height, width)`` each."""
    t = transform.unsqueeze(-1).unsqueeze(-1)  # (batch, 8, 1, 1)
    ys = torch.arange(height, dtype=t.dtype, device=t.device).view(height, 1)
    xs = torch.arange(width, dtype=t.dtype, device=t.device).view(1, width)
    a0, a1, a2, b0, b1, b2, c0, c1 = t.unbind(1)
    # The projective denominator is exactly 1 for affine matrices (c0 = c1 = 0), so dividing
    # always keeps Keras' affine results bit for bit without checking the values on the host.
    k = c0 * xs + c1 * ys + 1.0
    return (ys * b1 + xs * b0 + b2) / k, (ys * a1 + xs * a0 + a2) / k


def affine_transform_nchw(
    images: torch.Tensor,
    transform: torch.Tensor,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
) -> torch.Tensor:
    """Resample ``(batch, channels, height, width)`` images by ``(batch, 8)`` transforms.

    A transform ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps output pixel ``(x, y)`` to input
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with ``k = c0 x + c1 y + 1``, as
    ``keras.ops.image.affine_transform`` documents. Integer images are rounded back to their
    dtype, as Keras does.
    """
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(_INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    if fill_mode not in _FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one "
            f"{_FILL_MODES}. Received: fill_mode={fill_mode}"
        )
    batch = images.shape[0]
    if transform.ndim == 1:
        transform = transform.unsqueeze(0)
    transform = transform.to(device=images.device, dtype=torch.float32).expand(batch, 8)
    rows, cols = _source_coordinates(transform, images.shape[-2], images.shape[-1])
    return resample_nchw(images, rows, cols, interpolation, fill_mode, fill_value)


def resample_nchw(
    images: torch.Tensor,
    rows: torch.Tensor,
    cols: torch.Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """Sample ``(batch, channels, height, width)`` images at ``(batch, h_out, w_out)`` source
    coordinates by ``map_coordinates``' rules (all channels of an image share them), in one
    gather per interpolation corner. Integer images are rounded back to their dtype."""
    batch, channels, height, width = images.shape
    dtype = images.dtype
    x = images if dtype.is_floating_point else images.to(torch.float32)
    out_height, out_width = rows.shape[-2:]
    fixer = _INDEX_FIXERS[fill_mode]
    constant = fill_mode == "constant"
    # Each axis' sample points, fixed once: (index into the flat image, in bounds, weight).
    row_nodes = [
        (fixer(index, height) * width, (index >= 0) & (index < height) if constant else None, w)
        for index, w in _axis_nodes(rows, interpolation)
    ]
    col_nodes = [
        (fixer(index, width), (index >= 0) & (index < width) if constant else None, w)
        for index, w in _axis_nodes(cols, interpolation)
    ]
    flat = x.reshape(batch, channels, height * width)
    size = out_height * out_width
    out: Optional[torch.Tensor] = None
    for row_offset, row_valid, row_weight in row_nodes:
        for col, col_valid, col_weight in col_nodes:
            index = (row_offset + col).reshape(batch, 1, size)
            value = flat.gather(2, index.expand(batch, channels, -1))
            value = value.reshape(batch, channels, out_height, out_width)
            if row_valid is not None and col_valid is not None:
                value = torch.where((row_valid & col_valid).unsqueeze(1), value, fill_value)
            if row_weight is not None and col_weight is not None:
                value = (row_weight * col_weight).unsqueeze(1).to(value.dtype) * value
            out = value if out is None else out + value
    assert out is not None
    if dtype.is_floating_point:
        return out
    info = torch.iinfo(dtype)
    return out.round().clamp(info.min, info.max).to(dtype)


def _axis_nodes(coordinate: torch.Tensor, interpolation: str) -> list:
    """Keras' sample points along one axis: the rounded index, or the two neighbours with
    linear weights."""
    if interpolation == "nearest":
        return [(torch.round(coordinate).to(torch.int64), None)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.to(torch.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """``keras.ops.image.affine_transform``: rank 3 or 4 images, in either data format."""
    data_format = backend.standardize_data_format(data_format)
    images = torch.as_tensor(images)
    transform = torch.as_tensor(transform)
    if images.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: images.shape={tuple(images.shape)}"
        )
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            "Invalid transform: expected shape (8,) (single transform) or (batch, 8) (batch "
            f"of transforms). Received input with shape: transform.shape="
            f"{tuple(transform.shape)}"
        )
    unbatched = images.ndim == 3
    x = images.unsqueeze(0) if unbatched else images
    if data_format == "channels_last":
        x = x.movedim(-1, 1)
    out = affine_transform_nchw(x, transform, interpolation, fill_mode, fill_value)
    if data_format == "channels_last":
        out = out.movedim(1, -1)
    return out.squeeze(0) if unbatched else out


# ------------------------------------------------------------------ layers


class _RandomImageLayer(Layer):
    """Cast, then augment in training only; images are handled as ``(batch, c, h, w)``."""

    def __init__(
        self,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        bounding_box_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if bounding_box_format is not None:
            raise NotImplementedError(
                f"{type(self).__name__}: `bounding_box_format` (bounding-box augmentation) is "
                "not implemented in kerasish."
            )
        self.seed = seed
        self.data_format = backend.standardize_data_format(data_format)
        self._generators: dict = {}
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None) -> torch.Tensor:
        if isinstance(inputs, dict):
            raise NotImplementedError(
                f"{type(self).__name__}: dict inputs (images with labels, bounding boxes or "
                "segmentation masks) are not implemented in kerasish; pass an image tensor."
            )
        images = self._cast(torch.as_tensor(inputs))
        if training is None:
            training = self.training
        if images.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects rank 3 (one image) or "
                f"rank 4 (a batch of images) inputs. Received: inputs.shape="
                f"{tuple(images.shape)}"
            )
        if not training:
            return images
        return self._augment_images(images)

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(backend.torch_dtype(self.compute_dtype))

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        unbatched = images.ndim == 3
        x = images.unsqueeze(0) if unbatched else images
        if self.data_format == "channels_last":
            x = x.movedim(-1, 1)
        x = self._augment(x)
        if self.data_format == "channels_last":
            x = x.movedim(1, -1)
        return x.squeeze(0) if unbatched else x

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _uniform(
        self,
        batch: int,
        low: float,
        high: float,
        device: torch.device,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """``(batch,)`` draws in ``[low, high)``; ``low == high`` gives exactly ``low``."""
        generator = self._generator(device)
        u = torch.rand(batch, generator=generator, device=device, dtype=dtype)
        return u * (high - low) + low

    def _generator(self, device: torch.device) -> Optional[torch.Generator]:
        if self.seed is None or device.type == "meta":
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device)
            generator.manual_seed(int(self.seed))
            self._generators[device] = generator
        return generator

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2; both axes together in "horizontal_and_vertical".

    Keras 3 draws one coin per image for both axes, so that mode gives the image or its
    180-degree rotation, never a single-axis flip.
    """

    def __init__(
        self,
        mode: str = HORIZONTAL_AND_VERTICAL,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(
                f"RandomFlip layer '{self.name}': invalid value for argument `mode`. Expected "
                f"one of {(HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)}. Received: "
                f"mode={mode}"
            )
        self.mode = mode

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        flips = self._uniform(images.shape[0], 0.0, 1.0, images.device) <= 0.5
        flips = flips.view(-1, 1, 1, 1)
        axes = []
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            axes.append(-1)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            axes.append(-2)
        return torch.where(flips, images.flip(axes), images)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


def _check_resampling(layer: str, fill_mode: str, interpolation: str) -> None:
    """Keras 3 raises NotImplementedError (not ValueError) for both, with these messages."""
    if fill_mode not in _LAYER_FILL_MODES:
        raise NotImplementedError(
            f"{layer}: unknown `fill_mode` {fill_mode}. Expected of one {_LAYER_FILL_MODES}."
        )
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer}: unknown `interpolation` {interpolation}. Expected of one "
            f"{_INTERPOLATIONS}."
        )


class _AffineLayer(_RandomImageLayer):
    """Shared resampling settings; subclasses give one ``(batch, 8)`` matrix per call."""

    def __init__(
        self,
        fill_mode: str,
        interpolation: str,
        seed: Optional[int],
        fill_value: float,
        data_format: Optional[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        _check_resampling(f"{type(self).__name__} layer '{self.name}'", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        matrix = self._matrix(images.shape[0], images.shape[-2], images.shape[-1], images.device)
        return affine_transform_nchw(
            images, matrix, self.interpolation, self.fill_mode, float(self.fill_value)
        )

    def _matrix(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }


def _rows(*columns: torch.Tensor) -> torch.Tensor:
    return torch.stack(columns, dim=1)


class RandomRotation(_AffineLayer):
    """Rotates each image by ``factor * 2 pi`` radians, drawn per image, about its centre."""

    def __init__(
        self,
        factor: Factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _base_factor(factor or 0.0, (-1, 1))

    def _matrix(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        angle = self._uniform(batch, self.factor[0] * 360.0, self.factor[1] * 360.0, device)
        angle = angle * torch.tensor(math.pi / 180.0, dtype=torch.float32, device=device)
        cx = torch.tensor(0.5 * (width - 1.0), dtype=torch.float32, device=device)
        cy = torch.tensor(0.5 * (height - 1.0), dtype=torch.float32, device=device)
        cos, sin = torch.cos(angle), torch.sin(angle)
        zero = torch.zeros_like(angle)
        # Keras' centred rotation, term by term in its order so float32 rounding agrees.
        a2 = cx - cx * cos - cy * -sin
        b2 = cy - cx * sin - cy * cos
        return _rows(cos, -sin, a2, sin, cos, b2, zero, zero)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


def _base_factor(factor: Any, bounds: tuple) -> tuple:
    """Keras 3's ``BaseImagePreprocessingLayer._set_factor``: a number ``f`` means ``(-f, f)``
    cut at the lower bound, a pair is sorted."""
    message = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        return max(-abs(factor), bounds[0]), abs(factor)
    raise ValueError(message)


def _height_width_factor(
    factor: Any, name: str, message: str, in_range: Callable[[float], bool]
) -> tuple:
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{message}Received: {name}={factor}")
        for value in factor:
            if not in_range(value):
                raise ValueError(f"{message}Received: input_number={value}")
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not in_range(factor):
            raise ValueError(f"{message}Received: input_number={factor}")
        return -abs(factor), abs(factor)
    raise ValueError(f"{message}Received: {name}={factor}")


_ZOOM_ERROR = (
    "The `height_factor` and `width_factor` arguments should be a number (or a list of two "
    "numbers) in the range (-1.0, 1.0]. "
)
_TRANSLATION_ERROR = (
    "The `factor` argument should be a number (or a list of two numbers) in the range "
    "[-1.0, 1.0]. "
)


class RandomZoom(_AffineLayer):
    """Zooms each image about its centre; a negative factor zooms in (the image grows)."""

    def __init__(
        self,
        height_factor: Factor,
        width_factor: Optional[Factor] = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        def in_range(value: float) -> bool:
            return -1.0 < value <= 1.0

        height_range = _height_width_factor(height_factor, "height_factor", _ZOOM_ERROR, in_range)
        width_range = (
            height_range
            if width_factor is None
            else _height_width_factor(width_factor, "width_factor", _ZOOM_ERROR, in_range)
        )
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = height_range
        self.width_lower, self.width_upper = width_range

    def _matrix(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        zoom_h = self._uniform(batch, 1.0 + self.height_lower, 1.0 + self.height_upper, device)
        if self.width_factor is None:
            zoom_w = zoom_h
        else:
            zoom_w = self._uniform(batch, 1.0 + self.width_lower, 1.0 + self.width_upper, device)
        x_offset = ((width - 1.0) / 2.0) * (1.0 - zoom_w)
        y_offset = ((height - 1.0) / 2.0) * (1.0 - zoom_h)
        zero = torch.zeros_like(zoom_h)
        return _rows(zoom_w, zero, x_offset, zero, zoom_h, y_offset, zero, zero)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }


class RandomTranslation(_AffineLayer):
    """Shifts each image by a drawn fraction of its height and width."""

    def __init__(
        self,
        height_factor: Factor,
        width_factor: Factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        def in_range(value: float) -> bool:
            return -1.0 <= value <= 1.0

        height_range = _height_width_factor(
            height_factor, "height_factor", _TRANSLATION_ERROR, in_range
        )
        width_range = _height_width_factor(
            width_factor, "width_factor", _TRANSLATION_ERROR, in_range
        )
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = height_range
        self.width_lower, self.width_upper = width_range

    def _matrix(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        dy = self._uniform(batch, self.height_lower, self.height_upper, device) * height
        dx = self._uniform(batch, self.width_lower, self.width_upper, device) * width
        one, zero = torch.ones_like(dx), torch.zeros_like(dx)
        return _rows(one, zero, -dx, zero, one, -dy, zero, zero)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }


# ------------------------------------------------------------------ colour layers


class _ColourLayer(_RandomImageLayer):
    """Per-image colour changes: Keras casts only floating inputs, and clips to ``value_range``."""

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        if images.is_floating_point():
            return images.to(backend.torch_dtype(self.compute_dtype))
        return images

    def _clip(self, images: torch.Tensor) -> torch.Tensor:
        # Python bounds promote as Keras' 0-d tensor bounds do, without a copy to the device.
        return torch.clamp(images, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomContrast(_ColourLayer):
    """Scales each image's deviation from its per-channel mean by a factor drawn per image.

    ``factor=(lower, upper)`` draws from ``[1 - lower, 1 + upper]``, as Keras 3 does.
    """

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.value_range = value_range

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        shape = (images.shape[0], 1, 1, 1) if images.ndim == 4 else (1, 1, 1)
        dtype = backend.torch_dtype(self.compute_dtype)
        factor = self._uniform(
            math.prod(shape), 1.0 - self.factor[0], 1.0 + self.factor[1], images.device, dtype
        ).view(shape)
        height, width = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        mean_dtype = images.dtype if images.is_floating_point() else torch.float32
        mean = images.to(mean_dtype).mean(height, keepdim=True).mean(width, keepdim=True)
        return self._clip((images - mean) * factor + mean)


class RandomBrightness(_ColourLayer):
    """Adds ``factor * (value_range[1] - value_range[0])``, drawn per image, then clips.

    Integer images get the delta truncated to their dtype and added in it, wrapping on
    overflow before the clip, exactly as Keras 3 on torch computes them.
    """

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = _base_factor(factor, (-1, 1))
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                "The `value_range` argument should be a list of two numbers. "
                f"Received: value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        shape = (images.shape[0], 1, 1, 1) if images.ndim == 4 else (1, 1, 1)
        delta = self._uniform(math.prod(shape), self.factor[0], self.factor[1], images.device)
        delta = delta.view(shape) * (self.value_range[1] - self.value_range[0])
        return self._clip(images + delta.to(images.dtype))


class RandomCrop(Layer):
    """Keras 3.15's RandomCrop, whose code (not its docstring) is the reference.

    Training: when the input is larger than ``(height, width)`` on both axes, one random window
    for the whole batch (offsets drawn on the host, so the crop is a slicing view and nothing
    waits on the device); otherwise Keras' centred, aspect-preserving window start, a slice of
    ``(height, width)`` from there and, if that slice came out smaller, a bilinear resize to
    ``(height, width)``. Output is in the compute dtype. Inference returns the input as it came,
    uncropped and uncast, exactly as Keras 3.15 does (so its shape is not
    ``compute_output_shape``'s, in Keras as here).
    """

    _casts_direct_inputs = False  # Keras' ``_convert_input_args = False``: inputs keep their dtype

    def _to_tensor(self, value: Any) -> Any:
        if isinstance(value, (np.ndarray, np.generic)):
            return torch.from_numpy(np.asarray(value)).to(devices.current())
        return value

    def __init__(
        self,
        height: int,
        width: int,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.height = height
        self.width = width
        # Keras records a drawn seed in the config but seeds its generator with the argument.
        self.seed = seed if seed is not None else random.randint(1, int(1e9))
        self._random = random.Random(seed)
        self.data_format = backend.standardize_data_format(data_format)
        self._height_axis, self._width_axis = (
            (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        )
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None) -> torch.Tensor:
        if isinstance(inputs, dict):
            raise NotImplementedError(
                "RandomCrop: dict inputs (images with labels, bounding boxes or segmentation "
                "masks) are not implemented in kerasish; pass an image tensor."
            )
        images = torch.as_tensor(inputs)
        if training is None:
            training = self.training
        if images.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' (RandomCrop) expects rank 3 (one image) or rank 4 (a "
                f"batch of images) inputs. Received: inputs.shape={tuple(images.shape)}"
            )
        if not training:
            return images
        top, left = self._window(images.shape[self._height_axis], images.shape[self._width_axis])
        rows = slice(top, top + self.height)
        cols = slice(left, left + self.width)
        if self.data_format == "channels_last":
            crop = images[..., rows, cols, :]
        else:
            crop = images[..., rows, cols]
        crop = crop.to(backend.torch_dtype(self.compute_dtype))
        if (crop.shape[self._height_axis], crop.shape[self._width_axis]) == (
            self.height,
            self.width,
        ):
            return crop
        return self._resize(crop)

    def _window(self, height: int, width: int) -> tuple[int, int]:
        """The crop's top-left corner, by Keras' two rules."""
        if height > self.height and width > self.width:
            # Keras: int32(uniform(0, n + 1)), i.e. a uniform integer in [0, n].
            return (
                self._random.randint(0, height - self.height),
                self._random.randint(0, width - self.width),
            )
        crop_height = max(min(height, int(float(width * self.height) / self.width)), 1)
        crop_width = max(min(width, int(float(height * self.width) / self.height)), 1)
        return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)

    def _resize(self, images: torch.Tensor) -> torch.Tensor:
        unbatched = images.ndim == 3
        x = images.unsqueeze(0) if unbatched else images
        if self.data_format == "channels_last":
            x = x.movedim(-1, 1)
        x = resize_images(x, (self.height, self.width), "bilinear")
        if self.data_format == "channels_last":
            x = x.movedim(1, -1)
        return x.squeeze(0) if unbatched else x

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        shape = list(input_shape)
        shape[self._height_axis] = self.height
        shape[self._width_axis] = self.width
        return tuple(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
            "data_format": self.data_format,
        }
