"""Name -> object lookup for deserialization.

Four sources, searched in Keras' order: the active ``custom_object_scope``, objects registered
with ``register_keras_serializable``, the ``custom_objects`` a caller passes, and kerasish's own
built-in classes (every kerasish ``Layer`` subclass registers itself).

A user's own class is never found just because it exists: like Keras, loading a config that
names it needs the class registered, in scope, or in ``custom_objects``.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, Optional

_BUILTIN: dict[str, Any] = {}
_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_BARE_NAMES: dict[str, Any] = {}  # "Name" for "package>Name": tf.keras files often drop the package
_SCOPE = threading.local()


def register_builtin(name: str, obj: Any) -> None:
    if getattr(obj, "__module__", "").startswith("kerasish."):
        _BUILTIN.setdefault(name, obj)


def register_keras_serializable(package: str = "Custom", name: Optional[str] = None) -> Callable:
    """Decorator: make a custom class or function loadable by its ``"package>name"`` key."""

    def decorator(obj: Any) -> Any:
        class_name = name if name is not None else obj.__name__
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        _BARE_NAMES[class_name] = obj
        try:  # read by modules that predate get_registered_name
            obj._registered_name = registered_name
        except (AttributeError, TypeError):
            pass
        return obj

    return decorator


def get_custom_objects() -> dict[str, Any]:
    """The live global dict of registered objects (scoped objects are not in it)."""
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj: Any) -> str:
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def is_registered(obj: Any) -> bool:
    try:
        return obj in _GLOBAL_CUSTOM_NAMES
    except TypeError:  # unhashable
        return False


def scoped_objects() -> dict[str, Any]:
    return getattr(_SCOPE, "objects", {})


def get_registered_object(
    name: Any,
    custom_objects: Optional[dict] = None,
    module_objects: Optional[dict] = None,
) -> Any:
    """The object registered under ``name``, or ``None``.

    ``"Custom>Dense"`` style names written by tf.keras resolve to the bare name when the
    prefixed one is unknown.
    """
    if not isinstance(name, str):
        return None
    for table in (scoped_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    if name in _BUILTIN:
        return _BUILTIN[name]
    if name in _BARE_NAMES:
        return _BARE_NAMES[name]
    if ">" in name:
        return get_registered_object(name.split(">", 1)[1], custom_objects, module_objects)
    return None


class CustomObjectScope:
    """Within ``with CustomObjectScope({"name": obj}):`` deserialization can find ``obj`` by name.

    As in Keras 3, a nested scope replaces the outer one while it is active. Several dicts may
    be given, as tf.keras allowed.
    """

    def __init__(self, *custom_objects: Optional[dict]) -> None:
        self.custom_objects: dict[str, Any] = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})
        self._backup: Optional[dict] = None

    def __enter__(self) -> CustomObjectScope:
        self._backup = scoped_objects()
        _SCOPE.objects = dict(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _SCOPE.objects = self._backup or {}


custom_object_scope = CustomObjectScope


def custom_object(name: str, config: Optional[dict], kind: str) -> Any:
    """Resolve a name that is not one of a module's built-ins (initializer, regularizer...).

    A registered or scoped class is instantiated from ``config``; a function is returned.
    """
    obj = get_registered_object(name)
    if obj is None:
        raise ValueError(f"Unknown {kind}: '{name}'")
    if isinstance(obj, type):
        return obj.from_config(config or {}) if hasattr(obj, "from_config") else obj(**(config or {}))
    return obj
