"""``serialize_keras_object`` / ``deserialize_keras_object``: any Keras object to and from a dict.

Writing produces Keras 3's format (``module``, ``class_name``, ``config``, ``registered_name``,
``build_config``), with Keras' own module paths for kerasish built-ins, so real Keras 3 can
rebuild what kerasish wrote. Reading accepts all three eras:

* Keras 3: ``module``/``registered_name``, ``function`` entries, ``__keras_tensor__``,
  ``__numpy__``, ``__bytes__``, ``__lambda__``, DTypePolicy dicts, ``build_config``;
* tf.keras 2.x: ``{"class_name", "config"}`` with ``Custom>`` prefixed class names;
* Keras 2.2.x: the same, with ``Model`` for functional models.

Lambda bytecode is code execution, so it loads only with ``safe_mode=False`` (Keras 3's rule).
"""

from __future__ import annotations

import codecs
import inspect
import marshal
import threading
import types
from typing import Any, Optional

import numpy as np
import torch

from kerasish.saving import registry

_PLAIN_TYPES = (str, int, float, bool)
_SAFE_MODE = threading.local()

# kerasish packages -> the Keras 3 module that exports the same public objects.
_KERAS_MODULES = {
    "kerasish.layers": "keras.layers",
    "kerasish.initializers": "keras.initializers",
    "kerasish.regularizers": "keras.regularizers",
    "kerasish.constraints": "keras.constraints",
    "kerasish.optimizers": "keras.optimizers",
    "kerasish.losses": "keras.losses",
    "kerasish.metrics": "keras.metrics",
    # Layers Keras defines inside its applications (ConvNeXt's LayerScale...).
    "kerasish.applications.convnext": "keras.src.applications.convnext",
    "kerasish.applications.inception_resnet_v2": "keras.src.applications.inception_resnet_v2",
}
_FUNCTIONAL_MODULE = "keras.src.models.functional"
_KINDS = ("layers", "models", "initializers", "regularizers", "constraints", "optimizers", "losses", "metrics")
_LAMBDA_ERROR = (
    "Requested the deserialization of a Python lambda. This carries a potential risk of "
    "arbitrary code execution and thus it is disallowed by default. If you trust the source "
    "of the artifact, you can override this error by passing `safe_mode=False` to the "
    "loading function."
)


# ------------------------------------------------------------------- safe mode


class SafeModeScope:
    """While active, deserialization refuses (``True``) or allows (``False``) Python bytecode."""

    def __init__(self, safe_mode: bool = True) -> None:
        self.safe_mode = safe_mode

    def __enter__(self) -> SafeModeScope:
        self._previous = in_safe_mode()
        _SAFE_MODE.value = self.safe_mode
        return self

    def __exit__(self, *exc: Any) -> None:
        _SAFE_MODE.value = self._previous


def in_safe_mode() -> Optional[bool]:
    """The active ``SafeModeScope``'s setting, ``None`` outside any scope."""
    return getattr(_SAFE_MODE, "value", None)


def func_dump(func: types.FunctionType) -> tuple:
    """Keras' ``(base64 marshal code, defaults, closure)`` triple for a Python function."""
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code: Any, defaults: Any = None, closure: Any = None, globs: Any = None) -> Any:
    """Rebuild a function from ``func_dump`` output. Only ever called outside safe mode."""
    if in_safe_mode() is not False:
        raise ValueError(_LAMBDA_ERROR)
    if isinstance(code, (tuple, list)):
        code, defaults, closure = (list(code) + [None, None])[:3]
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    raw = codecs.decode(code.encode("ascii") if isinstance(code, str) else code, "base64")
    try:
        code_object = marshal.loads(raw)
    except (EOFError, ValueError, TypeError) as err:
        raise ValueError(
            "Could not load the Python bytecode of a serialized function: it was written by a "
            f"different Python version ({err}). Re-create the function in code and pass it "
            "through `custom_objects`."
        ) from err
    cells = tuple(_make_cell(value) for value in closure) if closure is not None else None
    return types.FunctionType(code_object, globs or globals(), code_object.co_name, defaults, cells)


def _make_cell(value: Any) -> Any:
    return (lambda: value).__closure__[0]


# ------------------------------------------------------------------- writing


