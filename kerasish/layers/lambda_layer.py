"""Lambda: a Python function as a layer.

The function runs on torch tensors (``kerasish.ops``, ``keras.backend`` functions or plain
torch), so Keras 2 code such as ``Lambda(lambda x: K.sum(x, axis=1))`` runs unchanged. Without
``output_shape`` the output spec comes from running the function on ``meta`` tensors.

Saving follows the format of the config being written or read:

* written (tf.keras schema): a Python lambda as ``[base64 marshal bytecode, defaults,
  closure]`` with ``function_type: "lambda"`` and the defining ``module``; a named function by
  its name (``function_type: "function"``);
* read: that schema (Keras 2.x, tf.keras) and Keras 3's (``{"class_name": "__lambda__", ...}``
  or a serialized function). Bytecode is code execution, so it loads only with
  ``safe_mode=False`` or after ``kerasish.config.enable_unsafe_deserialization()``.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from typing import Any, Callable, Optional

import numpy as np
import torch

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer, is_shape, specs_from_shapes
from kerasish.ops.core import set_device_hint
from kerasish.utils import tree

_LAMBDA_ERROR = (
    "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
    "This carries a potential risk of arbitrary code execution and thus it is disallowed by "
    "default. If you trust the source of the artifact, you can override this error by passing "
    "`safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()`."
)


class Lambda(Layer):
    def __init__(
        self,
        function: Callable,
        output_shape: Any = None,
        mask: Any = None,
        arguments: Optional[dict] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Lambda layer '{self.name}': `function` must be callable. Received: "
                f"{function!r} of type {type(function).__name__}"
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params
        self.built = True

    def call(self, inputs: Any, mask: Any = None, training: Optional[bool] = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = self.training if training is None else training
        first = inputs if isinstance(inputs, torch.Tensor) else _first_tensor(inputs)
        previous = set_device_hint(first.device if first is not None else None)
        try:
            return self.function(inputs, **kwargs)
        finally:
            set_device_hint(previous)

    # ------------------------------------------------------------------ shapes, masks

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._output_shape is None:
            try:
                return self._meta_output_spec(args, kwargs)
            except ValueError as err:
                raise NotImplementedError(
                    "We could not automatically infer the shape of the Lambda's output. Please "
                    f"specify `output_shape` for this Lambda (layer '{self.name}'). Cause: "
                    f"{err.__cause__ or err}"
                ) from err
        inputs = args[0] if args else kwargs["inputs"]
        shapes = self.compute_output_shape(tree.map_structure(lambda x: tuple(x.shape), inputs))
        return specs_from_shapes(shapes, self.compute_dtype)

    def _run_on_meta(self, args: tuple, kwargs: dict, size: int) -> Any:
        try:
            return super()._run_on_meta(args, kwargs, size)
        except ValueError as meta_error:
            # A function closing over real tensors (a CPU constant) cannot run on meta
            # tensors; as Keras 3 does, run it once on zeros instead.
            zeros = functools.partial(_zeros_like_spec, size=size)
            try:
                with torch.no_grad():
                    return self.call(*tree.map_structure(zeros, args), **tree.map_structure(zeros, kwargs))
            except Exception:
                raise meta_error from meta_error.__cause__

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape if is_shape(input_shape) else _first_shape(input_shape)
        batch = first[0] if first else None

        def add_batch(shape: Any) -> Any:
            if is_shape(shape):
                return (batch,) + tuple(shape)
            return type(shape)(add_batch(s) for s in shape)

        return add_batch(self._output_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        function, function_type, module = _serialize_function(self.function)
        if self._output_shape is None or not callable(self._output_shape):
            output_shape, output_shape_type, output_shape_module = self._output_shape, "raw", None
        else:
            output_shape, output_shape_type, output_shape_module = _serialize_function(self._output_shape)
        config = {
            **super().get_config(),
            "function": function,
            "function_type": function_type,
            "module": module,
            "output_shape": output_shape,
            "output_shape_type": output_shape_type,
            "output_shape_module": output_shape_module,
        }
        if self.mask is not None:
            if callable(self.mask):
                config["mask"], config["mask_type"], config["mask_module"] = _serialize_function(self.mask)
            else:
                config["mask"], config["mask_type"], config["mask_module"] = self.mask, "raw", None
        config["arguments"] = {key: _serialize_argument(value) for key, value in self.arguments.items()}
        return config

    @classmethod
    def from_config(
        cls, config: dict, custom_objects: Optional[dict] = None, safe_mode: Optional[bool] = None
    ) -> Lambda:
        """Rebuild from a tf.keras/Keras 2 or a Keras 3 config.

        ``safe_mode=None`` defers to the surrounding load (``SafeModeScope``) or the global
        switch, and counts as safe when neither says otherwise, as in Keras 3.
        """
        from kerasish.saving.serialization import in_safe_mode

        effective = safe_mode if safe_mode is not None else in_safe_mode()
        safe = effective is not False
        config = dict(config)
        config["function"] = _load_function(
            config, "function", "function_type", "module", custom_objects, safe
        )
        if config.get("output_shape") is not None:
            output_shape = _load_function(
                config, "output_shape", "output_shape_type", "output_shape_module", custom_objects, safe
            )
            config["output_shape"] = output_shape if callable(output_shape) else _shape_from_json(output_shape)
        else:
            for key in ("output_shape_type", "output_shape_module"):
                config.pop(key, None)
        if config.get("mask") is not None:
            config["mask"] = _load_function(config, "mask", "mask_type", "mask_module", custom_objects, safe)
        else:
            for key in ("mask_type", "mask_module"):
                config.pop(key, None)
        config["arguments"] = {
            key: _deserialize_argument(value, custom_objects)
            for key, value in (config.get("arguments") or {}).items()
        }
        return cls(**config)

    def extra_repr(self) -> str:
        name = getattr(self.function, "__name__", type(self.function).__name__)
        return f"name={self.name!r}, function={name}"


# ---------------------------------------------------------------- helpers


def _zeros_like_spec(x: Any, size: int) -> Any:
    if isinstance(x, KerasTensor):
        from kerasish import backend

        shape = [size if d is None else d for d in x.shape]
        return torch.zeros(shape, dtype=backend.torch_dtype(x.dtype))
    return x


def _first_tensor(inputs: Any) -> Optional[torch.Tensor]:
    for x in tree.flatten(inputs):
        if isinstance(x, torch.Tensor):
            return x
    return None


def _first_shape(shapes: Any) -> Optional[tuple]:
    if is_shape(shapes):
        return tuple(shapes)
    if isinstance(shapes, dict):
        shapes = [shapes[key] for key in sorted(shapes)]
    for shape in shapes:
        found = _first_shape(shape)
        if found is not None:
            return found
    return None


def _shape_from_json(shape: Any) -> Any:
    """JSON turns shape tuples into lists; a list of ints is one shape, a list of lists several."""
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [tuple(s) for s in shape]
    return tuple(shape) if isinstance(shape, (list, tuple)) else shape


def _serialize_function(fn: Callable) -> tuple:
    """``(value, type, module)`` as tf.keras' Lambda writes them."""
    from kerasish.saving.serialization import func_dump

    if isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>":
        return list(func_dump(fn)), "lambda", fn.__module__
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(
            f"Cannot serialize the callable {fn!r} of a Lambda layer: it has no name. Use a "
            "named function or a lambda."
        )
    registered = getattr(fn, "_registered_name", None)
    return registered or name, "function", getattr(fn, "__module__", None)


