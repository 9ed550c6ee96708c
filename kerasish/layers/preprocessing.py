"""Preprocessing layers that models embed: Rescaling, Normalization, CenterCrop, Resizing.

They run inside the model on torch tensors, in training and in inference alike. Image resizing
is Keras 3's on its torch backend: ``F.interpolate`` with half-pixel centres
(``align_corners=False``), ``"nearest"`` as torch's ``"nearest-exact"``, and integer images
resized in float32 then rounded and saturated back to their dtype.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers.base import Layer

Shape = Sequence[Optional[int]]

_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
# Keras interpolations its torch backend cannot compute either.
_UNSUPPORTED_INTERPOLATIONS = ("lanczos3", "lanczos5", "area")


def check_interpolation(interpolation: str, layer: str) -> None:
    if interpolation in _UNSUPPORTED_INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer}: interpolation='{interpolation}' is not supported by kerasish (nor by "
            "Keras 3 on its torch backend). Supported: 'bilinear', 'nearest', 'bicubic'."
        )
    if interpolation not in _RESIZE_MODES:
        raise ValueError(
            f"{layer}: invalid value for argument `interpolation`. Expected one of "
            f"{tuple(_RESIZE_MODES)}. Received: interpolation={interpolation}"
        )


def resize_images(
    images: torch.Tensor,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
) -> torch.Tensor:
    """Resize ``(batch, channels, height, width)`` images as Keras 3's torch backend does."""
    dtype = images.dtype
    x = images if dtype in (torch.float32, torch.float64) else images.to(torch.float32)
    smooth = interpolation in ("bilinear", "bicubic")
    out = F.interpolate(
        x,
        size=tuple(size),
        mode=_RESIZE_MODES[interpolation],
        align_corners=False if smooth else None,
        antialias=antialias and smooth,
    )
    if out.dtype == dtype:
        return out
    if not dtype.is_floating_point:
        info = torch.iinfo(dtype)
        out = out.round().clamp(info.min, info.max)
    return out.to(dtype)


