"""Name -> class lookup for deserialization: built-in classes, registered custom ones, and the
``custom_objects`` a caller passes (which win, as in Keras)."""

from __future__ import annotations

from typing import Any, Optional

_BUILTIN: dict[str, Any] = {}
_CUSTOM: dict[str, Any] = {}


def register_builtin(name: str, obj: Any) -> None:
    _BUILTIN.setdefault(name, obj)


def register_keras_serializable(package: str = "Custom", name: Optional[str] = None):
    """Decorator: make a custom class or function loadable by name from configs."""

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        _CUSTOM[registered] = obj
        _CUSTOM.setdefault(obj.__name__, obj)
        obj._registered_name = registered
        return obj

    return decorator


def get_registered_object(name: str, custom_objects: Optional[dict] = None) -> Any:
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _CUSTOM:
        return _CUSTOM[name]
    return _BUILTIN.get(name)
