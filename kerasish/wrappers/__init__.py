"""``keras.wrappers``: scikit-learn estimators around Keras models.

Keras 3's ``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` are looked up
lazily, so ``import kerasish`` does not import scikit-learn; ``scikit_learn`` is tf.keras 2's
``keras.wrappers.scikit_learn`` (``KerasClassifier``, ``KerasRegressor``).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "SKLearnClassifier": "kerasish.wrappers.sklearn_wrapper",
    "SKLearnRegressor": "kerasish.wrappers.sklearn_wrapper",
    "SKLearnTransformer": "kerasish.wrappers.sklearn_wrapper",
    "scikit_learn": None,
}

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kerasish.wrappers' has no attribute '{name}'")
    module_name = _LAZY[name]
    if module_name is None:
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