def _crop_box(height: int, width: int, target_height: int, target_width: int) -> tuple:
    """Keras' centred crop with the target aspect ratio: (top, left, crop_height, crop_width)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return (
        int(float(height - crop_height) / 2),
        int(float(width - crop_width) / 2),
        crop_height,
        crop_width,
    )


class _ImageLayer(Layer):
    """Images are ``(batch, h, w, c)`` / ``(batch, c, h, w)``, or one unbatched image."""

    def __init__(
        self, height: int, width: int, data_format: Optional[str], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.height = height
        self.width = width
        self.data_format = backend.standardize_data_format(data_format)
        self.built = True

    def _as_nchw(self, inputs: torch.Tensor) -> tuple[torch.Tensor, bool]:
        if inputs.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects rank 3 (one image) or "
                f"rank 4 (a batch of images) inputs. Received: inputs.shape="
                f"{tuple(inputs.shape)}"
            )
        unbatched = inputs.ndim == 3
        x = inputs.unsqueeze(0) if unbatched else inputs
        return (x.movedim(-1, 1) if self.data_format == "channels_last" else x), unbatched

    def _from_nchw(self, x: torch.Tensor, unbatched: bool) -> torch.Tensor:
        x = x.movedim(1, -1) if self.data_format == "channels_last" else x
        return x.squeeze(0) if unbatched else x

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        shape = list(input_shape)
        if len(shape) not in (3, 4) or isinstance(shape[0], (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): `input_shape` must be a "
                f"non-nested shape of rank 3 (unbatched) or 4 (batched). Received: "
                f"input_shape={tuple(input_shape)}"
            )
        first = len(shape) - 3 + (1 if self.data_format == "channels_first" else 0)
        shape[first], shape[first + 1] = self.height, self.width
        return tuple(shape)


class Resizing(_ImageLayer):
    """Resize images to ``(height, width)``, optionally cropping or padding to the aspect ratio."""

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(height, width, data_format, **kwargs)
        check_interpolation(interpolation, f"Resizing layer '{self.name}'")
        if fill_mode != "constant":
            raise ValueError(
                f"Resizing layer '{self.name}': invalid value for argument `fill_mode`. Only "
                f"'constant' is supported. Received: fill_mode={fill_mode}"
            )
        if pad_to_aspect_ratio and crop_to_aspect_ratio:
            raise ValueError(
                "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x, unbatched = self._as_nchw(inputs)
        height, width = x.shape[-2], x.shape[-1]
        if self.crop_to_aspect_ratio:
            top, left, h, w = _crop_box(height, width, self.height, self.width)
            x = x[:, :, top:top + h, left:left + w]
        elif self.pad_to_aspect_ratio:
            x = self._pad_to_aspect_ratio(x, height, width)
        out = resize_images(x, (self.height, self.width), self.interpolation, self.antialias)
        return self._from_nchw(out, unbatched)

    def _pad_to_aspect_ratio(self, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """Keras pads the same amount on both sides of the axis that is too short."""
        pad_height = max(height, int(float(width * self.height) / self.width))
        pad_width = max(width, int(float(height * self.width) / self.height))
        top = int(float(pad_height - height) / 2)
        left = int(float(pad_width - width) / 2)
        if top == 0 and left == 0:
            return x
        return F.pad(x, (left, left, top, top), value=float(self.fill_value))

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
        }
        # Keras 3 only; written when set so tf.keras still reads the common case.
        for key, default in (
            ("pad_to_aspect_ratio", False),
            ("fill_mode", "constant"),
            ("fill_value", 0.0),
            ("antialias", False),
            ("data_format", "channels_last"),
        ):
            if getattr(self, key) != default:
                config[key] = getattr(self, key)
        return config


class CenterCrop(_ImageLayer):
    """Crop the centre ``(height, width)``; images smaller than that are crop-resized up."""

    def __init__(
        self, height: int, width: int, data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(height, width, data_format, **kwargs)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x, unbatched = self._as_nchw(inputs.to(backend.torch_dtype(self.compute_dtype)))
        height, width = x.shape[-2], x.shape[-1]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            out = x[:, :, top:top + self.height, left:left + self.width]
        else:
            top, left, h, w = _crop_box(height, width, self.height, self.width)
            out = resize_images(
                x[:, :, top:top + h, left:left + w], (self.height, self.width), "bilinear"
            )
        return self._from_nchw(out, unbatched)

    def get_config(self) -> dict:
        config = {**super().get_config(), "height": self.height, "width": self.width}
        if self.data_format != "channels_last":  # tf.keras' CenterCrop has no data_format
            config["data_format"] = self.data_format
        return config


class Rescaling(Layer):
    """``inputs * scale + offset`` in the compute dtype; ``scale``/``offset`` may be per channel.

    Per-channel values become non-persistent buffers once, so a call copies nothing to the
    device; with ``image_data_format() == "channels_first"`` the scale (not the offset, as in
    Keras) is shaped to broadcast over ``(channels, height, width)``.
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        dtype = backend.torch_dtype(self.compute_dtype)
        channels_first = backend.image_data_format() == "channels_first"
        self._scale = self._constant("_scale_tensor", scale, dtype, channels_first)
        self._offset = self._constant("_offset_tensor", offset, dtype, False)
        self.built = True

    def _constant(self, name: str, value: Any, dtype: torch.dtype, channels_first: bool) -> Any:
        if np.ndim(value) == 0:
            return float(np.asarray(value))
        tensor = torch.as_tensor(np.asarray(value), dtype=dtype)
        if channels_first:
            tensor = tensor.reshape(tuple(tensor.shape) + (1,) * (3 - tensor.ndim))
        self.register_buffer(name, tensor, persistent=False)
        return None

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.to(backend.torch_dtype(self.compute_dtype))
        scale = self._scale_tensor if self._scale is None else self._scale
        offset = self._offset_tensor if self._offset is None else self._offset
        return x * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


def _plain(value: Any) -> Any:
    return np.asarray(value).tolist() if isinstance(value, (np.ndarray, torch.Tensor)) else value


