"""Keras activation functions by name, on torch tensors.

Formulas follow Keras 3 (``keras/src/activations/activations.py``); each is a torch kernel, so
an ``activation=`` argument costs one fused op in the generated forward.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

import torch
import torch.nn.functional as F

from kerasish.saving import registry


def linear(x: torch.Tensor) -> torch.Tensor:
    return x


def relu(
    x: torch.Tensor,
    negative_slope: float = 0.0,
    max_value: Optional[float] = None,
    threshold: float = 0.0,
) -> torch.Tensor:
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    positive = x * (x > threshold).to(x.dtype) if threshold != 0.0 else F.relu(x)
    if max_value is not None:
        positive = positive.clamp(max=max_value)
    if negative_slope != 0.0:
        positive = positive - negative_slope * F.relu(threshold - x)
    return positive


def relu6(x: torch.Tensor) -> torch.Tensor:
    return F.relu6(x)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    return F.leaky_relu(x, negative_slope)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    return F.elu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    return F.selu(x)


def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    return F.gelu(x, approximate="tanh" if approximate else "none")


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's ``relu6(x + 3) / 6``; Keras 2 used ``clip(0.2x + 0.5)`` (see legacy_hard_sigmoid)."""
    return F.hardsigmoid(x)


def legacy_hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The Keras 2 / tf.keras formula, ``clip(0.2x + 0.5, 0, 1)``."""
    return (0.2 * x + 0.5).clamp(0.0, 1.0)


def hard_silu(x: torch.Tensor) -> torch.Tensor:
    return F.hardswish(x)


def silu(x: torch.Tensor) -> torch.Tensor:
    return F.silu(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    return F.softsign(x)


def exponential(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x)


def mish(x: torch.Tensor) -> torch.Tensor:
    return F.mish(x)


def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return torch.softmax(x, dim=axis)


def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return torch.log_softmax(x, dim=axis)


def celu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    return F.celu(x, alpha)


def glu(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return F.glu(x, dim=axis)


def tanh_shrink(x: torch.Tensor) -> torch.Tensor:
    return F.tanhshrink(x)


def hard_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.hardtanh(x)


def hard_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    return F.hardshrink(x, lambd=threshold)


def soft_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    return F.softshrink(x, lambd=threshold)


def threshold(x: torch.Tensor, threshold: float, default_value: float) -> torch.Tensor:
    return F.threshold(x, threshold, default_value)


def squareplus(x: torch.Tensor, b: float = 4) -> torch.Tensor:
    return (x + torch.sqrt(x * x + b)) / 2


def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    """0 below -1, ``(x + 1)^2 / 4`` on (-1, 1), ``x`` above."""
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(0.5 * (x + 1), 0.0, 1.0)


def log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.logsigmoid(x)


def sparsemax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    # Imported here: kerasish.ops imports the layers, which import this module.
    from kerasish.ops.nn_extra import sparsemax as sparsemax_op

    return sparsemax_op(x, axis)


# Keras 3 exports these names for the same functions (serialized as "silu"/"hard_silu").
swish = silu
hard_swish = hard_silu


_BY_NAME: dict[str, Callable] = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "legacy_hard_sigmoid": legacy_hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "silu": silu,
    "swish": silu,
    "tanh": tanh,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "mish": mish,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "celu": celu,
    "glu": glu,
    "tanh_shrink": tanh_shrink,
    "hard_tanh": hard_tanh,
    "hard_shrink": hard_shrink,
    "soft_shrink": soft_shrink,
    "threshold": threshold,
    "squareplus": squareplus,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "log_sigmoid": log_sigmoid,
    "sparsemax": sparsemax,
}
_NAME_OF = {fn: name for name, fn in _BY_NAME.items() if name not in {"swish", "hard_swish"}}


def get(identifier: Union[str, Callable, None, dict]) -> Callable:
    if identifier is None:
        return linear
    if isinstance(identifier, dict):  # {"class_name": ..., "config": ...} from a config file
        from kerasish.saving.serialization import deserialize_keras_object

        identifier = deserialize_keras_object(identifier, module_objects=_BY_NAME)
    if isinstance(identifier, str):
        # Custom activations are found by name in custom_object_scope or the registry.
        fn = _BY_NAME.get(identifier) or registry.get_registered_object(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation function: '{identifier}'. Known: {sorted(_BY_NAME)}")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def deserialize(config: Union[str, dict], custom_objects: Optional[dict] = None) -> Any:
    """Keras 3's: a name or a ``{"class_name": "function", ...}`` dict; an unknown name comes
    back unchanged, as in Keras."""
    from kerasish.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, module_objects=_BY_NAME)


def serialize(activation: Callable) -> Union[str, Callable]:
    name = _NAME_OF.get(activation)
    if name is not None:
        return name
    return getattr(activation, "__name__", activation)
