"""Model architecture as JSON or YAML text, in tf.keras 2.x's (and Keras 2.2.5's) format.

The text is ``{"class_name", "config", "keras_version", "backend"}``. JSON follows tf.keras;
YAML follows Keras 2.2.5 (``yaml.dump`` output, tuples as ``!!python/tuple``), the last Keras
that had it. Reading YAML uses a safe loader that accepts exactly one Python tag,
``!!python/tuple``: a YAML model file can never construct arbitrary Python objects.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np
import yaml

from kerasish.saving import keras2_compat

_PYTHON_TAG = "tag:yaml.org,2002:python/"


# ------------------------------------------------------------------ JSON codec


def get_json_type(obj: Any) -> Any:
    """``json.dumps(default=...)`` for what configs may hold besides JSON types."""
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, type):
        return obj.__name__
    if isinstance(obj, bytes):
        return obj.decode("utf-8")
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__"}
    import torch

    if isinstance(obj, torch.dtype):
        return str(obj).replace("torch.", "")
    if isinstance(obj, torch.Size):
        return list(obj)
    raise TypeError(f"Unable to serialize {obj} to JSON. Unrecognized type {type(obj)}.")


def encode_json(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, default=get_json_type, **kwargs)


def _decode_hook(obj: dict) -> Any:
    """tf.keras' ``json_utils.decode``: ``__tuple__``, ``TensorShape`` and ``__ellipsis__`` entries."""
    class_name = obj.get("class_name")
    if class_name == "__tuple__":
        return tuple(obj["items"])
    if class_name == "TensorShape":
        return obj.get("items")
    if class_name == "__ellipsis__":
        return Ellipsis
    return obj


def decode_json(text: Any) -> Any:
    if isinstance(text, (bytes, np.bytes_)):
        text = text.decode("utf-8")
    try:
        return json.loads(text, object_hook=_decode_hook)
    except json.JSONDecodeError as err:
        raise ValueError(f"The model config is not valid JSON ({err}). The file may be truncated or corrupt.") from err


# ------------------------------------------------------------------ top level


def model_document(model: Any) -> dict:
    """``{"class_name", "config", "keras_version", "backend"}`` in tf.keras' schema."""
    config, keras_version = keras2_compat.write_config(model.get_config())
    return {
        "class_name": type(model).__name__,
        "config": config,
        "keras_version": keras_version,
        "backend": "torch",
    }


def model_from_document(document: Any, custom_objects: Optional[dict] = None) -> Any:
    """The model a JSON/YAML/HDF5 document describes, in any of the three Keras schemas."""
    from kerasish.saving.model_config import deserialize_layer

    if not isinstance(document, dict) or "class_name" not in document:
        raise ValueError(
            "A model document must be a dict with 'class_name' and 'config'. "
            f"Received: {str(document)[:200]!r}"
        )
    config = keras2_compat.read_config(document, document.get("keras_version"))
    return deserialize_layer(config, custom_objects)


# ------------------------------------------------------------------ JSON


def to_json(model: Any, **kwargs: Any) -> str:
    """``json.dumps`` of the model document; ``kwargs`` go to ``json.dumps`` (e.g. ``indent``)."""
    return encode_json(model_document(model), **kwargs)


def model_from_json(json_string: str, custom_objects: Optional[dict] = None) -> Any:
    return model_from_document(decode_json(json_string), custom_objects)


# ------------------------------------------------------------------ YAML


class _KerasYamlDumper(yaml.SafeDumper):
    """SafeDumper that writes tuples as ``!!python/tuple``, as Keras 2.2.5's ``yaml.dump`` did."""


_KerasYamlDumper.add_representer(
    tuple, lambda dumper, data: dumper.represent_sequence(_PYTHON_TAG + "tuple", data)
)


class KerasYamlLoader(yaml.SafeLoader):
    """SafeLoader plus ``!!python/tuple``; any other Python tag is refused by name."""


def _construct_tuple(loader: yaml.SafeLoader, node: yaml.Node) -> tuple:
    return tuple(loader.construct_sequence(node))


def _refuse_python_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    raise ValueError(
        f"Refusing to load the YAML tag '!!python/{suffix}' ({node.start_mark}). Keras model "
        "YAML only ever contains `!!python/tuple`; other Python tags would run or import "
        "arbitrary code, so kerasish never constructs them."
    )


KerasYamlLoader.add_constructor(_PYTHON_TAG + "tuple", _construct_tuple)
KerasYamlLoader.add_multi_constructor(_PYTHON_TAG, _refuse_python_tag)


def _plain(value: Any) -> Any:
    """Configs as YAML-representable plain values (numpy scalars as Python numbers...)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _plain(get_json_type(value))


def to_yaml(model: Any, **kwargs: Any) -> str:
    """Keras 2.2.5's ``model.to_yaml()``: ``yaml.dump`` of the model document."""
    return yaml.dump(_plain(model_document(model)), Dumper=_KerasYamlDumper, **kwargs)


def model_from_yaml(yaml_string: str, custom_objects: Optional[dict] = None) -> Any:
    try:
        document = yaml.load(yaml_string, Loader=KerasYamlLoader)  # noqa: S506 - safe loader subclass
    except yaml.YAMLError as err:
        raise ValueError(f"The model YAML could not be parsed: {err}") from err
    return model_from_document(document, custom_objects)
