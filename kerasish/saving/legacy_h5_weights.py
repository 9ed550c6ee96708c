"""Keras 2's weights layout in HDF5: one group per layer, loaded by position or by name.

Layout (tf.keras 2.x, also what Keras 2.2.5 and Keras 3's legacy writer produce)::

    <root or model_weights>/  attrs: layer_names, backend, keras_version
        <layer name>/         attrs: weight_names (e.g. ``dense/kernel:0``)
            <weight name>     one dataset per weight, in trainable-then-non-trainable order
        top_level_model_weights/

A nested model is one entry holding all of its weights (all trainable, then all
non-trainable). Attribute arrays over 64512 bytes are split into ``name0``, ``name1``, ...
Keras 2.2.5 stored these strings as bytes, tf.keras as str; both are read.

Loading by position (Keras' default) pairs the model's layers that have weights with the file's
layers that have weights, in order; loading by name matches layer names. Each layer's values
first go through Keras 2's conversions of old weights (``legacy_weight_conversion``: Keras 1
layouts, Theano kernels, CuDNN layers); every value is checked (count and shape) before any
weight is assigned.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from kerasish.saving import keras3_weights
from kerasish.saving.legacy_weight_conversion import preprocess_weights_for_loading

HDF5_OBJECT_HEADER_LIMIT = 64512


def decode(value: Any) -> Any:
    """An attribute value as ``str`` (HDF5 attributes come back as bytes, numpy bytes or str)."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8")
    return value


def save_attributes(group: Any, name: str, data: list) -> None:
    """``group.attrs[name] = data``, split into ``name0``, ``name1``... past the HDF5 header limit."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(
            "The following attributes cannot be saved to HDF5 file because they are larger than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long}"
        )
    array = np.asarray(data)
    chunks = 1
    parts = np.array_split(array, chunks)
    while any(part.nbytes > HDF5_OBJECT_HEADER_LIMIT for part in parts):
        chunks += 1
        parts = np.array_split(array, chunks)
    if chunks > 1:
        for index, part in enumerate(parts):
            group.attrs[f"{name}{index}"] = part
    else:
        group.attrs[name] = array


def load_attributes(group: Any, name: str) -> list:
    if name in group.attrs:
        return [decode(x) for x in group.attrs[name]]
    data: list = []
    index = 0
    while f"{name}{index}" in group.attrs:
        data.extend(decode(x) for x in group.attrs[f"{name}{index}"])
        index += 1
    return data


def legacy_weights(layer: Any) -> list:
    """The order Keras 2 stored a layer's (or a nested model's) weights in."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def weight_name(variable: Any) -> str:
    """tf.keras' name for a weight: ``dense/kernel:0``, ``lstm/lstm_cell/kernel:0``."""
    owner = variable._owner
    cell = keras3_weights.rnn_cell_name(owner) if hasattr(owner, "_keras_variables") else None
    layer_name = variable._layer_name or getattr(owner, "name", "layer")
    if cell:
        return f"{layer_name}/{cell}/{variable.name}:0"
    return f"{layer_name}/{variable.name}:0"


def weight_layers(model: Any) -> list:
    """The layers a weights file lists, in order: ``model.layers``, or Keras 1's flattened
    order for a Sequential whose first layer is a Keras 1 ``Merge`` (``keras1_merge``)."""
    flattened = getattr(model, "keras1_flattened_layers", None)
    return flattened() if flattened is not None else model.layers


# ------------------------------------------------------------------ writing


