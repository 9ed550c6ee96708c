"""Layer and model configs: written in the tf.keras 2.x schema, read in all three schemas.

The three schemas differ in how a call is recorded (``inbound_nodes``):

* Keras 2 / tf.keras: ``[[["dense", 0, 0, {}], ...], ...]``, one list per call, and a nested
  functional model's calls numbered from 1 (its node 0 is itself);
* Keras 3: ``[{"args": [...], "kwargs": {...}}]`` with ``__keras_tensor__`` dicts, and a nested
  model's calls numbered from 0.

kerasish models own node 0 the Keras 2 way, so a Keras 2 index is used as it is and a Keras 3
index of a nested model is shifted by one while reading.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Optional

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.saving import keras3_ops
from kerasish.utils import tree

CLASS_ALIASES = {"Model": "Functional"}

# Keys that one Keras version writes and another's constructors reject, with the value that
# means "feature unused". A key holding that value is dropped when reading; any other value
# reaches the layer, which then refuses it by name.
_UNUSED_DRIFT_KEYS = {
    "quantization_config": None,
    "optional": False,
    "lora_rank": None,
    "lora_alpha": None,
}


def serialize_layer(layer: Any) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


# Keras 2 keys that Keras 3 layers dropped: read as absent when the layer class has no such
# argument and the value means what the absence means (``implementation`` only picks kernels).
_KERAS2_DRIFT_KEYS = {"groups": (1,), "time_major": (False,), "implementation": (0, 1, 2)}


def clean_layer_config(cls: type, config: dict) -> dict:
    """Drop keys another Keras version wrote with their "unused" value.

    ``groups`` on DepthwiseConv2D/Conv2DTranspose and ``time_major``/``implementation`` on RNNs
    (tf.keras) are the classic Keras 2 -> 3 loading breaks; a value that changes the
    computation is kept, so the constructor refuses it by name.
    """
    accepted = _init_parameters(cls)
    return {
        key: value
        for key, value in config.items()
        if not (key in _UNUSED_DRIFT_KEYS and value == _UNUSED_DRIFT_KEYS[key])
        and not (key in _KERAS2_DRIFT_KEYS and key not in accepted and value in _KERAS2_DRIFT_KEYS[key])
    }


def _init_parameters(cls: type) -> set:
    import inspect

    try:
        return set(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return set()


def deserialize_layer(config: dict, custom_objects: Optional[dict] = None) -> Any:
    """A layer (or model) from its config in any of the three schemas."""
    from kerasish.layers.base import Layer
    from kerasish.saving.serialization import deserialize_keras_object, retrieve_class

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name'. Received: {config!r}")
    config = {**config, "config": config.get("config") or {}}
    if config["class_name"] == "Sequential" and isinstance(config["config"], list):
        # Keras 1 to 2.2.2 wrote a Sequential's config as the bare list of its layers.
        config["config"] = {"layers": config["config"]}
    if config["class_name"] == "Merge" and "mode" in config["config"]:
        # Keras 1's Merge layer (kerasish's own `Merge` is the merge layers' base class).
        from kerasish.legacy.keras1_merge import Merge

        return Merge.from_config(config["config"], custom_objects)
    if str(config.get("module") or "").startswith("keras.src.ops."):
        # A Keras 3 operation recorded in a functional graph (`ops.sum(x)`, `x + y`).
        from kerasish.ops.keras3_ops import op_layer_from_keras3_config

        return op_layer_from_keras3_config(config)
    try:
        retrieve_class(config, custom_objects)
    except ValueError:
        raise ValueError(
            f"Unknown layer: '{config['class_name']}'. Please ensure you are using a `keras.utils."
            "custom_object_scope` and that this object is included in the scope, or pass it "
            "in `custom_objects`."
        ) from None
    layer = deserialize_keras_object(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            f"Expected a layer from the config of '{config['class_name']}', got {type(layer).__name__}: "
            f"{layer!r}"
        )
    return layer


# ------------------------------------------------------------------- writing


def _node_key(layer: Any, node_index: int) -> tuple:
    return (id(layer), node_index)


def _skips_first_node(layer: Any) -> bool:
    from kerasish.models.functional import Functional

    return isinstance(layer, Functional)


def functional_config(model: Any) -> dict:
    member_nodes = {id(node) for node in model._network_nodes}
    conversion: dict[tuple, int] = {}
    for layer in model.layers:
        kept = 1 if _skips_first_node(layer) else 0
        for index, node in enumerate(layer._inbound_nodes):
            if id(node) in member_nodes:
                conversion[_node_key(layer, index)] = kept
                kept += 1

    def history_of(tensor: KerasTensor) -> list:
        layer, node_index, tensor_index = tensor._keras_history
        return [layer.name, conversion.get(_node_key(layer, node_index), 0), tensor_index]

    layer_configs = []
    for layer in model.layers:
        inbound = []
        for node in layer._inbound_nodes:
            if id(node) not in member_nodes or node.is_input:
                continue
            inbound.append(_serialize_node(node, history_of))
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
        layer_configs.append(entry)

    def coordinates(structure: Any) -> Any:
        packed = tree.map_structure(history_of, structure)
        return packed if tree.is_nested(structure) else [packed]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": coordinates(model._nested_inputs),
        "output_layers": coordinates(model._nested_outputs),
    }


# tf.keras' marker for a constant in a call's first argument: [_CONSTANT_VALUE, -1, value, kwargs].
_CONSTANT_VALUE = "_CONSTANT_VALUE"


def _serialize_node(node: Any, history_of) -> list:
    """One call in tf.keras' schema: each tensor of the first argument as ``[layer, node,
    tensor, kwargs]``, every other argument (extra positional ones by their parameter names,
    as tf.keras' ``Node.serialize`` does) in ``kwargs``."""
    layer = node.layer

    def jsonable(value: Any) -> Any:
        if isinstance(value, KerasTensor):
            return history_of(value)
        return _jsonable_argument(value)

    # Masks the framework filled in (``mask``, MultiHeadAttention's ``<arg>_mask``) are not
    # saved: replaying the call derives them again.
    framework = set(getattr(node, "framework_kwargs", ()))
    if getattr(node, "mask_from_framework", False):
        framework.add("mask")
    arguments = _extra_args_by_name(layer, node.call_args[1:])
    arguments.update((key, value) for key, value in node.call_kwargs.items() if key not in framework)
    kwargs = {key: _map_arguments(jsonable, value) for key, value in arguments.items()}

    def entry(x: Any) -> list:
        if isinstance(x, KerasTensor):
            return history_of(x) + [kwargs]
        return [_CONSTANT_VALUE, -1, _jsonable_argument(x), kwargs]

    inputs = node.input_tensors
    data = tree.map_structure(entry, inputs)
    if not tree.is_nested(inputs) and not getattr(layer, "_preserve_input_structure_in_config", False):
        data = [data]
    return data


def _extra_args_by_name(layer: Any, extra: tuple) -> dict:
    if not extra:
        return {}
    import inspect

    signature = getattr(layer, "_config_call_signature", None) or inspect.signature(layer.call)
    params = list(signature.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in params if p.kind in positional][1:]
    named = dict(zip(names, extra))
    rest = list(extra[len(names):])
    if rest:
        var = next((p.name for p in params if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
        if var is None or not getattr(layer, "_preserve_input_structure_in_config", False):
            raise NotImplementedError(
                f"Serializing a call of layer '{layer.name}' whose extra positional arguments "
                "have no parameter names (a `*args` call signature) is not supported; pass "
                "them by keyword."
            )
        named[var] = rest
    return named


def _map_arguments(fn, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_map_arguments(fn, item) for item in value]
    if isinstance(value, dict):
        return {key: _map_arguments(fn, item) for key, item in value.items()}
    return fn(value)


def _jsonable_argument(value: Any) -> Any:
    """A non-tensor call argument as JSON: arrays as nested lists (as tf.keras writes them)."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, torch.dtype):
        return str(value).replace("torch.", "")
    if isinstance(value, slice):
        return {"start": value.start, "stop": value.stop, "step": value.step}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__"}
    if isinstance(value, (list, tuple, dict)):
        return _map_arguments(_jsonable_argument, value)
    return value


# ------------------------------------------------------------------- reading


def _is_keras3_node(node_data: Any) -> bool:
    return isinstance(node_data, dict) and "args" in node_data


def functional_from_config(cls: type, config: dict, custom_objects: Optional[dict] = None) -> Any:
    created: dict[str, Any] = {}
    pending: dict[Any, list] = defaultdict(list)
    index_map: dict[tuple, int] = {}
    node_count: dict[str, int] = {}
    coordinate_shift: dict[str, int] = {}
    keras3 = any(
        _is_keras3_node(node)
        for layer_data in config["layers"]
        for node in layer_data.get("inbound_nodes", [])
    )

    for layer_data in config["layers"]:
        name = layer_data.get("name") or layer_data["config"]["name"]
        layer = deserialize_layer(layer_data, custom_objects)
        created[name] = layer
        node_count[name] = 1 if (_skips_first_node(layer) and not keras3) else 0
        # Keras 3 numbers a nested Functional's calls from 1 in input/output_layers only
        # (from 0 in inbound_nodes); its Sequential is no Functional and uses 0 in both.
        if keras3 and _skips_first_node(layer) and layer_data.get("class_name") != "Sequential":
            coordinate_shift[name] = 1
        if not layer_data.get("inbound_nodes"):
            index_map[(name, 0)] = 0
        for node_data in layer_data.get("inbound_nodes", []):
            pending[name].append(node_data)

    def node_index(layer_name: str, config_index: int) -> int:
        key = (layer_name, config_index)
        if key not in index_map:
            raise IndexError(key)
        return index_map[key]

    def tensor_from(history: list) -> KerasTensor:
        layer_name, config_index, tensor_index = history[0], int(history[1]), int(history[2])
        if layer_name not in created:
            raise ValueError(f"Config refers to an unknown layer '{layer_name}'.")
        layer = created[layer_name]
        node = layer._inbound_nodes[node_index(layer_name, config_index)]
        return tree.flatten(node.outputs)[tensor_index]

    def process_node(layer_name: str, node_data: Any) -> None:
        layer = created[layer_name]
        if _is_keras3_node(node_data):
            args = _decode_keras3(node_data["args"], tensor_from)
            kwargs = _decode_keras3(node_data.get("kwargs", {}), tensor_from)
            kwargs = {**keras3_ops.call_kwargs(layer), **kwargs}
            if kwargs.get("mask") is None:
                kwargs.pop("mask", None)
            outputs = layer(*args, **kwargs)
        else:
            inputs, kwargs = _decode_keras2_node(node_data, tensor_from)
            if not _is_keras2_entry(node_data) and not getattr(
                layer, "_preserve_input_structure_in_config", False
            ):
                inputs = inputs[0] if len(inputs) == 1 else inputs
            outputs = layer(inputs, **kwargs)
        first = tree.flatten(outputs)[0]
        index_map[(layer_name, node_count[layer_name])] = first._keras_history.node_index
        node_count[layer_name] += 1

    while pending:
        progressed = False
        for layer_data in config["layers"]:
            name = layer_data.get("name") or layer_data["config"]["name"]
            queue = pending.pop(name, None)
            if not queue:
                continue
            while queue:
                try:
                    process_node(name, queue[0])
                except IndexError:
                    pending[name] = queue
                    break
                queue.pop(0)
                progressed = True
        if not progressed and pending:
            raise ValueError(
                "The model config has calls whose inputs are never produced (a disconnected "
                f"or corrupt graph): layers {sorted(pending)}."
            )

    def resolve(coords: Any) -> Any:
        if isinstance(coords, dict):
            return {key: resolve(value) for key, value in coords.items()}
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], str):
            shift = coordinate_shift.get(coords[0], 0)
            return tensor_from([coords[0], int(coords[1]) - shift, coords[2]])
        items = [resolve(c) for c in coords]
        return items

    inputs = resolve(config["input_layers"])
    outputs = resolve(config["output_layers"])
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if config.get("trainable") is False:
        model.trainable = False
    return model


def _decode_keras3(value: Any, tensor_from) -> Any:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return tensor_from(value["config"]["keras_history"])
        if value.get("class_name") in ("__tensor__", "__numpy__"):  # a constant argument
            from kerasish.saving.serialization import deserialize_keras_object

            return deserialize_keras_object(value)
        return {key: _decode_keras3(v, tensor_from) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_decode_keras3(v, tensor_from) for v in value)
    return value


def _is_keras2_entry(item: Any) -> bool:
    """``[layer, node, tensor]`` or ``[layer, node, tensor, kwargs]`` (or a constant's entry)."""
    return isinstance(item, (list, tuple)) and len(item) in (3, 4) and isinstance(item[0], str)


def _decode_keras2_node(node_data: Any, tensor_from) -> tuple[Any, dict]:
    """The first argument (its structure kept) and the kwargs of one tf.keras-schema call.

    Op layers (``TFOpLambda``) store a single tensor as a bare entry and keep list structure;
    other layers wrap the first argument in a list. Constants appear as
    ``["_CONSTANT_VALUE", -1, value, kwargs]``.
    """
    kwargs: dict = {}

    def decode(item: Any) -> Any:
        nonlocal kwargs
        if _is_keras2_entry(item):
            if len(item) > 3 and item[3]:
                kwargs = _decode_keras2_kwargs(item[3], tensor_from)
            if item[0] == _CONSTANT_VALUE:
                return item[2]
            return tensor_from(item)
        if isinstance(item, (list, tuple)):
            return [decode(x) for x in item]
        if isinstance(item, dict):
            return {key: decode(x) for key, x in item.items()}
        return item

    return decode(node_data), kwargs


def _decode_keras2_kwargs(kwargs: dict, tensor_from) -> dict:
    """tf.keras writes tensors in call kwargs as ``[layer, node, tensor]`` triples, possibly in lists."""

    def decode(value: Any) -> Any:
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            if isinstance(value[1], int) and isinstance(value[2], int):
                return tensor_from(value)
        if isinstance(value, list):
            return [decode(item) for item in value]
        if isinstance(value, dict):
            return {key: decode(item) for key, item in value.items()}
        return value

    return {key: decode(value) for key, value in kwargs.items()}


def model_from_config(config: dict, custom_objects: Optional[dict] = None) -> Any:
    """A model (or layer) from ``{"class_name", "config"}`` in any of the three schemas."""
    if isinstance(config, list):
        raise TypeError(
            "`model_from_config` expects a dictionary, not a list. Received: "
            f"config={config}. Did you meant to use `Sequential.from_config(config)`?"
        )
    return deserialize_layer(config, custom_objects)
