"""Everything that crosses the Keras-file boundary: layouts, configs and file formats.

Layers import ``kerasish.saving.layouts``/``registry`` while kerasish itself is still loading, so
the public functions below are resolved on first use rather than imported here.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "CustomObjectScope": "registry",
    "KerasFileEditor": "file_editor",
    "custom_object_scope": "registry",
    "get_custom_objects": "registry",
    "get_registered_name": "registry",
    "get_registered_object": "registry",
    "register_keras_serializable": "registry",
    "serialize_keras_object": "serialization",
    "deserialize_keras_object": "serialization",
    "save_model": "saving_api",
    "load_model": "saving_api",
    "save_weights": "saving_api",
    "load_weights": "saving_api",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasish.saving' has no attribute '{name}'")
    return getattr(importlib.import_module(f"kerasish.saving.{module}"), name)


def __dir__() -> list:
    return sorted(set(globals()) | set(_PUBLIC))
