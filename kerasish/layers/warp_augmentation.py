"""Keras 3's non-affine warps: RandomPerspective and RandomElasticTransform, and the resampling
cores that ``keras.ops.image.perspective_transform``/``elastic_transform`` share with them.

Both warps compute one source coordinate per output pixel the way Keras 3's torch backend does
(same expressions, same order, so float32 rounding agrees) and then sample every channel of a
batch in one vectorised gather (``image_augmentation.resample_nchw``), where Keras loops over
images and channels. The homography is solved with ``torch.linalg.solve_ex``: Keras' ``solve``
checks for singular systems, which reads a flag back from the device on every call.
"""

from __future__ import annotations

import random
from typing import Any, Optional

import numpy as np
import torch
import torch.nn.functional as F

from kerasish.layers.color_augmentation import _factor_by_name
from kerasish.layers.image_augmentation import (
    Factor,
    _base_factor,
    _RandomImageLayer,
    resample_nchw,
)

_INTERPOLATIONS = ("nearest", "bilinear")
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


# ------------------------------------------------------------------ homography


def homography_matrix(start_points: torch.Tensor, end_points: torch.Tensor) -> torch.Tensor:
    """``(batch, 4, 2)`` corner pairs to ``(batch, 8)`` projective transforms mapping each
    output (end) point back to its input (start) point, as Keras' ``compute_homography_matrix``
    builds and solves its 8x8 systems: half-precision points keep their dtype for the products,
    the solve is float32, and the result is float32 for integer and float64 points too (Keras'
    ``result_type(dtype, float)``)."""
    dtype = torch.promote_types(start_points.dtype, end_points.dtype)
    if not dtype.is_floating_point or dtype == torch.float64:
        dtype = torch.float32
    start = start_points.to(dtype)
    end = end_points.to(dtype)
    rows = []
    for point in range(4):
        sx, sy = start[:, point, 0], start[:, point, 1]
        ex, ey = end[:, point, 0], end[:, point, 1]
        one, zero = torch.ones_like(ex), torch.zeros_like(ex)
        rows.append(torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
    coefficients = torch.stack(rows, 1).to(torch.float32)
    target = start.reshape(-1, 8, 1).to(torch.float32)
    solution, _ = torch.linalg.solve_ex(coefficients, target)
    return solution.reshape(-1, 8).to(dtype)


def perspective_transform_nchw(
    images: torch.Tensor,
    transforms: torch.Tensor,
    interpolation: str = "bilinear",
    fill_value: float = 0.0,
) -> torch.Tensor:
    """Resample ``(batch, c, h, w)`` images by ``(batch or 1, 8)`` homographies, constant fill.

    The pixel grid is in the image dtype, as Keras' torch backend builds it."""
    _, _, height, width = images.shape
    t = transforms.unsqueeze(-1).unsqueeze(-1)
    a0, a1, a2, a3, a4, a5, a6, a7 = t.unbind(1)
    grid_x = torch.arange(width, dtype=images.dtype, device=images.device).view(1, 1, width)
    grid_y = torch.arange(height, dtype=images.dtype, device=images.device).view(1, height, 1)
    denominator = a6 * grid_x + a7 * grid_y + 1.0
    x_in = (a0 * grid_x + a1 * grid_y + a2) / denominator
    y_in = (a3 * grid_x + a4 * grid_y + a5) / denominator
    batch = images.shape[0]
    x_in = x_in.expand(batch, height, width)
    y_in = y_in.expand(batch, height, width)
    return resample_nchw(images, y_in, x_in, interpolation, "constant", fill_value)


# ------------------------------------------------------------------ elastic


def float32(value: Any) -> float:
    """A Python number rounded to float32, as Keras' ``convert_to_tensor`` of it is."""
    return float(np.float32(value))


def _blur_noise(noise: torch.Tensor, sigma: float, data_format: str) -> torch.Tensor:
    """``(batch, h, w)`` noise through Keras' square Gaussian ``gaussian_blur`` (kernel size
    ``int(6 sigma) | 1``, padding ``size // 2`` on every side).

    The one-channel input is strided as Keras' channels_last path permutes it, when that is the
    images' format: convolution picks its summation order by memory format, and this keeps the
    fields (and so the bilinear weights) bit for bit Keras'."""
    size = int(np.float32(6.0) * np.float32(sigma)) | 1
    x = torch.arange(size, dtype=noise.dtype, device=noise.device) - (size - 1) / 2
    one_d = torch.exp(-0.5 * (x / sigma) ** 2)  # sigma is float32-exact: Keras' 0-d tensor
    one_d = one_d / torch.sum(one_d)
    kernel = torch.outer(one_d, one_d).view(1, 1, size, size)
    if data_format == "channels_last":
        x = noise.unsqueeze(-1).permute(0, 3, 1, 2)
    else:
        x = noise.unsqueeze(1)
    return F.conv2d(x, kernel, padding=size // 2).squeeze(1)


def elastic_transform_nchw(
    images: torch.Tensor,
    alpha: float,
    sigma: float,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    generator: Optional[torch.Generator] = None,
    data_format: str = "channels_first",
) -> torch.Tensor:
    """Displace every pixel of ``(batch, c, h, w)`` images by Gaussian noise (one field per
    image, shared by its channels) blurred with ``sigma`` and scaled by ``alpha``.

    The two noise fields are drawn as Keras' torch backend draws them (``torch.normal`` in the
    image dtype, x first), so with ``generator=None`` and the same global torch seed the output
    is Keras' own. ``alpha``/``sigma`` should be float32 values (see ``float32``);
    ``data_format`` is the caller's layout (see ``_blur_noise``).
    """
    batch, _, height, width = images.shape
    if not images.dtype.is_floating_point:
        raise NotImplementedError(
            "elastic_transform: integer images (dtype "
            f"{str(images.dtype).replace('torch.', '')}) cannot be distorted: the displacement "
            "noise is drawn in the image dtype, as Keras' torch backend does. Cast the images to "
            "a float dtype first."
        )
    fields = []
    for _ in range(2):
        noise = torch.normal(
            0.0, 1.0, size=(batch, height, width), generator=generator, dtype=images.dtype,
            device=images.device,
        )
        fields.append(_blur_noise(noise * sigma, sigma, data_format))
    dx, dy = fields
    xs = torch.arange(width, device=images.device).view(1, 1, width)
    ys = torch.arange(height, device=images.device).view(1, height, 1)
    cols = xs + alpha * dx
    rows = ys + alpha * dy
    return resample_nchw(images, rows, cols, interpolation, fill_mode, fill_value)


# ------------------------------------------------------------------ layers


def _check_interpolation(interpolation: str) -> None:
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}."
        )


