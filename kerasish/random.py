"""``keras.random``: seeded random tensors and ``SeedGenerator``, as Keras 3 on torch.

Keras 3's torch backend turns every seed into a ``torch.Generator`` seeded with
``(seed + counter) mod 2**32`` (an integer seed has counter 0; a ``SeedGenerator`` advances its
counter on each draw) and draws with torch's own samplers. kerasish does the same, so on the CPU
the same seed gives Keras' numbers exactly. Two departures, both for speed and neither visible
in the values: a ``SeedGenerator`` keeps its state as Python integers (Keras keeps a device
variable and reads it back on every draw), and ``gamma``/``binomial``/``beta`` draw from a
generator instead of reseeding torch's global generator and restoring it.

Tensors are created on the device a Lambda layer or shape inference asks for (``meta`` while a
layer's output shape is inferred), else on ``kerasish.config.device()``, as Keras creates them
on its default device; the functions that take a tensor work on that tensor's device.
"""

from __future__ import annotations

import random as python_random
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from kerasish import backend, devices
from kerasish.ops import core as ops_core

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]


class _SeedState:
    """``SeedGenerator.state``: Keras' ``[seed, counter]`` int32 variable, read and assigned
    like one (``numpy()``, ``value``, ``assign``)."""

    name = "seed_generator_state"
    dtype = "int32"
    shape = (2,)
    trainable = False

    def __init__(self, generator: SeedGenerator, seed: int) -> None:
        self._generator_name = generator.name
        self.values = [seed, 0]

    @property
    def path(self) -> str:
        return f"{self._generator_name}/{self.name}"

    @property
    def value(self) -> torch.Tensor:
        return torch.tensor(_as_int32(self.values), dtype=torch.int32)

    def numpy(self) -> np.ndarray:
        return np.array(_as_int32(self.values), dtype="int32")

    def assign(self, value: Any) -> None:
        values = np.asarray(value).reshape(-1).tolist()
        if len(values) != 2:
            raise ValueError(
                f"SeedGenerator state must have shape (2,). Received a value of shape "
                f"{np.shape(value)}."
            )
        self.values = [int(v) for v in values]

    def __repr__(self) -> str:
        return (
            f"<Variable path={self.path}, shape=(2,), dtype=int32, value={self.numpy()}>"
        )