def serialize_keras_object(obj: Any) -> Any:
    """A JSON-ready description of ``obj`` in Keras 3's format."""
    if obj is None or isinstance(obj, _PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    from kerasish.graph.keras_tensor import KerasTensor

    if isinstance(obj, KerasTensor):
        history = obj._keras_history
        history = [history.layer.name, history.node_index, history.tensor_index] if history else None
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": obj.shape, "dtype": obj.dtype, "keras_history": history},
        }
    if isinstance(obj, torch.Tensor):
        array = obj.detach().cpu().numpy()
        return {"class_name": "__tensor__", "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.item()
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        return {"class_name": "__lambda__", "config": {"value": func_dump(obj)}}
    if isinstance(obj, types.FunctionType):
        return {
            "module": "builtins",
            "class_name": "function",
            "config": registry.get_registered_name(obj),
            "registered_name": "function",
        }
    from kerasish.layers.base import Layer

    if isinstance(obj, Layer):
        from kerasish.saving import keras3_config

        return keras3_config.serialize_layer(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj)}. To be serializable, a class "
            "must implement the `get_config()` method."
        )
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}")
    module, registered_name = keras_module_of(type(obj))
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": serialize_keras_object(config),
        "registered_name": registered_name,
    }


def keras_module_of(cls: type) -> tuple[Optional[str], Optional[str]]:
    """``(module, registered_name)`` as Keras 3 writes them for ``cls``.

    kerasish built-ins get the Keras module exporting the same class, so real Keras finds them;
    anything else is custom: its own module, and its registered name (or class name).
    """
    from kerasish.models.functional import Functional
    from kerasish.models.sequential import Sequential

    if cls is Sequential:
        return "keras", None
    if cls is Functional:
        return _FUNCTIONAL_MODULE, "Functional"
    if not registry.is_registered(cls):
        module = cls.__module__
        for prefix, keras_module in _KERAS_MODULES.items():
            if module == prefix or module.startswith(prefix + "."):
                return keras_module, None
    return cls.__module__, registry.get_registered_name(cls)


# ------------------------------------------------------------------- reading


