"""Keras' learning-rate schedules, evaluated with tensor ops on the step's device.

The optimizer calls a schedule with its ``iterations`` tensor every step, so nothing here may
read a value on the host: constants enter as Python scalars (kernel arguments, not device copies)
and Keras' ``ops.cond`` branches become ``torch.where``. Arithmetic is float32, as Keras computes
it from a float ``initial_learning_rate``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish.saving import registry

_FLOAT = torch.float32


def _float_step(step: Any) -> torch.Tensor:
    return torch.as_tensor(step).to(_FLOAT)


def _positive_steps(argument: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{argument}` must be > 0. Received: {argument}={value}")


class LearningRateSchedule:
    """Base class: ``schedule(step)`` returns the learning rate of that step."""

    def __call__(self, step: Any) -> torch.Tensor:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        return cls(**config)


class _BuiltinSchedule(LearningRateSchedule):
    """A Keras schedule whose config is its constructor arguments, read back from the
    attributes of those names (``_config_keys``, in Keras' order)."""

    _config_keys: tuple[str, ...] = ()

    def get_config(self) -> dict:
        return {key: getattr(self, key) for key in self._config_keys}


class _TimeDecay(_BuiltinSchedule):
    """What ExponentialDecay and InverseTimeDecay share: Keras gives them the same arguments
    and config, and both decay along ``step / decay_steps`` (floored with ``staircase``)."""

    _config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool,
        name: str,
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _positive_steps("decay_steps", decay_steps)

    def _progress(self, step: Any) -> torch.Tensor:
        p = _float_step(step) / float(self.decay_steps)
        return torch.floor(p) if self.staircase else p


class ExponentialDecay(_TimeDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate * torch.pow(float(self.decay_rate), self._progress(step))


class PiecewiseConstantDecay(_BuiltinSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``."""

    _config_keys = ("boundaries", "values", "name")

    def __init__(
        self, boundaries: Sequence[Any], values: Sequence[Any], name: str = "PiecewiseConstant"
    ) -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = torch.as_tensor(step)
        # Keras casts the boundaries to the step's dtype (an integer step truncates them).
        cast = int if not step.is_floating_point() else float
        bounds = [cast(b) for b in self.boundaries]
        values = list(self.values)
        dtype = torch.int32 if isinstance(values[0], numbers.Integral) else _FLOAT
        result = (step <= bounds[0]).to(dtype) * values[0]
        result = result + (step > bounds[-1]).to(dtype) * values[-1]
        for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1]):
            result = result + ((step > low) & (step <= high)).to(dtype) * value
        return result


class PolynomialDecay(_BuiltinSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - step/decay_steps) **
    power``; with ``cycle`` the horizon grows to the next multiple of ``decay_steps``."""

    _config_keys = (
        "initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name"
    )

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _positive_steps("decay_steps", decay_steps)

    def __call__(self, step):
        step = _float_step(step)
        decay_steps: Any = float(self.decay_steps)
        if self.cycle:
            multiplier = torch.where(step == 0, 1.0, torch.ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = torch.clamp_max(step, decay_steps)
        p = step / decay_steps
        # Keras subtracts in float32.
        span = float(np.float32(self.initial_learning_rate) - np.float32(self.end_learning_rate))
        return span * torch.pow(1 - p, float(self.power)) + self.end_learning_rate


class InverseTimeDecay(_TimeDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        p = self._progress(step)
        # A true division (torch turns `scalar / tensor` into a reciprocal and a product).
        numerator = torch.full_like(p, float(self.initial_learning_rate))
        return numerator / (1 + float(self.decay_rate) * p)


class CosineDecay(_BuiltinSchedule):
    """Optional linear warmup to ``warmup_target``, then a half cosine down to ``alpha`` times
    the starting rate over ``decay_steps``."""

    _config_keys = (
        "initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"
    )

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: Optional[float] = None,
        warmup_steps: int = 0,
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _positive_steps("decay_steps", decay_steps)

    def _decay(self, step: torch.Tensor, decay_from: float) -> torch.Tensor:
        completed = step / float(self.decay_steps)
        cosine = 0.5 * (1.0 + torch.cos(math.pi * completed))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = _float_step(step)
        if self.warmup_target is None:
            return self._decay(
                torch.clamp_max(step, float(self.decay_steps)), self.initial_learning_rate
            )
        warmup_steps = float(self.warmup_steps)
        step = torch.clamp_max(step, float(self.decay_steps) + warmup_steps)
        delta = self.warmup_target - self.initial_learning_rate
        warmup = delta * (step / warmup_steps) + self.initial_learning_rate
        decayed = self._decay(step - warmup_steps, self.warmup_target)
        return torch.where(step < warmup_steps, warmup, decayed)


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine periods whose length grows by ``t_mul`` and height by ``m_mul``."""

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _positive_steps("first_decay_steps", first_decay_steps)

    def __call__(self, step):
        completed = _float_step(step) / float(self.first_decay_steps)
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restarts = torch.floor(completed)
            completed = completed - restarts
        else:
            restarts = torch.floor(torch.log(1.0 - completed * (1.0 - t_mul)) / math.log(t_mul))
            period_sum = (1.0 - torch.pow(t_mul, restarts)) / (1.0 - t_mul)
            completed = (completed - period_sum) / torch.pow(t_mul, restarts)
        height = torch.pow(float(self._m_mul), restarts)
        cosine = 0.5 * height * (1.0 + torch.cos(math.pi * completed))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILTIN = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule: LearningRateSchedule) -> dict:
    """Keras 3's form; tf.keras reads ``class_name``/``config`` and ignores the rest."""
    builtin = type(schedule).__name__ in _BUILTIN
    return {
        "module": "keras.optimizers.schedules" if builtin else type(schedule).__module__,
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
        "registered_name": None if builtin else registry.get_registered_name(type(schedule)),
    }


def deserialize(config: dict, custom_objects: Optional[dict] = None) -> LearningRateSchedule:
    class_name = config.get("class_name")
    cls = registry.get_registered_object(
        config.get("registered_name") or class_name, custom_objects
    ) or _BUILTIN.get(class_name)
    if cls is None and isinstance(class_name, str) and ">" in class_name:
        cls = _BUILTIN.get(class_name.split(">")[-1])
    if cls is None:
        raise ValueError(f"Unknown decay: '{class_name}'")
    return cls.from_config(dict(config.get("config", {})))
