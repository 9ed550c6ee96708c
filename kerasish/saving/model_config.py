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
from kerasish.saving import registry
from kerasish.utils import tree

_CLASS_ALIASES = {"Model": "Functional"}

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


def deserialize_layer(config: dict, custom_objects: Optional[dict] = None) -> Any:
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name'. Received: {config!r}")
    class_name = config["class_name"]
    cls = registry.get_registered_object(config.get("registered_name") or class_name, custom_objects)
    if cls is None:
        cls = registry.get_registered_object(_CLASS_ALIASES.get(class_name, class_name), custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown layer: '{class_name}'. Please ensure you are using a `keras.utils."
            "custom_object_scope` and that this object is included in the scope, or pass it "
            "in `custom_objects`."
        )
    layer_config = {
        key: value
        for key, value in config.get("config", {}).items()
        if not (key in _UNUSED_DRIFT_KEYS and value == _UNUSED_DRIFT_KEYS[key])
    }
    from kerasish.models.model import Model

    if isinstance(cls, type) and issubclass(cls, Model):
        return cls.from_config(layer_config, custom_objects=custom_objects)
    return cls.from_config(layer_config)


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


def _serialize_node(node: Any, history_of) -> list:
    kwargs = {
        key: tree.map_structure(lambda x: history_of(x) if isinstance(x, KerasTensor) else x, value)
        for key, value in node.call_kwargs.items()
        if not (key == "mask" and getattr(node, "mask_from_framework", False))
    }
    extra_args = node.call_args[1:]
    if extra_args:
        raise NotImplementedError(
            f"Serializing a call of layer '{node.layer.name}' with more than one positional "
            "argument is not supported; pass the extra arguments by keyword."
        )
    inputs = node.input_tensors
    data = tree.map_structure(lambda x: history_of(x) + [kwargs] if isinstance(x, KerasTensor) else x, inputs)
    if not tree.is_nested(inputs):
        data = [data]
    return data


# ------------------------------------------------------------------- reading


def _is_keras3_node(node_data: Any) -> bool:
    return isinstance(node_data, dict) and "args" in node_data


def functional_from_config(cls: type, config: dict, custom_objects: Optional[dict] = None) -> Any:
    created: dict[str, Any] = {}
    pending: dict[Any, list] = defaultdict(list)
    index_map: dict[tuple, int] = {}
    node_count: dict[str, int] = {}
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
            if kwargs.get("mask") is None:
                kwargs.pop("mask", None)
            outputs = layer(*args, **kwargs)
        else:
            inputs, kwargs = [], {}
            for entry in node_data:
                if isinstance(entry, (list, tuple)) and entry and isinstance(entry[0], str):
                    inputs.append(tensor_from(entry))
                    if len(entry) > 3 and entry[3]:
                        kwargs = _decode_keras2_kwargs(entry[3], tensor_from)
                else:
                    inputs.append(entry)
            outputs = layer(inputs[0] if len(inputs) == 1 else inputs, **kwargs)
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
            return tensor_from(coords)
        items = [resolve(c) for c in coords]
        return items

    inputs = resolve(config["input_layers"])
    outputs = resolve(config["output_layers"])
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"))


def _decode_keras3(value: Any, tensor_from) -> Any:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return tensor_from(value["config"]["keras_history"])
        return {key: _decode_keras3(v, tensor_from) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_decode_keras3(v, tensor_from) for v in value)
    return value


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
