"""Keras weight initializers, computed with Keras' fan rules on Keras-layout shapes.

Layers ask for a value in the Keras layout (Dense kernel ``(in, out)``) and convert it to the
torch layout afterwards, so every initializer sees exactly the shape Keras would and fans,
orthogonality and truncation come out as in Keras.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish import backend, signal_windows
from kerasish.saving import registry


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _generator(seed: Optional[int]) -> Optional[torch.Generator]:
    if seed is None:
        return None
    gen = torch.Generator()
    gen.manual_seed(int(seed))
    return gen


class Initializer:
    """Base class: ``init(shape, dtype)`` returns a new CPU torch tensor."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return torch.zeros(tuple(shape), dtype=backend.torch_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return torch.ones(tuple(shape), dtype=backend.torch_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape, dtype=None):
        return torch.full(tuple(shape), float(self.value), dtype=backend.torch_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Optional[int] = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        out = torch.empty(tuple(shape), dtype=backend.torch_dtype(dtype))
        return out.uniform_(self.minval, self.maxval, generator=_generator(self.seed))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        out = torch.empty(tuple(shape), dtype=backend.torch_dtype(dtype))
        return out.normal_(self.mean, self.stddev, generator=_generator(self.seed))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values re-drawn outside two standard deviations, as Keras does."""

    def __call__(self, shape, dtype=None):
        out = torch.empty(tuple(shape), dtype=backend.torch_dtype(dtype))
        return _truncated_normal_(out, self.mean, self.stddev, _generator(self.seed))


def _truncated_normal_(out, mean, stddev, generator):
    # Inverse-CDF sampling of the normal truncated to [mean - 2 std, mean + 2 std].
    lower = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))
    upper = 1.0 - lower
    out.uniform_(2 * lower - 1, 2 * upper - 1, generator=generator)
    out.erfinv_().mul_(stddev * math.sqrt(2.0)).add_(mean)
    return out.clamp_(mean - 2 * stddev, mean + 2 * stddev)


class VarianceScaling(Initializer):
    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Optional[int] = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"Invalid `mode` argument: {mode}")
        distribution = distribution.lower()
        if distribution == "normal":  # Keras 2 spelling; Keras 3 reads it as truncated_normal
            distribution = "truncated_normal"
        if distribution not in {"uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError(f"Invalid `distribution` argument: {distribution}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        out = torch.empty(tuple(shape), dtype=backend.torch_dtype(dtype))
        gen = _generator(self.seed)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _truncated_normal_(out, 0.0, stddev, gen)
        if self.distribution == "untruncated_normal":
            return out.normal_(0.0, math.sqrt(scale), generator=gen)
        limit = math.sqrt(3.0 * scale)
        return out.uniform_(-limit, limit, generator=gen)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


class _FixedVarianceScaling(VarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"

    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__(self._scale, self._mode, self._distribution, seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class Orthogonal(Initializer):
    """Keras' rule: flatten to ``(prod(shape[:-1]), shape[-1])``, QR, fix signs, scale by gain."""

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None) -> None:
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2. Received: {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = torch.empty(max(rows, cols), min(rows, cols), dtype=torch.float64)
        flat.normal_(generator=_generator(self.seed))
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(backend.torch_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={tuple(shape)} of rank {len(shape)}."
            )
        return self.gain * torch.eye(*shape, dtype=backend.torch_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class STFT(Initializer):
    """Keras 3's kernel of a short-time Fourier transform as a convolution, shape
    ``(frame_length, channels, fft_length // 2 + 1)``: the real (``cos``) or imaginary (``sin``)
    part of ``exp(-2 pi i t f / fft_length)``, times a window normalised by its L2
    (``"density"``) or L1 (``"spectrum"``) norm.

    The arithmetic is Keras' in the requested dtype, step for step, so kernels are equal to
    Keras' to the last bit; windows come from ``signal_windows`` (SciPy's values).
    """

    def __init__(
        self, side: str = "real", window: Any = "hann", scaling: Optional[str] = "density",
        periodic: bool = False,
    ) -> None:
        if side not in ["real", "imag"]:
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            signal_windows.check_window(window)
        if scaling is not None and scaling not in ["density", "spectrum"]:
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' "
                f"or 'spectrum'. Received scaling={scaling}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dtype = backend.torch_dtype(dtype)
        frame_length, _, fft_length = shape
        window, scaling = None, 1
        if self.window is not None:
            window = self.window
            if isinstance(window, str):
                window = signal_windows.get_window(window, frame_length, self.periodic)
            window = torch.as_tensor(np.asarray(window)).to(dtype)
            if window.ndim != 1 or window.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]."
                    f"Received: window shape={tuple(window.shape)}"
                )
            window = window.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scaling = torch.sqrt(torch.sum(torch.square(window)))
            elif self.scaling == "spectrum":
                scaling = torch.sum(torch.abs(window))
        frequencies = torch.arange(fft_length, dtype=dtype).reshape(1, 1, fft_length)
        frequencies = frequencies / ((fft_length - 1) * 2)
        times = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        angles = (-2 * times) * frequencies * torch.arccos(torch.tensor(-1, dtype=dtype))
        kernel = torch.cos(angles) if self.side == "real" else torch.sin(angles)
        if window is not None:
            kernel = (kernel * window) / scaling
        return kernel

    def get_config(self):
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


_CLASSES = {
    cls.__name__: cls
    for cls in (
        Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
        GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
        Orthogonal, Identity, STFT,
    )
}
_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "uniform": RandomUniform, "random_uniform": RandomUniform,
    "normal": RandomNormal, "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "identity": Identity, "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity, "stft": STFT, "STFTInitializer": STFT,
}

# Keras' lowercase spellings as attributes (`initializers.he_normal(seed=1)`), as in Keras 3.
zeros, ones, constant = Zeros, Ones, Constant
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
# Keras 3's compatibility names for the same classes.
IdentityInitializer, OrthogonalInitializer, STFTInitializer, stft = Identity, Orthogonal, STFT, STFT


def get(identifier: Any) -> Initializer:
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            return registry.custom_object(identifier, {}, "initializer")
        return cls()
    if isinstance(identifier, dict):
        name = identifier["class_name"]
        cls = _ALIASES.get(name) or _CLASSES.get(name)
        if cls is None:
            name = identifier.get("registered_name") or name
            return registry.custom_object(name, identifier.get("config"), "initializer")
        config = {k: v for k, v in identifier.get("config", {}).items() if k in _accepted(cls)}
        return cls(**config)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """Keras 3's: a name (an instance of that class) or a config dict; an unknown name comes
    back unchanged, as in Keras."""
    from kerasish.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(
        config, custom_objects, module_objects={**_CLASSES, **_ALIASES}
    )


def _accepted(cls) -> set:
    import inspect

    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def serialize(initializer: Any) -> Any:
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return getattr(initializer, "__name__", initializer)
