"""``keras.ops.image`` on torch: colour conversions, resizing, affine resampling, coordinate
mapping, padding and cropping, with Keras 3's torch-backend values and dtypes.

Resampling shares its index fixers and affine kernel with the augmentation layers
(``kerasish.layers.image_augmentation``), so layers and ops give the same pixels. Shapes, crop
boxes and paddings are Python integers computed from static shapes: none of these ops reads a
tensor value on the host.
"""

from __future__ import annotations

import functools
import itertools
import operator
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers import image_augmentation as _augmentation
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op

_NAMESPACE = "keras.ops.image."
_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_TORCH_UNSUPPORTED = ("lanczos3", "lanczos5")


def _check_rank(images: torch.Tensor) -> None:
    if images.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: images.shape={tuple(images.shape)}"
        )


def _channel_axis(data_format: Optional[str]) -> int:
    return -1 if backend.standardize_data_format(data_format) == "channels_last" else -3


def _check_float(images: torch.Tensor) -> None:
    if not images.dtype.is_floating_point:
        raise ValueError(
            "Invalid images dtype: expected float dtype. Received: images.dtype="
            f"{backend.standardize_dtype(images.dtype)}"
        )


@keras_op(namespace=_NAMESPACE)
def rgb_to_grayscale(images: Any, data_format: Optional[str] = None) -> torch.Tensor:
    images = to_tensor(images)
    _check_rank(images)
    axis = _channel_axis(data_format)
    if images.shape[axis] not in (1, 3):
        raise ValueError(
            "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input with "
            f"shape: images.shape={tuple(images.shape)}"
        )
    if images.shape[axis] == 1:
        return images.clone()
    # Keras' torch backend weighs in the input dtype (integers go through float32 and are
    # truncated back, as ``.to`` does).
    r, g, b = images.unbind(axis)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(images.dtype).unsqueeze(axis)


@keras_op(namespace=_NAMESPACE)
def rgb_to_hsv(images: Any, data_format: Optional[str] = None) -> torch.Tensor:
    images = to_tensor(images)
    _check_rank(images)
    _check_float(images)
    axis = _channel_axis(data_format)
    images = torch.where(images.abs() < torch.finfo(images.dtype).eps, 0.0, images)
    r, g, b = images.unbind(axis)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack((hue, saturation, value), axis)


@keras_op(namespace=_NAMESPACE)
def hsv_to_rgb(images: Any, data_format: Optional[str] = None) -> torch.Tensor:
    images = to_tensor(images)
    _check_rank(images)
    _check_float(images)
    axis = _channel_axis(data_format)
    hue, saturation, value = images.unbind(axis)
    dh = torch.remainder(hue, 1.0) * 6.0
    dr = ((dh - 3.0).abs() - 1.0).clip(0.0, 1.0)
    dg = (2.0 - (dh - 2.0).abs()).clip(0.0, 1.0)
    db = (2.0 - (dh - 4.0).abs()).clip(0.0, 1.0)
    grey = 1.0 - saturation
    planes = [value * (grey + saturation * d) for d in (dr, dg, db)]
    return torch.stack(planes, axis)


def _aspect_box(height: int, width: int, target_height: int, target_width: int) -> tuple:
    """Keras' (height, width) with the target aspect ratio, before min/max with the image."""
    return (
        int(float(width * target_height) / target_width),
        int(float(height * target_width) / target_height),
    )


def _pad_to_aspect_ratio(x: torch.Tensor, size: tuple, fill_value: float) -> torch.Tensor:
    height, width = x.shape[-2:]
    pad_height, pad_width = _aspect_box(height, width, *size)
    top = int(float(max(height, pad_height) - height) / 2)
    left = int(float(max(width, pad_width) - width) / 2)
    if top == 0 and left == 0:
        return x
    return F.pad(x, (left, left, top, top), value=fill_value)