def _as_int32(values: Sequence[int]) -> list[int]:
    return [((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000 for v in values]


class SeedGenerator:
    """A seed that changes on every draw, so repeated calls give new values reproducibly.

    An integer ``seed`` passed to a random function gives the same values on every call; pass
    a ``SeedGenerator`` (typically a layer attribute) to get a fresh, reproducible stream.
    """

    def __init__(self, seed: Optional[int] = None, name: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or backend.unique_object_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.state = _SeedState(self, seed)

    def next(self, ordered: bool = True) -> torch.Tensor:
        """The current ``[seed, counter]``, advancing the state for the next draw."""
        current = self.state.value
        self._advance(ordered)
        return current

    def _advance(self, ordered: bool) -> tuple[int, int]:
        first, second = self.state.values
        if ordered:
            self.state.values = [first, second + 1]
        else:  # Keras' scramble for the global generator: near-unique values below 933199
            self.state.values = [(v + 1) * 5387 % 933199 for v in (first, second)]
        return first, second

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> SeedGenerator:
        return cls(**config)


SeedLike = Union[None, int, SeedGenerator]

_GLOBAL_GENERATOR: list[Optional[SeedGenerator]] = [None]


def make_default_seed() -> int:
    return python_random.randint(1, int(1e9))


def global_seed_generator() -> SeedGenerator:
    """The generator behind ``seed=None``; ``set_random_seed`` and ``clear_session`` drop it,
    so it is re-made from Python's (re)seeded ``random``."""
    if _GLOBAL_GENERATOR[0] is None:
        _GLOBAL_GENERATOR[0] = SeedGenerator()
    return _GLOBAL_GENERATOR[0]


def reset_global_seed_generator() -> None:
    _GLOBAL_GENERATOR[0] = None


def _torch_seed(seed: SeedLike) -> int:
    """The integer Keras' torch backend seeds its ``torch.Generator`` with."""
    if isinstance(seed, SeedGenerator):
        first, second = seed._advance(ordered=True)
    elif isinstance(seed, int) and not isinstance(seed, bool):
        first, second = seed, 0
    elif seed is None:
        first, second = global_seed_generator()._advance(ordered=False)
    else:
        raise ValueError(
            "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
            f"Received: seed={seed} (of type {type(seed)})"
        )
    first, second = _as_int32((first, second))
    return (first + second) & 0xFFFFFFFF


def _creation_device() -> torch.device:
    return ops_core._DEVICE_HINT[0] or devices.current()


def _generator(seed: SeedLike, device: torch.device) -> Optional[torch.Generator]:
    """A seeded generator on ``device``; none on ``meta`` (no data is drawn there), though the
    seed is still consumed so a ``SeedGenerator`` advances as in a real call."""
    value = _torch_seed(seed)
    if device.type == "meta":
        return None
    return torch.Generator(device=device).manual_seed(value)


def _float_dtype(dtype: Any) -> torch.dtype:
    return backend.torch_dtype(dtype or backend.floatx())


def _size(shape: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in shape)


def normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: SeedLike = None) -> torch.Tensor:
    device = _creation_device()
    return torch.normal(
        mean, stddev, size=_size(shape), generator=_generator(seed, device),
        dtype=_float_dtype(dtype), device=device,
    )


def uniform(shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: SeedLike = None) -> torch.Tensor:
    if dtype and not backend.is_float_dtype(dtype):
        raise ValueError(
            "`keras.random.uniform` requires a floating point `dtype`. Received: "
            f"dtype={dtype} "
        )
    size = _size(shape)
    device = _creation_device()
    values = torch.rand(
        size or (1,), generator=_generator(seed, device), dtype=_float_dtype(dtype), device=device
    )
    values = (maxval - minval) * values + minval
    return values if size else values[0]


def randint(shape: Sequence[int], minval: int, maxval: int, dtype: Any = "int32", seed: SeedLike = None) -> torch.Tensor:
    if dtype and not backend.is_int_dtype(dtype):
        raise ValueError(
            "`keras.random.randint` requires an integer `dtype`. Received: "
            f"dtype={dtype} "
        )
    device = _creation_device()
    return torch.randint(
        low=minval, high=maxval, size=_size(shape), generator=_generator(seed, device),
        dtype=backend.torch_dtype(dtype or "int32"), device=device,
    )


def truncated_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: SeedLike = None) -> torch.Tensor:
    """Keras' draw: four normals per value, the first within two standard deviations kept
    (the first draw when none is, about once in 230,000 values, as Keras)."""
    size = _size(shape)
    draws = normal(size + (4,), dtype=dtype, seed=seed)
    first_valid = ((draws > -2) & (draws < 2)).max(-1, keepdim=True)[1]
    return draws.gather(-1, first_valid).squeeze(-1).mul_(stddev).add_(mean)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: SeedLike = None) -> torch.Tensor:
    """``num_samples`` class indices per row of 2D ``logits`` (unnormalised log-probabilities)."""
    logits = ops_core.to_tensor(logits)
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. Received: "
            f"logits={logits}"
        )
    probabilities = torch.softmax(logits, dim=-1)
    generator = _generator(seed, logits.device)
    samples = torch.multinomial(probabilities, num_samples, replacement=True, generator=generator)
    return samples.to(backend.torch_dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Optional[Sequence[Optional[int]]] = None, seed: SeedLike = None) -> torch.Tensor:
    """Zero each value with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Unseeded (``None``, or a ``SeedGenerator`` made without a seed) and without
    ``noise_shape``, this is torch's fused dropout on the global generator, as in Keras.
    """
    inputs = ops_core.to_tensor(inputs)
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    unseeded = seed is None or (isinstance(seed, SeedGenerator) and seed._initial_seed is None)
    if unseeded and noise_shape is None:
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    keep = 1.0 - rate
    if noise_shape is None:
        shape = tuple(inputs.shape)
    else:
        shape = tuple(inputs.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    generator = _generator(seed, inputs.device)
    mask = torch.bernoulli(torch.full(shape, keep, device=inputs.device), generator=generator)
    mask = mask.bool().broadcast_to(inputs.shape)
    return torch.where(mask, inputs / keep, torch.zeros_like(inputs))


def shuffle(x: Any, axis: int = 0, seed: SeedLike = None) -> torch.Tensor:
    """``x`` with its entries permuted along ``axis``: each slice before ``axis`` gets its own
    permutation (Keras' torch backend argsorts uniform noise of shape ``x.shape[:axis + 1]``)."""
    x = ops_core.to_tensor(x)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"`axis` {axis} is out of bounds for a tensor of rank {x.ndim} in "
            "`keras.random.shuffle`."
        )
    axis = axis % x.ndim
    generator = _generator(seed, x.device)
    order = torch.rand(x.shape[: axis + 1], generator=generator, device=x.device).argsort(axis)
    order = order.reshape(order.shape + (1,) * (x.ndim - axis - 1)).expand(x.shape)
    return x.gather(axis, order)


def gamma(shape: Sequence[int], alpha: Any, dtype: Any = None, seed: SeedLike = None) -> torch.Tensor:
    """Gamma(``alpha``, rate 1) samples; ``alpha`` broadcasts to ``shape``."""
    size = _size(shape)
    device = _creation_device()
    alpha = ops_core.to_tensor(alpha, device=device).broadcast_to(size)
    generator = _generator(seed, device)
    samples = torch._standard_gamma(alpha, generator=generator)
    samples = samples.clamp(min=torch.finfo(samples.dtype).tiny)  # as torch's Gamma.sample
    return samples.to(_float_dtype(dtype))


def binomial(shape: Sequence[int], counts: Any, probabilities: Any, dtype: Any = None, seed: SeedLike = None) -> torch.Tensor:
    """Successes in ``counts`` trials of probability ``probabilities`` (both broadcast to
    ``shape``)."""
    size = _size(shape)
    device = _creation_device()
    probabilities = ops_core.to_tensor(probabilities, device=device).broadcast_to(size)
    counts = ops_core.to_tensor(counts, device=device).broadcast_to(size)
    floating = torch.promote_types(probabilities.dtype, torch.float32)
    counts, probabilities = torch.broadcast_tensors(counts.to(floating), probabilities.to(floating))
    samples = torch.binomial(counts, probabilities, generator=_generator(seed, device))
    return samples.to(_float_dtype(dtype))


def beta(shape: Sequence[int], alpha: Any, beta: Any, dtype: Any = None, seed: SeedLike = None) -> torch.Tensor:
    """Beta(``alpha``, ``beta``) samples, drawn as torch's ``Beta`` draws them (a Dirichlet over
    the pair)."""
    size = _size(shape)
    device = _creation_device()
    alpha = ops_core.to_tensor(alpha, device=device)
    beta_ = ops_core.to_tensor(beta, device=device)
    floating = torch.promote_types(torch.promote_types(alpha.dtype, beta_.dtype), torch.float32)
    pair = torch.stack(
        [alpha.to(floating).broadcast_to(size), beta_.to(floating).broadcast_to(size)], -1
    )
    samples = torch._sample_dirichlet(pair, generator=_generator(seed, device)).select(-1, 0)
    return samples.to(_float_dtype(dtype))


