"""Keras 3's colour augmentation layers: RandomGrayscale, RandomInvert, Solarization,
RandomPosterization, AutoContrast, Equalization, RandomHue, RandomSaturation,
RandomColorDegeneration, RandomSharpness, RandomGaussianBlur, RandomErasing, RandomColorJitter, MixUp, and the geometric RandomShear.

They share image_augmentation's conventions: identity at inference (after Keras' cast of
floating inputs to the compute dtype), fresh per-image draws in training from a torch generator
seeded by ``seed``, images handled as ``(batch, channels, height, width)``. Each layer keeps
Keras 3.15's own dtype rule where it differs (Solarization casts every input; RandomInvert and
RandomPosterization return the compute dtype in training only).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers.image_augmentation import (
    Factor,
    RandomBrightness,
    RandomContrast,
    _AffineLayer,
    _base_factor,
    _RandomImageLayer,
    _rows,
)

_GREY_WEIGHTS = (0.2989, 0.587, 0.114)


class _ColourLayer(_RandomImageLayer):
    """Keras casts only floating inputs to the compute dtype before augmenting."""

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        if images.is_floating_point():
            return images.to(backend.torch_dtype(self.compute_dtype))
        return images

    def _compute(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(backend.torch_dtype(self.compute_dtype))


def _value_range(value_range: Any) -> list:
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


def _rescale(images: torch.Tensor, source: Sequence[float], target: Sequence[float]) -> torch.Tensor:
    """Keras' ``_transform_value_range``: a no-op for equal ranges, else an affine map."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    unit = (images - source[0]) / (source[1] - source[0])
    return unit * (target[1] - target[0]) + target[0]


def _greyscale(layer: _RandomImageLayer, images: torch.Tensor) -> torch.Tensor:
    """``keras.ops.image.rgb_to_grayscale`` on ``(b, c, h, w)``: one channel, input dtype."""
    if images.shape[1] not in (1, 3):
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': invalid channel size: expected 3 "
            "(RGB) or 1 (Grayscale). Received input with shape: "
            f"images.shape={tuple(images.shape)}"
        )
    if images.shape[1] == 1:
        return images
    r, g, b = images.unbind(1)
    grey = _GREY_WEIGHTS[0] * r + _GREY_WEIGHTS[1] * g + _GREY_WEIGHTS[2] * b
    return grey.to(images.dtype).unsqueeze(1)


