"""kerasish: Keras on PyTorch.

``import kerasish as keras`` and ordinary Keras code runs, with torch doing every kernel and all
autograd. Every model is also a plain ``torch.nn.Module``.
"""

from kerasish import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    engine,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    regularizers,
)
from kerasish.devices import device_scope as device
from kerasish.layers import Input, InputLayer, Layer
from kerasish.mixed_precision import DTypePolicy
from kerasish.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "DTypePolicy",
    "Input",
    "InputLayer",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "device",
    "engine",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "regularizers",
]
