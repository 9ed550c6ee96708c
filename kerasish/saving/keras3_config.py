"""Layer and model configs in Keras 3's schema: what ``.keras`` files and
``serialize_keras_object`` carry, written so that real Keras 3 rebuilds them.

Layers describe themselves in tf.keras' schema (``get_config``); this module restates that in
Keras 3's terms: every object gets ``module``/``registered_name``, dtypes become ``DTypePolicy``
dicts, ``InputLayer`` has ``batch_shape``, calls are ``{"args", "kwargs"}`` with
``__keras_tensor__`` entries, and a nested model's calls are numbered from 0 in
``inbound_nodes`` but from 1 in ``input_layers``/``output_layers`` (a Sequential from 0), as
Keras 3 numbers them. Op layers become the Keras 3 operations recording the same ops
(``ops.keras3_ops``), since Keras 3 has no ``TFOpLambda``.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.ops.op_layer import TFOpLambda
from kerasish.saving import registry
from kerasish.utils import tree


def serialize_layer(layer: Any) -> dict:
    """``{"module", "class_name", "config", "registered_name", "build_config"}`` for a layer."""
    from kerasish.models.functional import Functional
    from kerasish.models.sequential import Sequential
    from kerasish.saving import keras3_ops
    from kerasish.saving.serialization import keras_module_of

    operation = keras3_ops.operation_entry(layer)
    if operation is not None:
        return operation
    module, registered_name = keras_module_of(type(layer))
    if isinstance(layer, Sequential):
        config = _sequential_config(layer)
    elif isinstance(layer, Functional) and _uses_functional_config(layer):
        config = functional_config(layer)
    else:
        config = _layer_config(type(layer).__name__, layer.get_config())
    entry = {
        "module": module,
        "class_name": type(layer).__name__,
        "config": config,
        "registered_name": registered_name,
    }
    build_config = _build_config(layer)
    if build_config is not None:
        entry["build_config"] = build_config
    return entry


def _uses_functional_config(model: Any) -> bool:
    from kerasish.models.functional import Functional

    return type(model).get_config is Functional.get_config


def _build_config(layer: Any) -> Optional[dict]:
    """The layer's own ``get_build_config()`` (Keras calls it too; custom layers override it)."""
    return layer.get_build_config()