class Normalization(Layer):
    """``(x - mean) / max(sqrt(variance), epsilon)``, per ``axis`` (``invert`` undoes it).

    ``mean``/``variance`` come from the constructor (plain buffers, not weights) or from
    ``adapt(data)``; adapted statistics are Keras' non-trainable weights ``mean``, ``variance``
    and ``count`` (stored as ``adapt_mean``, ``adapt_variance``, ``count``).
    """

    def __init__(
        self,
        axis: Any = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape: Optional[tuple] = None
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same "
                    f"shape. Received: mean shape {np.shape(mean)} and variance shape "
                    f"{np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    "The rank of `mean` must be less than or equal to the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis "
                    f"{self.axis}"
                )

    def build(self, input_shape: Shape) -> None:
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    "All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={input_shape}, with unknown axis at "
                    f"index {d}"
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(
            input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)
        )
        stats_shape = tuple(input_shape[d] for d in self._keep_axis)
        self._stats_shape = stats_shape
        dtype = backend.torch_dtype(self.compute_dtype)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                "mean", shape=stats_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                "variance", shape=stats_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                "count", shape=(), dtype="int32", initializer="zeros", trainable=False
            )
        else:
            mean = torch.as_tensor(np.asarray(self.input_mean), dtype=dtype)
            variance = torch.as_tensor(np.asarray(self.input_variance), dtype=dtype)
            # The given statistics fill the kept axes from the last one backwards.
            expanded = [1] * ndim
            for i in range(1, mean.ndim + 1):
                expanded[self._keep_axis[-i]] = mean.shape[-i]
            self.register_buffer(
                "_fixed_mean",
                mean.reshape(expanded).expand(self._broadcast_shape).clone(),
                persistent=False,
            )
            self.register_buffer(
                "_fixed_variance",
                variance.reshape(expanded).expand(self._broadcast_shape).clone(),
                persistent=False,
            )
        self.built = True

    @property
    def mean(self) -> Optional[torch.Tensor]:
        """The mean in the inputs' broadcast shape, as Keras' ``layer.mean``."""
        if not self.built:
            return None
        if self.input_mean is not None:
            return self._fixed_mean
        return self.adapt_mean.reshape(self._broadcast_shape)

    @property
    def variance(self) -> Optional[torch.Tensor]:
        if not self.built:
            return None
        if self.input_mean is not None:
            return self._fixed_variance
        return self.adapt_variance.reshape(self._broadcast_shape)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.to(backend.torch_dtype(self.compute_dtype))
        mean, variance = self.mean, self.variance
        if x.ndim != len(self._broadcast_shape):
            raise ValueError(
                f"Normalization layer '{self.name}' was built for inputs of shape "
                f"{self._build_input_shape}; received inputs of shape {tuple(inputs.shape)}."
            )
        std = variance.sqrt().clamp(min=backend.epsilon())
        if self.invert:
            return mean + x * std
        return (x - mean) / std

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    # ------------------------------------------------------------------ adapt

    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of ``data`` over the non-``axis`` axes.

        ``data`` is an array or tensor (all samples at once) or an iterable of batches (each
        an array/tensor, or an ``(x, y)`` tuple whose ``x`` is used), combined as Keras does.
        """
        batches: Optional[Iterable] = None
        if isinstance(data, (np.ndarray, torch.Tensor)):
            input_shape = tuple(data.shape)
        elif hasattr(data, "__iter__"):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one "
                    "batch."
                )
            first = first[0] if isinstance(first, tuple) else first
            if not hasattr(first, "shape"):
                raise TypeError(
                    "adapt() expects an iterable that yields arrays or tensors with a "
                    f"`.shape` attribute. Got an element of type {type(first).__name__}."
                )
            input_shape = tuple(first.shape)
            batches = itertools.chain([first], iterator)
        else:
            raise TypeError(
                f"Unsupported data type: {type(data)}. `adapt` supports `np.ndarray`, torch "
                "tensors and iterables of batches."
            )
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer '{self.name}' was given `mean` and `variance`; it has "
                "nothing to adapt."
            )
        if not self.built:
            self.build(input_shape)
        else:
            self._check_adapt_shape(input_shape)
        if batches is None:
            mean, variance = _moments(data, self._reduce_axis)
        else:
            mean, variance = self._streamed_moments(batches)
        with torch.no_grad():
            self.adapt_mean.copy_(mean.reshape(self._stats_shape))
            self.adapt_variance.copy_(variance.reshape(self._stats_shape))

    def _check_adapt_shape(self, input_shape: tuple) -> None:
        for d in self._keep_axis:
            if d >= len(input_shape) or input_shape[d] != self._build_input_shape[d]:
                raise ValueError(
                    f"The layer was built with input_shape={self._build_input_shape}, but "
                    "adapt() is being called with data with an incompatible shape, "
                    f"data.shape={input_shape}"
                )

    def _streamed_moments(self, batches: Iterable) -> tuple[torch.Tensor, torch.Tensor]:
        """Merge per-batch moments with Keras' weighting (exact for the population variance)."""
        total_mean = torch.zeros(self._stats_shape, dtype=torch.float64)
        total_var = torch.zeros(self._stats_shape, dtype=torch.float64)
        total_count = 0
        for batch in batches:
            batch = batch[0] if isinstance(batch, tuple) else batch
            self._check_adapt_shape(tuple(batch.shape))
            batch_mean, batch_var = _moments(batch, self._reduce_axis)
            batch_mean = batch_mean.reshape(self._stats_shape).double()
            batch_var = batch_var.reshape(self._stats_shape).double()
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            total_count += count
            weight = count / total_count
            new_mean = total_mean * (1 - weight) + batch_mean * weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - weight) + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            total_mean = new_mean
        return total_mean, total_var

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": _plain_stat(self.input_mean),
            "variance": _plain_stat(self.input_variance),
        }


def _plain_stat(value: Any) -> Any:
    return None if value is None else np.asarray(value).tolist()


def _moments(data: Any, axes: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and population variance over ``axes`` (float32 computed in float64)."""
    if isinstance(data, torch.Tensor):
        values = data.detach().to("cpu", torch.float64)
    else:
        values = torch.from_numpy(np.asarray(data, dtype=np.float64))
    if not axes:
        return values, torch.zeros_like(values)
    variance, mean = torch.var_mean(values, dim=axes, correction=0)
    return mean, variance
