"""Regularization layers: spatial dropout, noise, alpha dropout, activity regularization.

All of them are the identity at inference. At training time each draws its noise with torch's
random generator, so values match Keras only in distribution; the formulas (scales, the SELU
constants of AlphaDropout) are Keras 3's. ``training=None`` follows the module's train flag.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch

from kerasish import backend, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.core import Dropout
from kerasish.layers.input_spec import InputSpec
from kerasish.mixed_precision import policy as policy_lib


def _check_rate(rate: float, name: str = "rate") -> None:
    if not 0 <= rate <= 1:
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value between 0 "
            f"and 1. Received: {name}={rate}"
        )


class _Noise(Layer):
    """Identity at inference and for shape purposes; subclasses define ``_noisy``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training:
            return inputs
        return self._noisy(inputs)

    def _noisy(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


# ------------------------------------------------------------------ spatial dropout


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel).

    Keras 3's constructor takes only ``rate, seed, name, dtype`` (and ``data_format``) and its
    config holds only those, so that is what is written; tf.keras configs also carry
    ``trainable`` and ``noise_shape``, which are accepted when read.
    """

    _rank = 3

    def __init__(
        self,
        rate: float,
        data_format: Optional[str] = None,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        noise_shape = kwargs.pop("noise_shape", None)
        if noise_shape is not None:
            raise ValueError(
                f"{type(self).__name__} computes its own noise shape; received "
                f"noise_shape={noise_shape}."
            )
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank)
        self.built = True

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training or self.rate == 0:
            return inputs
        shape = [1] * inputs.ndim
        shape[0] = inputs.shape[0]
        channel_axis = -1 if self.data_format == "channels_last" else 1
        shape[channel_axis] = inputs.shape[channel_axis]
        if self.rate == 1:
            return torch.zeros_like(inputs)
        keep = torch.empty(shape, dtype=inputs.dtype, device=inputs.device).bernoulli_(
            1 - self.rate
        )
        return inputs * keep / (1 - self.rate)

    def get_config(self) -> dict:
        config = {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": policy_lib.serialize(self._dtype),
        }
        if self._rank > 3:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of ``(batch, steps, channels)`` inputs."""

    _rank = 3

    def __init__(
        self,
        rate: float,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(rate, "channels_last", seed, name, dtype, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    _rank = 5


# -------------------------------------------------------------------------- noise


class GaussianNoise(_Noise):
    """Adds ``N(0, stddev)`` noise at training time."""

    def __init__(self, stddev: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_rate(stddev, "stddev")
        self.stddev = stddev
        self.seed = seed

    def _noisy(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.stddev == 0:
            return inputs
        return inputs + torch.randn_like(inputs) * self.stddev

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies by ``N(1, sqrt(rate / (1 - rate)))`` noise at training time."""

    def __init__(self, rate: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.seed = seed

    def _noisy(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * (torch.randn_like(inputs) * stddev + 1.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Dropout that keeps SELU's self-normalizing mean and variance.

    Dropped units are set to SELU's negative saturation value ``-alpha * scale`` and the result
    is then moved back to the inputs' mean and variance by an affine ``a * x + b``.
    """

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(
        self,
        rate: float,
        noise_shape: Optional[Any] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed

    def _noisy(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = [shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        kept = (
            torch.rand(shape, dtype=inputs.dtype, device=inputs.device) >= self.rate
        ).to(inputs.dtype)
        alpha_p = -self._ALPHA * self._SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


# ---------------------------------------------------------- activity regularization


class ActivityRegularization(Layer):
    """Identity that adds ``l1 * sum|x| + l2 * sum(x^2)`` (per sample) to ``layer.losses``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
