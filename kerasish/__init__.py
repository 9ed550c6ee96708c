"""kerasish: Keras on PyTorch.

``import kerasish as keras`` and ordinary Keras code runs, with torch doing every kernel and all
autograd. Every model is also a plain ``torch.nn.Module``.
"""

from kerasish import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    dtype_policies,
    engine,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    quantizers,
    regularizers,
    utils,
)
from kerasish.compat import install_as_keras
from kerasish.devices import device_scope as device
from kerasish.layers import Input, InputLayer, Layer
from kerasish.legacy import interfaces as _legacy_interfaces
from kerasish.mixed_precision import DTypePolicy
from kerasish.models import Model, Sequential

_legacy_interfaces.install()  # Keras 1 argument names, as Keras 2.2.5 accepted them

__version__ = "0.1.0"

__all__ = [
    "DTypePolicy",
    "Input",
    "InputLayer",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "device",
    "dtype_policies",
    "engine",
    "initializers",
    "install_as_keras",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "quantizers",
    "regularizers",
    "utils",
]
