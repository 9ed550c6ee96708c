"""Weight regularizers: penalties added to the loss, Keras formulas (``l2`` is ``sum(0.01 * x^2)``)."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
import torch

from kerasish.saving import registry


class Regularizer:
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Keras 3's penalty pushing the rows (``mode="rows"``) or columns of a rank-2 weight
    towards mutual orthogonality: ``factor * 0.5 * sum|cos|`` over the distinct pairs, divided by
    their number. It reads the Keras-layout weight (a Dense kernel is ``(in, out)``), as Keras."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        _validate_float_arg(factor, name="factor")
        # Keras keeps the factor as a float32 tensor; its config reads that value back.
        self.factor = float(np.float32(factor))
        if mode not in {"rows", "columns"}:
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode}'
            )
        self.mode = mode

    def __call__(self, x):
        if x.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={x.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        # Keras' L2 normalisation: x * min(rsqrt(sum x^2), 1 / epsilon).
        inverse_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True)).clamp(max=1.0 / 1e-7)
        x = x * inverse_norm
        product = x @ x.T if self.mode == "rows" else x.T @ x
        size = x.shape[0] if self.mode == "rows" else x.shape[1]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * off_diagonal.abs().sum() / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def _validate_float_arg(value: Any, name: str) -> float:
    if not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float."
            f"Received: {name}={value}"
        )
    return float(value)


# Keras' lowercase spellings (`regularizers.l2(0.01)`), the same classes as in Keras 3.
l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer

_BY_NAME = {
    "l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def get(identifier: Any) -> Any:
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            return registry.custom_object(identifier, {}, "regularizer")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(identifier["class_name"])
        if cls is None:
            name = identifier.get("registered_name") or identifier["class_name"]
            return registry.custom_object(name, identifier.get("config"), "regularizer")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """Keras 3's: a name (an instance of that class) or a config dict; an unknown name comes
    back unchanged, as in Keras."""
    from kerasish.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, module_objects=_BY_NAME)


def serialize(regularizer: Any) -> Any:
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    return getattr(regularizer, "__name__", regularizer)