def _load_function(
    config: dict,
    key: str,
    type_key: str,
    module_key: str,
    custom_objects: Optional[dict],
    safe: bool,
) -> Any:
    value = config[key]
    function_type = config.pop(type_key, None)
    module = config.pop(module_key, None)
    if function_type is None:  # Keras 3: a serialized object
        return _load_keras3_function(value, custom_objects, safe, module)
    if function_type == "raw":
        return value
    if function_type == "lambda":
        code = value
        if isinstance(code, dict):
            code = code.get("code")
        return _load_bytecode(code, None, None, module, custom_objects, safe)
    if function_type == "function":
        return _load_named(value, module, custom_objects)
    raise TypeError(
        f"Unsupported value for `{type_key}` argument. Received: {type_key}={function_type}. "
        "Expected one of ['function', 'lambda', 'raw']"
    )


def _load_keras3_function(value: Any, custom_objects: Optional[dict], safe: bool, module: Optional[str]) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        inner = value.get("config") or {}
        if "code" in inner:
            return _load_bytecode(inner["code"], inner.get("defaults"), inner.get("closure"), module, custom_objects, safe)
        return _load_bytecode(inner.get("value"), None, None, module, custom_objects, safe)
    if isinstance(value, dict) and value.get("class_name") == "function":
        return _load_named(value.get("config"), value.get("module"), custom_objects)
    if isinstance(value, str):
        return _load_named(value, module, custom_objects)
    if isinstance(value, dict):
        from kerasish.saving.serialization import deserialize_keras_object

        return deserialize_keras_object(value, custom_objects)
    return value


