"""``keras.ops.image`` resampling beyond affine maps: ``perspective_transform``,
``elastic_transform`` and ``scale_and_translate``, with Keras 3's torch-backend values, checks
and dtypes.

The perspective and elastic cores live beside the layers that use them
(``kerasish.layers.warp_augmentation``); here are the argument rules and layouts.
``scale_and_translate`` is JAX's separable kernel resampling: one weight matrix per spatial axis.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.layers import warp_augmentation as _warp
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op

_NAMESPACE = "keras.ops.image."
_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = {"constant", "nearest", "wrap", "mirror", "reflect"}
_SCALE_AND_TRANSLATE_METHODS = {
    "linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5",
}


def _check_interpolation(interpolation: str) -> None:
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(_INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )


def _check_images_rank(images: torch.Tensor) -> None:
    if images.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: images.shape={tuple(images.shape)}"
        )


def _as_nchw(images: torch.Tensor, data_format: str) -> torch.Tensor:
    x = images.unsqueeze(0) if images.ndim == 3 else images
    return x.movedim(-1, 1) if data_format == "channels_last" else x


def _from_nchw(x: torch.Tensor, images: torch.Tensor, data_format: str) -> torch.Tensor:
    x = x.movedim(1, -1) if data_format == "channels_last" else x
    return x.squeeze(0) if images.ndim == 3 else x


def _check_points(name: str, points: torch.Tensor) -> None:
    if tuple(points.shape[-2:]) != (4, 2) or points.ndim not in (2, 3):
        raise ValueError(
            f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. "
            f"Received shape: {tuple(points.shape)}"
        )


@keras_op(namespace=_NAMESPACE)
def perspective_transform(
    images: Any,
    start_points: Any,
    end_points: Any,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """Warp images so that ``end_points`` (output) come from ``start_points`` (input).

    Points are converted to the image dtype first, as Keras does (so integer images truncate
    them); pixels from outside the image are ``fill_value``."""
    data_format = backend.standardize_data_format(data_format)
    images = to_tensor(images)
    start = to_tensor(start_points, device=images.device).to(images.dtype)
    end = to_tensor(end_points, device=images.device).to(images.dtype)
    _check_interpolation(interpolation)
    _check_images_rank(images)
    _check_points("start_points", start)
    _check_points("end_points", end)
    if start.shape != end.shape:
        raise ValueError(
            "start_points and end_points must have the same shape. Received "
            f"start_points.shape={tuple(start.shape)}, end_points.shape={tuple(end.shape)}"
        )
    x = _as_nchw(images, data_format)
    transforms = _warp.homography_matrix(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
    if transforms.shape[0] not in (1, x.shape[0]):
        raise ValueError(
            "perspective_transform: expected one set of points or one per image "
            f"({x.shape[0]}). Received {transforms.shape[0]} sets: "
            f"start_points.shape={tuple(start.shape)}"
        )
    if not images.dtype.is_floating_point and isinstance(fill_value, (int, float)):
        fill_value = int(fill_value)
    out = _warp.perspective_transform_nchw(x, transforms, interpolation, fill_value)
    return _from_nchw(out, images, data_format)


def _generator(seed: Any, device: torch.device) -> Optional[torch.Generator]:
    if seed is None or device.type == "meta":
        return None
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        generator = torch.Generator(device=device)
        generator.manual_seed(int(seed))
        return generator
    raise ValueError(
        "elastic_transform: `seed` must be None, an integer or a torch.Generator. Received: "
        f"seed={seed!r}"
    )


@keras_op(namespace=_NAMESPACE)
def elastic_transform(
    images: Any,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """Displace pixels by Gaussian noise blurred with ``sigma`` and scaled by ``alpha``.

    ``seed=None`` draws from torch's global generator, exactly as Keras 3.15's torch backend
    does (it ignores any seed off the meta device); an integer seed (or a ``torch.Generator``)
    gives reproducible fields here."""
    data_format = backend.standardize_data_format(data_format)
    _check_interpolation(interpolation)
    if fill_mode not in _FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one "
            f"{_FILL_MODES}. Received: fill_mode={fill_mode}"
        )
    images = to_tensor(images)
    _check_images_rank(images)
    x = _as_nchw(images, data_format)
    out = _warp.elastic_transform_nchw(
        x, _warp.float32(alpha), _warp.float32(sigma), interpolation, fill_mode, fill_value,
        _generator(seed, images.device), data_format,
    )
    return _from_nchw(out, images, data_format)


# ------------------------------------------------------------------ scale_and_translate


def _triangle(x: torch.Tensor) -> torch.Tensor:
    return torch.maximum(torch.tensor(0, dtype=x.dtype), 1 - torch.abs(x))


def _keys_cubic(x: torch.Tensor) -> torch.Tensor:
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = torch.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return torch.where(x >= 2.0, 0.0, out)


def _lanczos(radius: float) -> Callable[[torch.Tensor], torch.Tensor]:
    def kernel(x: torch.Tensor) -> torch.Tensor:
        y = radius * torch.sin(np.pi * x) * torch.sin(np.pi * x / radius)
        out = torch.where(
            x > 1e-3, torch.divide(y, torch.where(x != 0, np.pi**2 * x**2, 1)), 1
        )
        return torch.where(x > radius, 0.0, out)

    return kernel


_KERNELS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": _triangle,
    "cubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}
_EPSILON_32 = float(np.finfo(np.float32).eps)


def _weight_matrix(
    input_size: int,
    output_size: int,
    scale: torch.Tensor,
    translation: torch.Tensor,
    kernel: Callable[[torch.Tensor], torch.Tensor],
    antialias: bool,
) -> torch.Tensor:
    """``(input_size, output_size)`` resampling weights along one axis (half-pixel centres;
    output samples falling outside the input get no weight)."""
    dtype, device = scale.dtype, scale.device
    inv_scale = 1.0 / scale
    kernel_scale = torch.maximum(inv_scale, torch.tensor(1.0, dtype=dtype, device=device)) \
        if antialias else 1.0
    sample = (
        (torch.arange(output_size, dtype=dtype, device=device) + 0.5) * inv_scale
        - translation * inv_scale
        - 0.5
    )
    distance = torch.abs(
        sample[None, :] - torch.arange(input_size, dtype=dtype, device=device)[:, None]
    ) / kernel_scale
    weights = kernel(distance)
    total = torch.sum(weights, dim=0, keepdim=True)
    weights = torch.where(
        torch.abs(total) > 1000.0 * _EPSILON_32,
        torch.divide(weights, torch.where(total != 0, total, 1)),
        0,
    )
    inside = torch.logical_and(sample >= -0.5, sample <= input_size - 0.5)
    return torch.where(inside[None, :], weights, 0)


@keras_op(namespace=_NAMESPACE)
def scale_and_translate(
    images: Any,
    output_shape: Sequence[int],
    scale: Any,
    translation: Any,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> torch.Tensor:
    """Resample ``images`` to ``output_shape``: input location ``x`` of each axis in
    ``spatial_dims`` goes to ``x * scale + translation`` (half-pixel centres), by the
    ``method``'s kernel, widened when downsampling if ``antialias``. Integer images are
    rounded and clipped to their own value range."""
    if method not in _SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(
            "Invalid value for argument `method`. Expected of one "
            f"{_SCALE_AND_TRANSLATE_METHODS}. Received: method={method}"
        )
    if method in ("linear", "bilinear", "trilinear"):
        method = "linear"
    elif method in ("cubic", "bicubic", "tricubic"):
        method = "cubic"
    images = to_tensor(images)
    scale = to_tensor(scale, device=images.device)
    translation = to_tensor(translation, device=images.device)
    dtype = torch.promote_types(scale.dtype, translation.dtype)
    if not dtype.is_floating_point:
        dtype = torch.float32
    scale, translation = scale.to(dtype), translation.to(dtype)
    if len(spatial_dims) == 0:
        return images
    integer = not (images.dtype.is_floating_point or images.dtype.is_complex)
    output = images.to(torch.float32) if integer else images.clone()
    for i, axis in enumerate(spatial_dims):
        axis = axis % images.ndim
        weights = _weight_matrix(
            images.shape[axis], output_shape[axis], scale[i], translation[i],
            _KERNELS[method], antialias,
        ).to(output.dtype)
        output = torch.tensordot(output, weights, dims=((axis,), (0,)))
        output = torch.moveaxis(output, -1, axis)
    if integer:
        output = torch.clip(torch.round(output), torch.min(images), torch.max(images))
        output = output.to(images.dtype)
    return output