class RandomGrayscale(_ColourLayer):
    """Replaces each image, with probability ``factor``, by its luma in every channel.

    The luma uses torchvision's weights, rounded toward zero for integer images, as Keras 3's
    ``rgb_to_grayscale`` on torch does; one-channel images are left as they are.
    """

    def __init__(
        self,
        factor: float = 0.5,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        apply = self._uniform(images.shape[0], 0.0, 1.0, images.device) < self.factor
        return torch.where(apply.view(-1, 1, 1, 1), _greyscale(self, images), images)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomInvert(_ColourLayer):
    """Inverts each image (``value_range[1] - x``) with a probability drawn per image from
    ``factor``; the result is in the compute dtype."""

    def __init__(
        self,
        factor: Factor = 1.0,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.value_range = value_range

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        probability = self._uniform(batch, self.factor[0], self.factor[1], device)
        apply = self._uniform(batch, 0.0, 1.0, device) < probability
        images = self._compute(images)
        return torch.where(apply.view(-1, 1, 1, 1), self.value_range[1] - images, images)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


_SOLARIZATION_FACTOR_ERROR = (
    "The `addition_factor` and `threshold_factor` arguments should be a number (or a list of "
    "two numbers) in the range [0, 1]. "
)


def _checked_factor(factor: Any, name: str, message: str, single: Any) -> tuple:
    """Keras' factor rule for a number (``single(f)`` gives its range) or a pair (sorted), each
    value in [0, 1]; ``message`` opens the error."""

    def check(value: float) -> None:
        if value > 1.0 or value < 0:
            raise ValueError(f"{message}Received: input_number={value}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{message}Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        check(factor)
        return single(factor)
    raise ValueError(f"{message}Received: {name}={factor}")


def _unit_factor(factor: Any, name: str) -> tuple:
    """Solarization's factors: a number ``f`` means ``(0, f)``, a pair is sorted."""
    return _checked_factor(factor, name, _SOLARIZATION_FACTOR_ERROR, lambda f: (0, f))


class Solarization(_ColourLayer):
    """Adds a per-image brightness, then inverts pixels at or above a per-image threshold.

    As in Keras 3.15, both draws are uniform in ``[lower, upper * 255]`` on the 0-255 scale, and
    every input (inference included) comes back in the compute dtype.
    """

    def __init__(
        self,
        addition_factor: Factor = 0.0,
        threshold_factor: Factor = 0.0,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")
        self.value_range = _value_range(value_range)

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        return self._compute(images)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        batch, device, dtype = images.shape[0], images.device, images.dtype
        additions = self._uniform(
            batch, self.addition_factor[0], self.addition_factor[1] * 255, device, dtype
        ).view(-1, 1, 1, 1)
        thresholds = self._uniform(
            batch, self.threshold_factor[0], self.threshold_factor[1] * 255, device, dtype
        ).view(-1, 1, 1, 1)
        x = _rescale(images, self.value_range, (0, 255))
        x = torch.clamp(x + additions, 0, 255)
        x = torch.where(x < thresholds, x, 255 - x)
        return _rescale(x, (0, 255), self.value_range)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "seed": self.seed,
        }


class RandomPosterization(_ColourLayer):
    """Keeps only the top ``bits`` bits of each 0-255 channel value, ``bits`` drawn per image
    from ``[factor[0], factor[1])`` (exactly ``factor[0]`` when both are equal), as Keras 3."""

    _MAX_BITS = 8

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (1, self._MAX_BITS))
        self.value_range = _value_range(value_range)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        if self.factor[0] != self.factor[1]:
            bits = torch.randint(
                int(self.factor[0]), int(self.factor[1]), (batch,),
                generator=self._generator(device), device=device, dtype=torch.uint8,
            )
        else:
            bits = torch.full((batch,), int(self.factor[0]), dtype=torch.uint8, device=device)
        shift = (self._MAX_BITS - bits).view(-1, 1, 1, 1)
        x = _rescale(images, self.value_range, (0, 255)).to(torch.uint8)
        x = self._compute((x >> shift) << shift)
        return _rescale(x, (0, 255), self.value_range)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class AutoContrast(_ColourLayer):
    """Stretches each image to the full ``value_range``, at inference too, as Keras 3 does.

    Keras 3.15 takes the minimum and maximum over axes 1 and 2 of the batched input: height and
    width in channels_last, but channels and height in channels_first; kept here. Constant
    slices (0/0) come back as the input.
    """

    def __init__(self, value_range: Sequence[float] = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range)

    def call(self, inputs: Any, training: Optional[bool] = None) -> torch.Tensor:
        return super().call(inputs, training=True)

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        unbatched = images.ndim == 3
        original = images.unsqueeze(0) if unbatched else images
        x = _rescale(self._compute(original), self.value_range, (0, 255))
        low = x.amin(dim=(1, 2), keepdim=True)
        high = x.amax(dim=(1, 2), keepdim=True)
        scale = 255.0 / (high - low)
        x = torch.clamp(x * scale + -low * scale, 0.0, 255.0)
        x = _rescale(x, (0, 255), self.value_range)
        x = torch.where(torch.isnan(x), original, x)
        return x.squeeze(0) if unbatched else x

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": self.value_range}


class Equalization(_ColourLayer):
    """Histogram-equalises each channel, in training only.

    As in Keras 3.15, one histogram of ``bins`` bins per channel covers the whole batch (not
    each image), and a channel with at most one occupied bin is left as it is. Done for all
    channels at once with a scatter-add histogram, without host syncs.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        bins: int = 256,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = _value_range(value_range)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        images = self._compute(images)
        batch, channels, height, width = images.shape
        low, high = self.value_range
        # Keras always rescales here (its sorted list never equals the tuple (0, 255)).
        to_255 = (255 - 0) / (high - low)
        x = images * to_255 + (0 - low * to_255)
        planes = x.transpose(0, 1).reshape(channels, -1)  # one row per channel, whole batch
        values = planes.to(torch.float32)
        scaled = (values - 0.0) * (self.bins - 1) / 255.0
        bin_index = scaled.to(torch.int32).clamp(0, self.bins - 1).to(torch.int64)
        hist = torch.zeros(channels, self.bins, dtype=torch.int64, device=x.device)
        hist.scatter_add_(1, bin_index, torch.ones_like(bin_index))
        cdf = hist.cumsum(1)
        first = (cdf > 0).to(torch.int8).argmax(1, keepdim=True)
        cdf_min = cdf.gather(1, first)
        denominator = cdf[:, -1:] - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        lookup = torch.clamp(torch.round(((cdf - cdf_min) * 255) / denominator), 0, 255)
        index = torch.clamp((planes / 255.0) * (self.bins - 1), 0, self.bins - 1)
        equalised = lookup.gather(1, index.to(torch.int32).to(torch.int64))
        occupied = (hist > 0).sum(1, keepdim=True)
        planes = torch.where(occupied <= 1, planes, equalised)
        from_255 = (high - low) / (255 - 0)
        planes = planes * from_255 + (low - 0 * from_255)
        out = planes.reshape(channels, batch, height, width).transpose(0, 1)
        return self._compute(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


# ------------------------------------------------------------------ HSV (Keras 3's dm_pix port)


def _rgb_to_hsv(images: torch.Tensor) -> torch.Tensor:
    """``(b, 3, h, w)`` RGB in [0, 1] to HSV, term for term as ``keras.ops.image.rgb_to_hsv``."""
    eps = torch.finfo(images.dtype).eps
    images = torch.where(images.abs() < eps, 0.0, images)
    r, g, b = images.unbind(1)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * torch.where(spread > 0, spread, 1.0))
    hue = torch.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, norm * (g - b), hue)
    hue = torch.where(spread > 0, hue, 0.0) + (hue < 0.0).to(hue.dtype)
    return torch.stack((hue, saturation, value), 1)


def _hsv_to_rgb(images: torch.Tensor) -> torch.Tensor:
    hue, saturation, value = images.unbind(1)
    dh = torch.remainder(hue, 1.0) * 6.0
    weights = (
        torch.clamp((dh - 3.0).abs() - 1.0, 0.0, 1.0),
        torch.clamp(2.0 - (dh - 2.0).abs(), 0.0, 1.0),
        torch.clamp(2.0 - (dh - 4.0).abs(), 0.0, 1.0),
    )
    grey = 1.0 - saturation
    return torch.stack([value * (grey + saturation * w) for w in weights], 1)


def _check_float(layer: _RandomImageLayer, images: torch.Tensor) -> None:
    if not images.is_floating_point():
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}': invalid images dtype: expected float "
            f"dtype. Received: images.dtype={backend.standardize_dtype(images.dtype)}"
        )


class _FactorLayer(_ColourLayer):
    """A drawn ``factor`` per image, a ``value_range`` and a seed, all in the config."""

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomHue(_FactorLayer):
    """Rotates each image's hue by ``+-factor / 2`` of a turn, sign and size drawn per image.

    ``value_range`` is kept as given (unsorted), as Keras 3.15 keeps it.
    """

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.value_range = value_range

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        sign = torch.where(self._uniform(batch, 0.0, 1.0, device) > 0.5, -1.0, 1.0)
        shift = sign * self._uniform(batch, self.factor[0], self.factor[1], device) * 0.5
        x = _rescale(self._compute(images), self.value_range, (0, 1))
        hsv = _rgb_to_hsv(x)
        hue = hsv[:, 0] + shift.to(x.dtype).view(-1, 1, 1)
        hue = torch.where(hue > 1.0, hue - 1.0, hue)
        hue = torch.where(hue < 0.0, hue + 1.0, hue)
        x = torch.clamp(_hsv_to_rgb(torch.stack((hue, hsv[:, 1], hsv[:, 2]), 1)), 0, 1)
        return self._compute(_rescale(x, (0, 1), self.value_range))


class RandomSaturation(_FactorLayer):
    """Scales each image's HSV saturation by ``f / (1 - f + 1e-7)``, ``f`` drawn per image
    from ``factor`` (so 0.5 keeps it, 0 greys the image, 1 saturates fully).

    As in Keras 3.15 the scaled saturation is clipped to ``value_range`` and the image is not
    rescaled; float inputs only (Keras' ``rgb_to_hsv`` rejects integers too).
    """

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (-1, 1))
        self.value_range = _value_range(value_range)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        _check_float(self, images)
        f = self._uniform(images.shape[0], self.factor[0], self.factor[1], images.device)
        f = (f / (1 - f + backend.epsilon())).to(images.dtype).view(-1, 1, 1)
        hsv = _rgb_to_hsv(images)
        saturation = torch.clamp(hsv[:, 1] * f, self.value_range[0], self.value_range[1])
        return _hsv_to_rgb(torch.stack((hsv[:, 0], saturation, hsv[:, 2]), 1))


class RandomColorDegeneration(_FactorLayer):
    """Blends each image toward its greyscale version by a ``factor`` drawn per image."""

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (-1, 1))
        self.value_range = _value_range(value_range)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        x = self._compute(images)
        f = self._uniform(x.shape[0], self.factor[0], self.factor[1], x.device, x.dtype)
        grey = _greyscale(self, x)
        x = x + f.view(-1, 1, 1, 1) * (grey - x)
        return torch.clamp(x, self.value_range[0], self.value_range[1])


class RandomSharpness(_FactorLayer):
    """Moves each image away from (or toward) a 3x3-smoothed copy: ``x + (1 - 2 f)(smooth - x)``
    with ``f`` drawn per image, so 0.5 keeps the image. Every input comes back in the compute
    dtype (inference too), as in Keras 3.15."""

    def __init__(
        self,
        factor: Factor,
        value_range: Sequence[float] = (0, 255),
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.value_range = _value_range(value_range)

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        return self._compute(images)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        channels = images.shape[1]
        f = self._uniform(images.shape[0], self.factor[0], self.factor[1], images.device)
        f = (f * 2).to(images.dtype).view(-1, 1, 1, 1)
        kernel = torch.full((3, 3), 1.0 / 13.0, dtype=images.dtype, device=images.device)
        kernel[1, 1] = 5.0 / 13.0
        kernel = kernel.expand(channels, 1, 3, 3)
        smooth = F.conv2d(images, kernel, padding=1, groups=channels)
        x = images + (1.0 - f) * (smooth - images)
        return torch.clamp(x, self.value_range[0], self.value_range[1])


_SHEAR_FACTOR_ERROR = (
    "The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. "
)


def _shear_factor(factor: Any, name: str) -> tuple:
    return _checked_factor(factor, name, _SHEAR_FACTOR_ERROR, lambda f: (-abs(f), abs(f)))


def shear_matrix(shear: torch.Tensor) -> torch.Tensor:
    """``(batch, 2)`` shears ``(x, y)`` to Keras' ``(batch, 8)`` transforms."""
    x, y = shear.unbind(1)
    one, zero = torch.ones_like(x), torch.zeros_like(x)
    return _rows(one, x, zero, y, one, zero, zero, zero)


class RandomShear(_AffineLayer):
    """Shears each image along x and y by drawn factors, both negated together with
    probability 1/2 per image, as Keras 3.15 draws them."""

    def __init__(
        self,
        x_factor: Factor = 0.0,
        y_factor: Factor = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        x_range = _shear_factor(x_factor, "x_factor")
        y_range = _shear_factor(y_factor, "y_factor")
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor = x_range
        self.y_factor = y_range

    def _matrix(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        sign = torch.where(self._uniform(batch, 0.0, 1.0, device) > 0.5, -1.0, 1.0)
        y = self._uniform(batch, self.y_factor[0], self.y_factor[1], device)
        x = self._uniform(batch, self.x_factor[0], self.x_factor[1], device)
        return shear_matrix(torch.stack((x, y), 1) * sign.unsqueeze(1))

    def get_config(self) -> dict:
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}


def _factor_by_name(factor: Any, name: str, bounds: tuple = (0, 1)) -> tuple:
    """Keras 3's ``_set_factor_by_name``: ``_base_factor`` with the argument's name."""
    try:
        return _base_factor(factor, bounds)
    except ValueError:
        raise ValueError(
            f"The `{name}` argument should be a number (or a list of two numbers) in the range "
            f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
        ) from None


def _odd_kernel_size(size: Any, name: str) -> tuple:
    message = f"{name} must be an odd number. Received: {name}={size}"
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(
                f"The `{name}` argument should be a number (or a list of two numbers) "
                f"Received: {name}={size}"
            )
        if size[0] % 2 == 0 or size[1] % 2 == 0:
            raise ValueError(message)
        return size[0], size[1]
    if isinstance(size, (int, float)):
        if size % 2 == 0:
            raise ValueError(message)
        return size, size
    raise ValueError(message)


def _gaussian_kernel_1d(size: int, sigma: torch.Tensor) -> torch.Tensor:
    x = torch.arange(size, dtype=sigma.dtype, device=sigma.device) - (size - 1) / 2
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


class RandomGaussianBlur(_FactorLayer):
    """Blurs each image, with a probability drawn per image from ``factor``, by one Gaussian
    kernel per call (its x and y sigmas drawn from ``sigma``), then clips to ``value_range``.

    Every input comes back in the compute dtype, inference included, as in Keras 3.15; the
    kernel is laid out and padded exactly as Keras' torch ``gaussian_blur`` lays it out.
    """

    def __init__(
        self,
        factor: Factor = 1.0,
        kernel_size: Union[int, Sequence[int]] = 3,
        sigma: Factor = 1.0,
        value_range: Sequence[float] = (0, 255),
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.kernel_size = _odd_kernel_size(kernel_size, "kernel_size")
        self.sigma = _factor_by_name(sigma, "sigma")
        self.value_range = value_range

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        return self._compute(images)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        batch, channels = images.shape[:2]
        device, dtype = images.device, images.dtype
        probability = self._uniform(batch, self.factor[0], self.factor[1], device)
        apply = self._uniform(batch, 0.0, 1.0, device) < probability
        sigma = self._uniform(2, self.sigma[0], self.sigma[1], device, dtype) + 1e-6
        size_x, size_y = int(self.kernel_size[0]), int(self.kernel_size[1])
        kernel = torch.outer(_gaussian_kernel_1d(size_y, sigma[1]),
                             _gaussian_kernel_1d(size_x, sigma[0]))
        kernel = kernel.reshape(1, 1, size_x, size_y).expand(channels, 1, size_x, size_y)
        blurred = F.conv2d(images, kernel, padding=size_x // 2, groups=channels)
        x = torch.where(apply.view(-1, 1, 1, 1), blurred, images)
        return torch.clamp(x, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel_size": self.kernel_size, "sigma": self.sigma}


class RandomErasing(_FactorLayer):
    """Fills one random rectangle per image, with a probability drawn per image from ``factor``.

    The rectangle's sides are ``sqrt(s)`` of the image's, ``s`` drawn per side from ``scale``;
    the fill is ``fill_value`` (a number, or three per-channel numbers) or, when None, Gaussian
    noise times ``value_range[1]``, clipped to ``value_range``. Every input comes back in the
    compute dtype, inference included, as in Keras 3.15.
    """

    def __init__(
        self,
        factor: Factor = 1.0,
        scale: Factor = (0.02, 0.33),
        fill_value: Optional[Union[float, Sequence[float]]] = None,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self.scale = _factor_by_name(scale, "scale")
        self.fill_value = fill_value
        self.value_range = value_range

    def _cast(self, images: torch.Tensor) -> torch.Tensor:
        return self._compute(images)

    def _bounds(self, batch: int, length: int, ratio: torch.Tensor) -> tuple:
        size = ratio * length
        start = self._uniform(batch, 0.0, 1.0, ratio.device, ratio.dtype) * (length - size)
        return start.view(-1, 1, 1, 1), (start + size).view(-1, 1, 1, 1)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = images.shape
        device, dtype = images.device, images.dtype
        ratio = self._uniform(2 * batch, self.scale[0], self.scale[1], device, dtype)
        ratio = ratio.view(batch, 2).sqrt()
        x0, x1 = self._bounds(batch, width, ratio[:, 0])
        y0, y1 = self._bounds(batch, height, ratio[:, 1])
        xs = torch.arange(width, dtype=dtype, device=device).view(1, 1, 1, width)
        ys = torch.arange(height, dtype=dtype, device=device).view(1, 1, height, 1)
        inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
        probability = self._uniform(batch, self.factor[0], self.factor[1], device)
        apply = (self._uniform(batch, 0.0, 1.0, device) < probability).view(-1, 1, 1, 1)
        fill = torch.clamp(self._fill(images), self.value_range[0], self.value_range[1])
        return torch.where(apply & inside, fill, images)

    def _fill(self, images: torch.Tensor) -> torch.Tensor:
        value = self.fill_value
        if value is None:
            noise = torch.randn(
                images.shape, generator=self._generator(images.device), device=images.device,
                dtype=images.dtype,
            )
            return noise * self.value_range[1]
        message = "The `fill_value` argument should be a number (or a list of three numbers) "
        if isinstance(value, (tuple, list)):
            if len(value) != 3:
                raise ValueError(message)
            # Keras fills ``full_like(images, value)``: the three values run along the last
            # axis of the caller's layout (channels in channels_last, width in channels_first).
            shape = (1, 3, 1, 1) if self.data_format == "channels_last" else (1, 1, 1, 3)
            return torch.tensor(value, dtype=images.dtype, device=images.device).view(shape)
        if isinstance(value, (int, float)):
            return torch.full((1, 1, 1, 1), value, dtype=images.dtype, device=images.device)
        raise ValueError(message)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "fill_value": self.fill_value}


class RandomColorJitter(_ColourLayer):
    """RandomBrightness, RandomContrast, RandomSaturation and RandomHue, in that order, each
    only when its factor is given; the result is in the compute dtype (training only).

    As in Keras 3.15 the inner layers are built with the default data format whatever this
    layer's ``data_format``, so a channels_first jitter treats its input as channels_last there.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        brightness_factor: Optional[Factor] = None,
        contrast_factor: Optional[Factor] = None,
        saturation_factor: Optional[Factor] = None,
        hue_factor: Optional[Factor] = None,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = (
            (RandomBrightness, brightness_factor),
            (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor),
            (RandomHue, hue_factor),
        )
        self._steps = torch.nn.ModuleList(
            cls(factor, value_range=value_range, seed=seed, dtype=self.dtype_policy)
            for cls, factor in steps
            if factor is not None
        )

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        x = self._compute(images)
        for step in self._steps:
            x = step._augment_images(x)
        return self._compute(x)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }


class MixUp(_ColourLayer):
    """Blends each image (and, given ``{"images", "labels"}``, its label) with another image of
    the batch: ``w x + (1 - w) x[perm]``, ``w ~ Beta(alpha, alpha)`` per image, as Keras 3.15.

    Data is an image tensor or a dict with "images" and optional "labels" (the dict comes back
    with both replaced, as Keras returns it). The Beta draws are made on the host (a ``(batch,)``
    vector, seeded from the layer's generator when ``seed`` is given) and copied to the device
    without a sync; the permutation is drawn on the device.
    """

    def __init__(
        self,
        alpha: float = 0.2,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def call(self, inputs: Any, training: Optional[bool] = None) -> Any:
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        unknown = sorted(set(inputs) - {"images", "labels"})
        if unknown:
            raise NotImplementedError(
                f"MixUp: dict keys {unknown} (bounding boxes, segmentation masks) are not "
                "implemented in kerasish; pass {'images': ..., 'labels': ...}."
            )
        images = self._cast(torch.as_tensor(inputs["images"]))
        labels = inputs.get("labels")
        if training is None:
            training = self.training
        if training:
            weight, order = self._draw(images)
            images = self._mix(images, weight, order)
            if labels is not None:
                labels = self._mix_labels(torch.as_tensor(labels, device=images.device),
                                          weight, order, images.ndim == 4)
        elif labels is not None:
            labels = torch.as_tensor(labels)
        inputs["images"] = images
        if labels is not None:
            inputs["labels"] = labels
        return inputs

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        weight, order = self._draw(images)
        return self._mix(images, weight, order)

    def _draw(self, images: torch.Tensor) -> tuple:
        batch = images.shape[0] if images.ndim == 4 else 1
        device = images.device
        generator = self._generator(device)
        order = torch.randperm(batch, generator=generator, device=device)
        beta = torch.distributions.Beta(torch.tensor(float(self.alpha)),
                                        torch.tensor(float(self.alpha)))
        if self.seed is None:
            weight = beta.sample((batch,))
        else:
            host = self._generator(torch.device("cpu"))
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(torch.randint(2**62, (1,), generator=host)))
                weight = beta.sample((batch,))
        return weight.to(device, non_blocking=True), order

    def _mix(self, images: torch.Tensor, weight: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
        """Keras' arithmetic for given draws (``weight``: ``(batch,)``, ``order``: a permutation)."""
        x = self._compute(images)
        if x.ndim == 3:
            return weight.to(x.dtype) * x + (1.0 - weight.to(x.dtype)) * x
        w = weight.to(x.dtype).view(-1, 1, 1, 1)
        return w * x + (1.0 - w) * x[order]

    @staticmethod
    def _mix_labels(
        labels: torch.Tensor, weight: torch.Tensor, order: torch.Tensor, batched: bool = True
    ) -> torch.Tensor:
        if not batched:  # Keras mixes a single image's label with itself
            return MixUp._mix_labels(labels.unsqueeze(0), weight, order).squeeze(0)
        w = weight.view(-1, 1)
        return w * labels + (1.0 - w) * labels[order]

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
