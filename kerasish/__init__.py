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
    export,
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
    random,
    regularizers,
    tree,
    utils,
    visualization,
    wrappers,
)
from kerasish.compat import install_as_keras
from kerasish.devices import device_scope as device
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.initializers import Initializer
from kerasish.layers import Input, InputLayer, InputSpec, Layer
from kerasish.legacy import interfaces as _legacy_interfaces
from kerasish.losses import Loss
from kerasish.metrics import Metric
from kerasish.mixed_precision import DTypePolicy
from kerasish.mixed_precision.policy import FloatDTypePolicy
from kerasish.models import Model, Sequential
from kerasish.operation import Function, Operation
from kerasish.optimizers import Optimizer
from kerasish.quantizers import Quantizer
from kerasish.regularizers import Regularizer
from kerasish.rematerialization import RematScope, remat
from kerasish.scopes import StatelessScope, SymbolicScope, name_scope
from kerasish.variables import Variable

_legacy_interfaces.install()  # Keras 1 argument names, as Keras 2.2.5 accepted them

__version__ = "0.1.0"


def version() -> str:
    """Keras 3's ``keras.version()``."""
    return __version__


__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Function",
    "Initializer",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Operation",
    "Optimizer",
    "Quantizer",
    "Regularizer",
    "RematScope",
    "Sequential",
    "StatelessScope",
    "SymbolicScope",
    "Variable",
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
    "export",
    "initializers",
    "install_as_keras",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "preprocessing",
    "quantizers",
    "random",
    "regularizers",
    "remat",
    "tree",
    "utils",
    "version",
    "visualization",
    "wrappers",
]
