"""``get``/``serialize``/``deserialize``: optimizers by name, by Keras 3 / tf.keras / Keras 2
config dict, or as instances.

Configs written by older Keras load too: ``lr``/``decay`` keys (Keras 2), tf.keras' bookkeeping
keys (``is_legacy_optimizer``, ``jit_compile``), ``Custom>Adam`` class names (tf.keras 2.11+
registered its optimizers that way) and the ``experimental*`` names of tf.keras 2.9-2.10.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish.optimizers.adadelta import Adadelta
from kerasish.optimizers.adafactor import Adafactor
from kerasish.optimizers.adagrad import Adagrad
from kerasish.optimizers.adam import Adam
from kerasish.optimizers.adamax import Adamax
from kerasish.optimizers.adamw import AdamW
from kerasish.optimizers.base import Optimizer
from kerasish.optimizers.ftrl import Ftrl
from kerasish.optimizers.lamb import Lamb
from kerasish.optimizers.lion import Lion
from kerasish.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerasish.optimizers.muon import Muon
from kerasish.optimizers.nadam import Nadam
from kerasish.optimizers.rmsprop import RMSprop
from kerasish.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerasish.optimizers.sgd import SGD
from kerasish.saving import registry

_BUILTIN = {
    cls.__name__.lower(): cls
    for cls in (
        SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion, Adafactor, Lamb,
        LossScaleOptimizer, Muon, ScheduleFreeAdamW,
    )
}
_BUILTIN.update(
    {
        "experimentaladam": Adam,
        "experimentaladagrad": Adagrad,
        "experimentaladadelta": Adadelta,
        "experimentalsgd": SGD,
        "lossscaleoptimizerv3": LossScaleOptimizer,  # tf.keras 2.11+
    }
)
# Keras 3 optimizers that kerasish does not provide: a clear error instead of "unknown".
_NOT_IMPLEMENTED = {
    "multioptimizer": "MultiOptimizer",
}


def serialize(optimizer: Optimizer) -> dict:
    """Keras 3's form (``module``, ``class_name``, ``config``, ``registered_name``)."""
    builtin = _BUILTIN.get(type(optimizer).__name__.lower()) is type(optimizer)
    return {
        "module": "keras.optimizers" if builtin else type(optimizer).__module__,
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else registry.get_registered_name(type(optimizer)),
    }


def _lookup(class_name: str, registered_name: Optional[str], custom_objects: Optional[dict]):
    custom = registry.get_registered_object(registered_name or class_name, custom_objects)
    if custom is not None:
        return custom
    key = class_name.lower()
    if key not in _BUILTIN and ">" in key:  # "Custom>Adam"
        key = key.split(">")[-1]
    if key in _NOT_IMPLEMENTED:
        raise NotImplementedError(
            f"kerasish.optimizers.{_NOT_IMPLEMENTED[key]} is not implemented."
        )
    return _BUILTIN.get(key)


def deserialize(config: dict, custom_objects: Optional[dict] = None) -> Optimizer:
    class_name = config.get("class_name")
    if not isinstance(class_name, str):
        raise ValueError(f"Could not interpret optimizer identifier: {config}")
    cls = _lookup(class_name, config.get("registered_name"), custom_objects)
    if cls is None:
        raise ValueError(f"Could not interpret optimizer identifier: {class_name}")
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier: Any) -> Optional[Optimizer]:
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
