"""Weight constraints: projections applied to a weight after each optimizer step (Keras formulas)."""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish.saving import registry


class Constraint:
    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)


class MaxNorm(Constraint):
    def __init__(self, max_value: float = 2.0, axis: int = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = w.square().sum(dim=self.axis, keepdim=True).sqrt()
        desired = norms.clamp(0, self.max_value)
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, w):
        return w * (w >= 0).to(w.dtype)


class UnitNorm(Constraint):
    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, w):
        return w / (1e-7 + w.square().sum(dim=self.axis, keepdim=True).sqrt())

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: int = 0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = w.square().sum(dim=self.axis, keepdim=True).sqrt()
        desired = self.rate * norms.clamp(self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras' lowercase spellings as attributes (`constraints.max_norm(3)`), as in Keras 3.
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_BY_NAME = {
    "max_norm": MaxNorm, "MaxNorm": MaxNorm, "non_neg": NonNeg, "NonNeg": NonNeg,
    "unit_norm": UnitNorm, "UnitNorm": UnitNorm, "min_max_norm": MinMaxNorm,
    "MinMaxNorm": MinMaxNorm,
}


def get(identifier: Any) -> Any:
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            return registry.custom_object(identifier, {}, "constraint")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(identifier["class_name"])
        if cls is None:
            name = identifier.get("registered_name") or identifier["class_name"]
            return registry.custom_object(name, identifier.get("config"), "constraint")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """Keras 3's: a name (an instance of that class) or a config dict; an unknown name comes
    back unchanged, as in Keras."""
    from kerasish.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, module_objects=_BY_NAME)


def serialize(constraint: Any) -> Any:
    if constraint is None:
        return None
    if isinstance(constraint, Constraint):
        return {"class_name": type(constraint).__name__, "config": constraint.get_config()}
    return getattr(constraint, "__name__", constraint)
