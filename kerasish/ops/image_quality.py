"""``keras.ops.image.ssim``: the structural similarity index, as Keras 3 computes it.

Every channel of every image is treated as its own one-channel image, as Keras does, so each of
the five windowed statistics is one valid ``conv2d`` over ``(batch * channels, 1, h, w)``.
"""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op


def _check_rank(name: str, image: torch.Tensor) -> None:
    if image.ndim not in (3, 4):
        raise ValueError(
            f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: {name}.shape={tuple(image.shape)}"
        )


def _gaussian(size: int, sigma: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2.0
    one_d = torch.exp(-(x**2) / (2.0 * sigma**2))
    one_d = one_d / torch.sum(one_d)
    return torch.outer(one_d, one_d).view(1, 1, size, size)


@keras_op(namespace="keras.ops.image.")
def ssim(
    image1: Any,
    image2: Any,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: Optional[str] = None,
) -> torch.Tensor:
    """Mean SSIM per image (over valid ``filter_size`` windows and channels); a scalar for
    unbatched images. The result has ``image1``'s dtype, as in Keras (so integer images give
    integer SSIMs)."""
    data_format = backend.standardize_data_format(data_format)
    image1 = to_tensor(image1)
    image2 = to_tensor(image2, device=image1.device)
    original_dtype = image1.dtype
    # Keras' ``result_type(dtype, float)``: float32 for integers and for float64 too.
    compute_dtype = image1.dtype
    if not compute_dtype.is_floating_point or compute_dtype == torch.float64:
        compute_dtype = torch.float32
    image1, image2 = image1.to(compute_dtype), image2.to(compute_dtype)
    _check_rank("image1", image1)
    _check_rank("image2", image2)
    unbatched = image1.ndim == 3
    if unbatched:
        image1, image2 = image1.unsqueeze(0), image2.unsqueeze(0)
    if data_format == "channels_last":
        image1, image2 = image1.movedim(-1, 1), image2.movedim(-1, 1)
    batch, channels, height, width = image1.shape
    kernel = _gaussian(filter_size, filter_sigma, compute_dtype, image1.device)
    x = image1.reshape(-1, 1, height, width)
    y = image2.reshape(-1, 1, height, width)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, kernel)

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mu1, mu2 = blur(x), blur(y)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    sigma1_sq = blur(x * x) - mu1_sq
    sigma2_sq = blur(y * y) - mu2_sq
    sigma12 = blur(x * y) - mu1_mu2
    numerator = (2.0 * mu1_mu2 + c1) * (2.0 * sigma12 + c2)
    denominator = (mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2)
    per_channel = torch.mean(numerator / denominator, dim=(1, 2, 3))
    result = torch.mean(per_channel.reshape(batch, channels), dim=-1)
    if unbatched:
        result = result.squeeze(0)
    return result.to(original_dtype)