@keras_op(namespace=_NAMESPACE)
def resize(
    images: Any,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """Keras 3's torch resize: ``F.interpolate`` in float32 (float64 kept), "nearest" being
    PyTorch's "nearest-exact"; integer images are rounded back (uint8 bicubic clamped)."""
    data_format = backend.standardize_data_format(data_format)
    if interpolation in _TORCH_UNSUPPORTED:
        raise NotImplementedError(
            f"keras.ops.image.resize(interpolation={interpolation!r}): Lanczos resizing is not "
            "supported by Keras' torch backend either."
        )
    if interpolation not in _RESIZE_MODES:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{_RESIZE_MODES}. Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
            f"Received: fill_mode={fill_mode}"
        )
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if len(size) != 2:
        raise ValueError(
            f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}"
        )
    size = (int(size[0]), int(size[1]))
    images = to_tensor(images)
    _check_rank(images)
    dtype = images.dtype
    x = images.unsqueeze(0) if images.ndim == 3 else images
    if dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    if crop_to_aspect_ratio:
        height, width = x.shape[-2:]
        crop_height, crop_width = _aspect_box(height, width, *size)
        crop_height = max(min(height, crop_height), 1)
        crop_width = max(min(width, crop_width), 1)
        top = int(float(height - crop_height) / 2)
        left = int(float(width - crop_width) / 2)
        x = x[:, :, top : top + crop_height, left : left + crop_width]
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect_ratio(x, size, fill_value)
    smooth = interpolation in ("bilinear", "bicubic")
    out = F.interpolate(
        x,
        size=size,
        mode=_RESIZE_MODES[interpolation],
        align_corners=False if smooth else None,
        antialias=bool(antialias) and smooth,
    )
    if interpolation == "bicubic" and dtype == torch.uint8:
        out = out.clamp(0, 255)
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    if images.ndim == 3:
        out = out.squeeze(0)
    if out.dtype == dtype:
        return out
    if not dtype.is_floating_point:
        out = out.round()
    return out.to(dtype)


@keras_op(namespace=_NAMESPACE)
def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """Keras' projective resampling; integer images take ``int(fill_value)``, as in Keras."""
    images = to_tensor(images)
    if not images.dtype.is_floating_point and isinstance(fill_value, (int, float)):
        fill_value = int(fill_value)
    return _augmentation.affine_transform(
        images, to_tensor(transform), interpolation, fill_mode, fill_value, data_format
    )


def _map_nodes(coordinate: torch.Tensor, order: int) -> list:
    if order == 0:
        if coordinate.dtype.is_floating_point or coordinate.dtype.is_complex:
            coordinate = torch.round(coordinate)
        return [(coordinate.to(torch.int32), 1)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.to(torch.int32)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


@keras_op(namespace=_NAMESPACE)
def map_coordinates(
    inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant", fill_value: float = 0.0
) -> torch.Tensor:
    """Sample ``inputs`` at ``coordinates`` (one array per input axis) by nearest (order 0) or
    linear (order 1) interpolation, as ``scipy.ndimage.map_coordinates`` and Keras do."""
    inputs = to_tensor(inputs)
    coordinates = [to_tensor(c).to(inputs.device) for c in coordinates]
    if len(coordinates) != inputs.ndim:
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. Received "
            f"inputs with shape: {tuple(inputs.shape)} and coordinate leading dim of "
            f"{len(coordinates)}"
        )
    if coordinates[0].ndim < 1:
        raise ValueError(
            "Invalid coordinates rank: expected at least rank 2. Received input with shape: "
            f"{(len(coordinates),) + tuple(coordinates[0].shape)}"
        )
    fixer = _augmentation._INDEX_FIXERS.get(fill_mode)
    if fixer is None:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected one of "
            f"{set(_augmentation._INDEX_FIXERS)}. Received: fill_mode={fill_mode}"
        )
    if order not in (0, 1):
        raise NotImplementedError(
            f"keras.ops.image.map_coordinates(order={order}): only order 0 and 1 exist in Keras."
        )
    integer = not (inputs.dtype.is_floating_point or inputs.dtype.is_complex)
    if integer and isinstance(fill_value, (int, float)):
        fill_value = int(fill_value)
    axes = []
    for coordinate, size in zip(coordinates, inputs.shape):
        axes.append([
            (fixer(index, size), (index >= 0) & (index < size) if fill_mode == "constant" else None, w)
            for index, w in _map_nodes(coordinate, order)
        ])
    out: Any = None
    for nodes in itertools.product(*axes):
        indices, validities, weights = zip(*nodes)
        value = inputs[tuple(i.long() for i in indices)]
        if validities[0] is not None:
            value = torch.where(functools.reduce(operator.and_, validities), value, fill_value)
        value = functools.reduce(operator.mul, weights) * value
        out = value if out is None else out + value
    if integer and (out.dtype.is_floating_point or out.dtype.is_complex):
        out = torch.round(out)
    return out.to(inputs.dtype)