def save_weights_to_group(group: Any, model: Any, keras_version: str) -> None:
    layers = weight_layers(model)
    save_attributes(group, "layer_names", [layer.name.encode("utf-8") for layer in layers])
    group.attrs["backend"] = b"torch"
    group.attrs["keras_version"] = keras_version.encode("utf-8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        _save_subset(group.create_group(layer.name), legacy_weights(layer))
    own = keras3_weights.own_variables(model)
    _save_subset(group.create_group("top_level_model_weights"), own)


def _save_subset(group: Any, variables: list) -> None:
    names: list[str] = []
    for variable in variables:
        name = weight_name(variable)
        while name in names:  # keep datasets distinct if two weights share a Keras name
            name = name.replace(":0", "_1:0")
        names.append(name)
    save_attributes(group, "weight_names", [name.encode("utf-8") for name in names])
    for name, variable in zip(names, variables):
        value = variable.numpy()
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        dataset[()] = value


# ------------------------------------------------------------------ reading


def weights_root(group: Any) -> Any:
    """The group holding ``layer_names``: the file itself (save_weights) or ``model_weights``."""
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        if "model_weights" in group:
            return group["model_weights"]
        raise ValueError(
            f"'{group.file.filename}' holds no Keras 2 weights: it has neither a `layer_names` "
            "attribute nor a `model_weights` group."
        )
    return group


def _load_subset(group: Any, layer_name: str) -> list[np.ndarray]:
    values = []
    for name in load_attributes(group, "weight_names"):
        if name not in group:
            raise ValueError(
                f"Corrupt weights file: layer '{layer_name}' lists weight '{name}' but the file "
                "holds no such dataset."
            )
        values.append(np.asarray(group[name]))
    return values


def _origin(group: Any) -> tuple[Optional[str], Optional[str]]:
    """``(keras_version, backend)`` of a weights group, None where the attribute is absent
    (Keras 1 wrote neither)."""
    version, backend = group.attrs.get("keras_version"), group.attrs.get("backend")
    return (
        decode(version) if version is not None else None,
        decode(backend) if backend is not None else None,
    )


def plan_topological(
    group: Any, model: Any, skip_mismatch: bool = False, reshape: bool = False
) -> list[tuple[Any, np.ndarray]]:
    """``(variable, value)`` pairs pairing layers with weights by position, as Keras does."""
    layers = [layer for layer in weight_layers(model) if legacy_weights(layer)]
    saved = []
    for name in load_attributes(group, "layer_names"):
        if name not in group:
            raise ValueError(f"Corrupt weights file: layer '{name}' is listed but has no group.")
        if load_attributes(group[name], "weight_names"):
            saved.append(name)
    if len(saved) != len(layers):
        raise ValueError(
            "Layer count mismatch when loading weights from file. Model expected "
            f"{len(layers)} layers with weights ({[layer.name for layer in layers]}), found "
            f"{len(saved)} saved layers with weights ({saved})."
        )
    assignments = []
    origin = _origin(group)
    for index, (layer, name) in enumerate(zip(layers, saved)):
        values = preprocess_weights_for_loading(layer, _load_subset(group[name], name), *origin, reshape)
        variables = legacy_weights(layer)
        if len(values) != len(variables):
            raise ValueError(
                f"Weight count mismatch for layer #{index} (named {layer.name} in the current "
                f"model, {name} in the save file). Layer expects {len(variables)} weight(s) "
                f"{[v.shape for v in variables]}. Received {len(values)} saved weight(s) "
                f"{[tuple(v.shape) for v in values]}"
            )
        assignments.extend(
            _checked(variables, values, f"layer #{index} (named {layer.name} in the current model, {name} in the save file)", skip_mismatch)
        )
    assignments.extend(_top_level(group, model, skip_mismatch))
    return assignments


def plan_by_name(
    group: Any, model: Any, skip_mismatch: bool = False, reshape: bool = False
) -> list[tuple[Any, np.ndarray]]:
    """``(variable, value)`` pairs for the layers whose names the file has; others are left alone."""
    by_name: dict[str, list] = {}
    for layer in weight_layers(model):
        by_name.setdefault(layer.name, []).append(layer)
    assignments = []
    origin = _origin(group)
    for index, name in enumerate(load_attributes(group, "layer_names")):
        if name not in by_name:
            continue
        saved = _load_subset(group[name], name)
        for layer in by_name[name]:
            values = preprocess_weights_for_loading(layer, saved, *origin, reshape)
            variables = legacy_weights(layer)
            if len(values) != len(variables):
                message = (
                    f"Weight count mismatch for layer #{index} (named {layer.name}). Layer "
                    f"expects {len(variables)} weight(s) {[v.shape for v in variables]}. "
                    f"Received {len(values)} saved weight(s) {[tuple(v.shape) for v in values]}"
                )
                if skip_mismatch:
                    warnings.warn(f"Skipping loading of weights for layer #{index} (named {layer.name}) due to mismatch in number of weights. {message}", stacklevel=3)
                    continue
                raise ValueError(message)
            assignments.extend(_checked(variables, values, f"layer #{index} (named {layer.name})", skip_mismatch))
    assignments.extend(_top_level(group, model, skip_mismatch))
    return assignments


def _top_level(group: Any, model: Any, skip_mismatch: bool) -> list:
    if "top_level_model_weights" not in group:
        return []
    values = _load_subset(group["top_level_model_weights"], "top_level_model_weights")
    variables = keras3_weights.own_variables(model)
    if len(values) != len(variables):
        raise ValueError(
            "Weight count mismatch for top-level weights when loading weights from file. Model "
            f"expects {len(variables)} top-level weight(s). Received {len(values)} saved "
            "top-level weight(s)"
        )
    return _checked(variables, values, "top-level model", skip_mismatch)


def _checked(variables: list, values: list, where: str, skip_mismatch: bool) -> list:
    pairs = []
    for variable, value in zip(variables, values):
        if tuple(value.shape) != variable.shape:
            message = (
                f"Shape mismatch in {where} for weight {variable.path}. Weight expects shape "
                f"{variable.shape}. Received saved weight with shape {tuple(value.shape)}"
            )
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights: {message}", stacklevel=4)
                continue
            raise ValueError(message)
        pairs.append((variable, value))
    return pairs


def load_weights_from_group(
    group: Any, model: Any, by_name: bool = False, skip_mismatch: bool = False, reshape: bool = False
) -> None:
    """``reshape``: Keras 2.2.5's option to reshape a convolution kernel of the right size."""
    root = weights_root(group)
    plan = plan_by_name if by_name else plan_topological
    for variable, value in plan(root, model, skip_mismatch, reshape):
        variable.assign(value)


def keras_version_of(group: Any) -> Optional[str]:
    value = group.attrs.get("keras_version")
    return decode(value) if value is not None else None