def _jsonable(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {key: _jsonable(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [_jsonable(d) for d in shape]
    return shape


# ------------------------------------------------------------------ plain layers


def _layer_config(class_name: str, config: dict) -> dict:
    """A layer's tf.keras-schema config restated in Keras 3's."""
    converted = {}
    for key, value in config.items():
        if key == "batch_input_shape":
            if class_name == "InputLayer":
                converted["batch_shape"] = _jsonable(value)
            continue
        if key == "dtype" and class_name != "InputLayer":
            converted[key] = dtype_policy(value)
            continue
        converted[key] = _nested_object(value)
    return converted


def dtype_policy(dtype: Any) -> Any:
    if isinstance(dtype, dict):
        if dtype.get("class_name") not in {"Policy", "DTypePolicy", "FloatDTypePolicy"}:
            return dtype
        dtype = (dtype.get("config") or {}).get("name")  # tf.keras' mixed precision Policy
    if dtype is None:
        return None
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(dtype)}, "registered_name": None}


def _nested_object(value: Any) -> Any:
    """Give serialized objects inside a config (initializers, wrapped layers...) Keras 3 keys."""
    if isinstance(value, dict) and set(value) == {"class_name", "config"} and isinstance(value["config"], dict):
        cls = _class_named(value["class_name"])
        if cls is None:
            return {"module": None, **value, "registered_name": value["class_name"]}
        from kerasish.layers.base import Layer
        from kerasish.saving.serialization import keras_module_of

        module, registered_name = keras_module_of(cls)
        config = value["config"]
        if issubclass(cls, Layer):
            config = _layer_config(value["class_name"], config)
        else:
            config = {key: _nested_object(item) for key, item in config.items()}
        return {"module": module, "class_name": value["class_name"], "config": config, "registered_name": registered_name}
    if isinstance(value, dict):
        return {key: _nested_object(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nested_object(item) for item in value]
    return value


def _class_named(name: str) -> Any:
    from kerasish.saving.serialization import _builtin_by_module

    found = registry.get_registered_object(name)
    return found if isinstance(found, type) else _builtin_by_module(name, None)


# ------------------------------------------------------------------ models


def _sequential_config(model: Any) -> dict:
    layers = ([model._input_layer] if model._input_layer is not None else []) + list(model._stack)
    config: dict = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": dtype_policy(model.dtype_policy.name),
        "layers": [serialize_layer(layer) for layer in layers],
    }
    if model.inputs:
        config["build_input_shape"] = _jsonable(model.inputs[0].shape)
    return config


def _nested_model_shift(layer: Any) -> int:
    from kerasish.models.functional import Functional
    from kerasish.models.sequential import Sequential

    return 1 if isinstance(layer, Functional) and not isinstance(layer, Sequential) else 0


def functional_config(model: Any) -> dict:
    member_nodes = {id(node) for node in model._network_nodes}
    relative: dict[int, int] = {}
    for layer in model.layers:
        kept = 0
        for node in layer._inbound_nodes:
            if id(node) in member_nodes:
                relative[id(node)] = kept
                kept += 1

    def history_of(tensor: KerasTensor) -> list:
        layer, node_index, tensor_index = tensor._keras_history
        return [layer.name, relative.get(id(layer._inbound_nodes[node_index]), 0), tensor_index]

    def keras_tensor(x: Any) -> Any:
        if not isinstance(x, KerasTensor):
            return x
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": _jsonable(x.shape), "dtype": x.dtype, "keras_history": history_of(x)},
        }

    def encode(x: Any) -> Any:
        # Call arguments: tensors as Keras 3 writes them, constants as `__tensor__`/`__numpy__`.
        if isinstance(x, KerasTensor):
            return keras_tensor(x)
        if isinstance(x, (list, tuple)):
            return [encode(item) for item in x]
        if isinstance(x, dict):
            return {key: encode(item) for key, item in x.items()}
        from kerasish.saving.serialization import serialize_keras_object

        return serialize_keras_object(x)

    layer_configs = []
    for layer in model.layers:
        calls = [node for node in layer._inbound_nodes if id(node) in member_nodes and not node.is_input]
        if isinstance(layer, TFOpLambda):
            entry = _operation_entry(layer, calls, encode)
            layer_configs.append(entry)
            continue
        inbound = []
        for node in calls:
            # Masks the framework filled in (`mask`, MultiHeadAttention's `<arg>_mask`) are
            # derived again when the call is replayed, as in Keras 3.
            framework = set(getattr(node, "framework_kwargs", ()))
            if getattr(node, "mask_from_framework", False):
                framework.add("mask")
            kwargs = {key: value for key, value in node.call_kwargs.items() if key not in framework}
            inbound.append({"args": encode(list(node.call_args)), "kwargs": encode(kwargs)})
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
        layer_configs.append(entry)

    def coordinates(tensor: KerasTensor) -> list:
        name, index, tensor_index = history_of(tensor)
        return [name, index + _nested_model_shift(tensor._keras_history.layer), tensor_index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": tree.map_structure(coordinates, model._nested_inputs),
        "output_layers": tree.map_structure(coordinates, model._nested_outputs),
    }


def _operation_entry(layer: TFOpLambda, calls: list, encode: Any) -> dict:
    """An op layer as the Keras 3 operation recording the same op (``Mean`` with its ``axis``
    in the config, the tensors in the node), which real Keras 3 can rebuild."""
    from kerasish.ops.keras3_ops import operation_call

    constructor = None
    inbound = []
    for node in calls:
        operation, arguments, call_args = operation_call(layer, node)
        if constructor is not None and arguments != constructor:
            raise NotImplementedError(
                f"Saving the op layer '{layer.name}' in Keras 3's format: its calls differ in the "
                f"non-tensor arguments of the op ({constructor} vs {arguments}), which a Keras 3 "
                "operation fixes once."
            )
        constructor = arguments
        inbound.append({"args": encode(call_args), "kwargs": {}})
    return {
        "module": operation.module,
        "class_name": operation.class_name,
        "config": {"name": layer.name, **encode(constructor)},
        "registered_name": operation.class_name,
        "name": layer.name,
        "inbound_nodes": inbound,
    }