def _check_two_of(names: tuple, values: tuple) -> None:
    if values.count(None) != 1:
        raise ValueError(
            f"Must specify exactly two of {', '.join(names)}. Received: "
            + ", ".join(f"{n}={v}" for n, v in zip(names, values))
        )


def _non_negative(**values: Any) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")


def _spatial(images: torch.Tensor, data_format: Optional[str]) -> tuple[int, int, int]:
    """First spatial axis, height, width."""
    _check_rank(images)
    first = images.ndim - 3 if _channel_axis(data_format) == -1 else images.ndim - 2
    return first, images.shape[first], images.shape[first + 1]


@keras_op(namespace=_NAMESPACE)
def pad_images(
    images: Any,
    top_padding: Optional[int] = None,
    left_padding: Optional[int] = None,
    bottom_padding: Optional[int] = None,
    right_padding: Optional[int] = None,
    target_height: Optional[int] = None,
    target_width: Optional[int] = None,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    images = to_tensor(images)
    first, height, width = _spatial(images, data_format)
    _check_two_of(("top_padding", "bottom_padding", "target_height"), (top_padding, bottom_padding, target_height))
    _check_two_of(("left_padding", "right_padding", "target_width"), (left_padding, right_padding, target_width))
    _non_negative(top_padding=top_padding, bottom_padding=bottom_padding, target_height=target_height,
                  left_padding=left_padding, right_padding=right_padding, target_width=target_width)
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    _non_negative(top_padding=top_padding, left_padding=left_padding,
                  right_padding=right_padding, bottom_padding=bottom_padding)
    pads = [0, 0] * (images.ndim - first - 2) + [left_padding, right_padding, top_padding, bottom_padding]
    return F.pad(images, pads)


@keras_op(namespace=_NAMESPACE)
def crop_images(
    images: Any,
    top_cropping: Optional[int] = None,
    left_cropping: Optional[int] = None,
    bottom_cropping: Optional[int] = None,
    right_cropping: Optional[int] = None,
    target_height: Optional[int] = None,
    target_width: Optional[int] = None,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """A view of the cropped region (Keras slices, too)."""
    images = to_tensor(images)
    first, height, width = _spatial(images, data_format)
    _check_two_of(("top_cropping", "bottom_cropping", "target_height"), (top_cropping, bottom_cropping, target_height))
    _check_two_of(("left_cropping", "right_cropping", "target_width"), (left_cropping, right_cropping, target_width))
    _non_negative(top_cropping=top_cropping, bottom_cropping=bottom_cropping, target_height=target_height,
                  left_cropping=left_cropping, right_cropping=right_cropping, target_width=target_width)
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    _non_negative(top_cropping=top_cropping, target_height=target_height,
                  left_cropping=left_cropping, target_width=target_width)
    cropped = images.narrow(first, top_cropping, target_height)
    return cropped.narrow(first + 1, left_cropping, target_width)


def _patches(images: torch.Tensor, size: tuple, strides: Any, dilation_rate: Any, padding: str,
             data_format: Optional[str]) -> torch.Tensor:
    """Keras' patch extraction: a convolution with an identity kernel, so each output channel
    is one (spatial offset, channel) pair in Keras' order and ``padding="same"`` pads as its
    convolutions do."""
    from kerasish.ops.nn_extra import conv

    rank = len(size)
    channels = images.shape[-1 if _channel_axis(data_format) == -1 else -(rank + 1)]
    depth = channels * functools.reduce(operator.mul, size)
    kernel = torch.eye(depth, dtype=images.dtype, device=images.device).reshape(*size, channels, depth)
    unbatched = images.ndim == rank + 1
    x = images.unsqueeze(0) if unbatched else images
    out = conv(x, kernel, strides=strides or size, padding=padding, data_format=data_format,
               dilation_rate=dilation_rate)
    return out.squeeze(0) if unbatched else out


@keras_op(namespace=_NAMESPACE)
def extract_patches(
    images: Any,
    size: Any,
    strides: Any = None,
    dilation_rate: Any = 1,
    padding: str = "valid",
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """2D patches of ``(height, width)`` or 3D patches of ``(depth, height, width)`` flattened
    into the channel axis."""
    if isinstance(size, int):
        size = (size, size)
    elif not isinstance(size, (tuple, list)):
        raise TypeError(
            "Invalid `size` argument. Expected an int or a tuple. "
            f"Received: size={size} of type {type(size).__name__}"
        )
    elif len(size) not in (2, 3):
        raise ValueError(
            "Invalid `size` argument. Expected a tuple of length 2 or 3. "
            f"Received: size={size} with length {len(size)}"
        )
    if len(size) == 3:
        return extract_patches_3d.eager(images, size, strides, dilation_rate, padding, data_format)
    return _patches(to_tensor(images), tuple(size), strides, dilation_rate, padding, data_format)


@keras_op(namespace=_NAMESPACE)
def extract_patches_3d(
    volumes: Any,
    size: Any,
    strides: Any = None,
    dilation_rate: Any = 1,
    padding: str = "valid",
    data_format: Optional[str] = None,
) -> torch.Tensor:
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(
            f"Invalid `size` argument. Expected an int or a tuple of length 3. Received: size={size}"
        )
    strides = size if strides is None else strides
    strides = (strides,) * 3 if isinstance(strides, int) else tuple(strides)
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    volumes = to_tensor(volumes)
    if volumes.ndim not in (4, 5):
        raise ValueError(
            "Invalid volumes rank: expected rank 4 (single volume) or rank 5 (batch of "
            f"volumes). Received input with shape: volumes.shape={tuple(volumes.shape)}"
        )
    return _patches(volumes, size, strides, dilation_rate, padding, data_format)


def _gaussian_kernel(size: tuple, sigma: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    def one_d(length: int, s: torch.Tensor) -> torch.Tensor:
        x = torch.arange(length, dtype=dtype, device=s.device) - (length - 1) / 2
        k = torch.exp(-0.5 * (x / s) ** 2)
        return k / k.sum()

    # Keras' order: the outer product of the second size's kernel with the first's, read back
    # as (size[0], size[1]) (the same for the square kernels one normally uses).
    return torch.outer(one_d(size[1], sigma[1]), one_d(size[0], sigma[0])).reshape(size)


@keras_op(namespace=_NAMESPACE)
def gaussian_blur(
    images: Any,
    kernel_size: Sequence[int] = (3, 3),
    sigma: Any = (1.0, 1.0),
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """A depthwise Gaussian convolution padded by ``kernel_size[0] // 2`` on both axes, as
    Keras' torch backend pads. ``data_format=None`` means the configured image data format
    (Keras 3.15's torch backend treats ``None`` as channels_first here)."""
    data_format = backend.standardize_data_format(data_format)
    images = to_tensor(images)
    _check_rank(images)
    size = (int(kernel_size[0]), int(kernel_size[1]))
    sigma = to_tensor(sigma)
    x = images.unsqueeze(0) if images.ndim == 3 else images
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    channels = x.shape[1]
    kernel = _gaussian_kernel(size, sigma.to(x.device), images.dtype)
    kernel = kernel.view(1, 1, *size).expand(channels, 1, *size)
    out = F.conv2d(x, kernel, stride=1, padding=size[0] // 2, groups=channels)
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    return out.squeeze(0) if images.ndim == 3 else out


_SOBEL_Y = ((-1, -2, -1), (0, 0, 0), (1, 2, 1))
_SOBEL_X = ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))


@keras_op(namespace=_NAMESPACE)
def sobel_edges(images: Any, data_format: Optional[str] = None) -> torch.Tensor:
    """Vertical and horizontal Sobel responses stacked on a new last axis: ``(batch, h, w,
    channels, 2)`` (channels_last) or ``(batch, channels, h, w, 2)``, zero padded."""
    data_format = backend.standardize_data_format(data_format)
    images = to_tensor(images)
    if images.ndim != 4:
        raise ValueError(
            "sobel_edges expects a batch of images (rank 4). Received input with shape: "
            f"images.shape={tuple(images.shape)}"
        )
    x = images.permute(0, 3, 1, 2) if data_format == "channels_last" else images
    channels = x.shape[1]
    kernel = torch.tensor((_SOBEL_Y, _SOBEL_X), dtype=images.dtype, device=images.device)
    # One grouped conv gives (y, x) per channel, interleaved as channel-major pairs.
    kernel = kernel.unsqueeze(1).repeat(channels, 1, 1, 1)
    edges = F.conv2d(x, kernel, padding=1, groups=channels)
    edges = edges.unflatten(1, (channels, 2)).movedim(2, -1)
    return edges.permute(0, 2, 3, 1, 4) if data_format == "channels_last" else edges


# keras.ops.image functions defined in their own modules.
from kerasish.ops.image_quality import ssim  # noqa: E402,F401
from kerasish.ops.image_warps import (  # noqa: E402,F401
    elastic_transform,
    perspective_transform,
    scale_and_translate,
)