class RandomPerspective(_RandomImageLayer):
    """Moves each image's corners by up to ``scale / 2`` of their coordinates (so the top-left
    corner, at the origin, stays put, as in Keras 3.15) and warps the image to match, with a
    probability drawn per image from ``factor``; constant ``fill_value`` outside."""

    def __init__(
        self,
        factor: Factor = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        if scale < 0.0 or scale > 1.0:
            raise ValueError(
                "The `scale` argument should be a number in the range [0,1]. "
                f"Received: scale={scale}"
            )
        _check_interpolation(interpolation)
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        return self._transform(images, self._draw(images))

    def _draw(self, images: torch.Tensor) -> dict:
        """Keras' ``get_random_transformation``: who is warped, and the corner points."""
        batch, _, height, width = images.shape
        device, dtype = images.device, images.dtype
        probability = self._uniform(batch, self.factor[0], self.factor[1], device)
        apply = self._uniform(batch, 0.0, 1.0, device) < probability
        shift = self._uniform(batch * 8, -0.5 * self.scale, 0.5 * self.scale, device, dtype)
        # Keras' corners (0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), filled on the device.
        corners = torch.zeros(4, 2, dtype=dtype, device=device)
        corners[1::2, 0] = width - 1
        corners[2:, 1] = height - 1
        corners = corners.expand(batch, 4, 2)
        end = corners + corners * shift.view(batch, 4, 2)
        return {"apply": apply, "start_points": corners, "end_points": end}

    def _transform(self, images: torch.Tensor, params: dict) -> torch.Tensor:
        transforms = homography_matrix(params["start_points"], params["end_points"])
        warped = perspective_transform_nchw(
            images, transforms, self.interpolation, float(self.fill_value)
        )
        return torch.where(params["apply"].view(-1, 1, 1, 1), warped, images)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }


class RandomElasticTransform(_RandomImageLayer):
    """Elastic distortion (``elastic_transform`` with ``alpha = 0.1 s max(h, w)`` and
    ``sigma = 0.05 s min(h, w)``, ``s`` drawn once per call from ``scale``), applied to each
    image with a probability drawn per image from ``factor``, then clipped to ``value_range``.

    ``s`` is drawn on the host (Keras reads it back to size the blur kernel anyway); the noise
    comes from the layer's generator when ``seed`` is given, else from torch's global one,
    which is also where Keras 3.15's torch backend draws it (it ignores the seed off the meta
    device).
    """

    def __init__(
        self,
        factor: Factor = 1.0,
        scale: Factor = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Any = (0, 255),
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.scale = _factor_by_name(scale, "scale")
        _check_interpolation(interpolation)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {set(_FILL_MODES)}."
            )
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self._random = random.Random(seed)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        if self.scale[1] == 0 or self.factor[1] == 0:
            return images
        batch, device = images.shape[0], images.device
        probability = self._uniform(batch, self.factor[0], self.factor[1], device)
        apply = self._uniform(batch, 0.0, 1.0, device) < probability
        distortion = self._random.uniform(self.scale[0], self.scale[1])
        return self._transform(images, apply, distortion, self._generator(device))

    def _transform(
        self,
        images: torch.Tensor,
        apply: torch.Tensor,
        distortion: float,
        generator: Optional[torch.Generator] = None,
    ) -> torch.Tensor:
        """Keras' ``_transform_images`` for given draws (``distortion`` is its
        ``distortion_factor``)."""
        height, width = images.shape[-2:]
        factor = np.float32(distortion)
        alpha = float32(np.float32(max(height, width)) * (np.float32(0.1) * factor))
        sigma = float32(np.float32(min(height, width)) * (np.float32(0.05) * factor))
        warped = elastic_transform_nchw(
            images, alpha, sigma, self.interpolation, self.fill_mode, float(self.fill_value),
            generator, self.data_format,
        )
        images = torch.where(apply.view(-1, 1, 1, 1), warped, images)
        return torch.clamp(images, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