def deserialize_keras_object(
    config: Any,
    custom_objects: Optional[dict] = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Rebuild the object that ``config`` describes (any of the three Keras formats).

    ``module_objects`` (a dict of name -> object) may be passed as in tf.keras; names are then
    looked up there after custom objects.
    """
    module_objects = kwargs.pop("module_objects", None)
    kwargs.pop("printable_module_name", None)
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    custom_objects = {**(custom_objects or {}), **registry.scoped_objects()}
    if config is None:
        return None
    if isinstance(config, str):
        found = registry.get_registered_object(config, custom_objects, module_objects)
        if found is None:
            return config
        return found() if module_objects is not None and isinstance(found, type) else found
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(x, custom_objects, safe_mode, module_objects=module_objects) for x in config]
    if isinstance(config, _PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode) for key, value in config.items()}

    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(inner, custom_objects, safe_mode)
    if class_name == "function":
        return _retrieve_function(config, inner, custom_objects, module_objects)
    if class_name == "DTypePolicy" or class_name in {"Policy", "DTypePolicyMap"}:
        from kerasish import backend

        return backend.standardize_dtype(config)
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}, instead got {type(inner)}. Full config: {config}")

    cls = retrieve_class(config, custom_objects, module_objects)
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(
            f"Unable to reconstruct an instance of '{class_name}' because the class is missing a "
            f"`from_config()` method. Full object config: {config}"
        )
    with registry.CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
        instance = _instantiate(cls, inner, custom_objects)
        build_config = config.get("build_config")
        if build_config:
            _build_from_config(instance, build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(instance, "compile"):
            from kerasish.saving import compile_state

            compile_state.compile_from_config(instance, compile_config, custom_objects)
    return instance


def retrieve_class(config: dict, custom_objects: Optional[dict] = None, module_objects: Optional[dict] = None) -> Any:
    """The class a config names: registered/custom objects first, then kerasish built-ins."""
    from kerasish.saving.model_config import CLASS_ALIASES

    class_name = config["class_name"]
    registered_name = config.get("registered_name") or class_name
    for name in (registered_name, class_name, CLASS_ALIASES.get(class_name)):
        found = registry.get_registered_object(name, custom_objects, module_objects)
        if found is not None:
            return found
    found = _builtin_by_module(class_name, config.get("module"))
    if found is not None:
        return found
    from kerasish.saving import keras3_ops

    if keras3_ops.is_operation(class_name, config.get("module")):
        return keras3_ops.OperationFactory(class_name)
    if "module" in config:
        raise TypeError(
            f"Could not locate class '{class_name}'. Make sure custom classes are decorated with "
            "`@keras.saving.register_keras_serializable()`. If they are already decorated, make "
            "sure they are all imported so that the decorator is run before trying to load them. "
            f"Full object config: {config}"
        )
    raise ValueError(
        f"Unknown object: '{class_name}'. Please ensure you are using a "
        "`keras.utils.custom_object_scope` and that this object is included in the scope, or "
        "pass it in `custom_objects`."
    )


def _builtin_by_module(class_name: str, module: Optional[str]) -> Any:
    """kerasish's object for a Keras built-in, from the (Keras or tf.keras) module it names."""
    import importlib

    parts = set((module or "").split("."))
    kinds = [kind for kind in _KINDS if kind in parts]
    if not kinds:
        kinds = ["models", "layers"] if module else list(_KINDS)
    for kind in kinds:
        try:
            package = importlib.import_module(f"kerasish.{kind}")
        except ImportError:
            continue
        found = getattr(package, class_name, None)
        if isinstance(found, type):
            return found
    return None


def _retrieve_function(config: dict, name: Any, custom_objects: dict, module_objects: Optional[dict]) -> Any:
    if not isinstance(name, str):
        raise TypeError(f"Expected 'config' to be a non-null str for a function class name, instead got {type(name)}. Full config: {config}")
    found = registry.get_registered_object(name, custom_objects, module_objects)
    if found is not None:
        return found
    import importlib

    for kind in ("activations", "losses", "metrics", "initializers", "regularizers", "constraints"):
        try:
            module = importlib.import_module(f"kerasish.{kind}")
        except ImportError:
            continue
        candidate = getattr(module, name, None)
        if callable(candidate) and not isinstance(candidate, type):
            return candidate
    raise TypeError(
        f"Could not locate function '{name}'. Make sure custom classes and functions are "
        "decorated with `@keras.saving.register_keras_serializable()`. If they are already "
        "decorated, make sure they are all imported so that the decorator is run before trying "
        f"to load them. Full object config: {config}"
    )


def _instantiate(cls: type, inner: dict, custom_objects: dict) -> Any:
    from kerasish.layers.base import Layer
    from kerasish.saving.keras3_ops import OperationFactory

    if isinstance(cls, OperationFactory):
        return cls.from_config(inner)
    if isinstance(cls, type) and issubclass(cls, Layer):
        from kerasish.saving.model_config import clean_layer_config

        inner = clean_layer_config(cls, inner)
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(inner, custom_objects=custom_objects)
    try:
        return cls.from_config(inner)
    except TypeError as err:
        raise TypeError(
            f"{cls} could not be deserialized properly. Please ensure that components that are "
            "Python object instances (layers, models, etc.) returned by `get_config()` are "
            f"explicitly deserialized in the model's `from_config()` method.\n\nconfig={inner}."
            f"\n\nException encountered: {err}"
        ) from err


def _build_from_config(instance: Any, build_config: dict) -> None:
    if getattr(instance, "built", True):
        return
    if hasattr(instance, "build_from_config"):  # Layer's default builds from "input_shape"
        instance.build_from_config(build_config)


def _shape_from_json(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {key: _shape_from_json(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_shape_from_json(s) for s in shape]
    return tuple(shape) if isinstance(shape, (list, tuple)) else shape


# ---------------------------------------------------- special class names


def _keras_tensor(inner: dict, custom_objects: dict, safe_mode: bool) -> Any:
    from kerasish.graph.keras_tensor import KerasTensor

    tensor = KerasTensor(tuple(inner["shape"]), inner["dtype"])
    tensor._pre_serialization_keras_history = inner.get("keras_history")
    return tensor


def _lambda(inner: dict, custom_objects: dict, safe_mode: bool) -> Any:
    if safe_mode:
        raise ValueError(_LAMBDA_ERROR)
    with SafeModeScope(False):
        return func_load(inner["value"])


def _slice(inner: dict, custom_objects: dict, safe_mode: bool) -> slice:
    parts = [deserialize_keras_object(inner[key], custom_objects, safe_mode) for key in ("start", "stop", "step")]
    return slice(*parts)


_SPECIAL = {
    "__keras_tensor__": _keras_tensor,
    "__tensor__": lambda inner, *_: torch.as_tensor(np.array(inner["value"], dtype=inner["dtype"])),
    "__numpy__": lambda inner, *_: np.array(inner["value"], dtype=inner["dtype"]),
    "__bytes__": lambda inner, *_: inner["value"].encode("utf-8"),
    "__ellipsis__": lambda *_: Ellipsis,
    "__slice__": _slice,
    "__lambda__": _lambda,
}