def _load_bytecode(
    code: Any,
    defaults: Any,
    closure: Any,
    module: Optional[str],
    custom_objects: Optional[dict],
    safe: bool,
) -> Callable:
    if safe:
        raise ValueError(_LAMBDA_ERROR)
    from kerasish.saving.serialization import SafeModeScope, func_load

    with SafeModeScope(False):
        return func_load(code, defaults, closure, globs=_lambda_globals(module, custom_objects))


def _lambda_globals(module: Optional[str], custom_objects: Optional[dict]) -> dict:
    """The globals a deserialized lambda sees: the usual Keras-script names (``K``, ``keras``,
    ``np``, ``ops``), then its defining module's namespace if that module is loaded (the same
    script, or an imported module), then ``custom_objects``."""
    import kerasish
    from kerasish import backend, ops

    namespace: dict = {"K": backend, "keras": kerasish, "np": np, "ops": ops, "torch": torch}
    if module in sys.modules:
        namespace.update(vars(sys.modules[module]))
    namespace.update(custom_objects or {})
    return namespace


def _load_named(name: Any, module: Optional[str], custom_objects: Optional[dict]) -> Callable:
    """A named function: from ``custom_objects``, the registry, its (loaded) module, or the
    Keras function namespaces. A lookup runs no stored code, so it needs no unsafe mode."""
    from kerasish.saving import registry

    if not isinstance(name, str):
        raise TypeError(f"Expected a function name in a Lambda config, got {name!r}.")
    found = registry.get_registered_object(name, custom_objects)
    if found is None and module in sys.modules:
        found = getattr(sys.modules[module], name, None)
    if found is None:
        from kerasish import activations, backend, ops

        for namespace in (activations, ops, backend):
            candidate = getattr(namespace, name, None)
            if callable(candidate):
                found = candidate
                break
    if found is None:
        raise ValueError(
            f"Could not locate function '{name}' of a Lambda layer (module {module!r}). Pass it "
            "in `custom_objects` or decorate it with "
            "`@keras.saving.register_keras_serializable()`."
        )
    return found


def _serialize_argument(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return {"type": "ndarray", "value": value.tolist()}
    return value


def _deserialize_argument(value: Any, custom_objects: Optional[dict]) -> Any:
    if isinstance(value, dict) and value.get("type") == "ndarray" and "value" in value:
        return np.array(value["value"])
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        from kerasish.saving.serialization import deserialize_keras_object

        return deserialize_keras_object(value, custom_objects)
    return value
