"""``kerasish-convert inspect``: what a weight file holds, read without building a model.

Reading the raw file (not loading a model) means any file can be inspected, even one whose
layers kerasish does not know. The format is detected from content, not from the file name:
a ``torch.save`` file is a zip too, so a zip is a ``.keras`` file only if it has Keras' members.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any, Optional

import h5py

from kerasish.converter import torch_files
from kerasish.converter.errors import ConversionError
from kerasish.saving.legacy_h5_weights import decode, load_attributes

Row = tuple[str, tuple, str]


def _version_text(attrs: Any) -> str:
    parts = []
    if "keras_version" in attrs:
        parts.append(f"keras_version {decode(attrs['keras_version'])}")
    if "backend" in attrs:
        parts.append(f"backend {decode(attrs['backend'])}")
    return f" ({', '.join(parts)})" if parts else ""


def _era(version: Optional[str]) -> str:
    return "Keras 3" if version and str(version).startswith("3") else "Keras 2"


def _legacy_rows(root: Any) -> list[Row]:
    """Keras 2 layout: ``layer_names``, then each layer's ``weight_names``."""
    rows = []
    for layer in load_attributes(root, "layer_names"):
        group = root[layer]
        for name in load_attributes(group, "weight_names"):
            data = group[name]
            rows.append((f"{layer}/{name}", tuple(data.shape), str(data.dtype)))
    return rows


def _all_datasets(group: Any) -> list[Row]:
    """Keras 3 layout: every dataset, in file order, by its path (``layers/dense/vars/0``)."""
    rows: list[Row] = []

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset):
            rows.append((name, tuple(item.shape), str(item.dtype)))

    group.visititems(visit)
    return rows


def _describe_h5(f: h5py.File) -> tuple[str, list[Row]]:
    attrs = f.attrs
    version = decode(attrs["keras_version"]) if "keras_version" in attrs else None
    if "model_config" in attrs:
        root = f["model_weights"]
        version = version or (decode(root.attrs["keras_version"]) if "keras_version" in root.attrs else None)
        text = _version_text(attrs) or _version_text(root.attrs)
        return f"{_era(version)} HDF5 model{text}", _legacy_rows(root)
    if "layer_names" in attrs or "layer_names0" in attrs:
        return f"{_era(version)} HDF5 weights{_version_text(attrs)}", _legacy_rows(f)
    return "Keras 3 .weights.h5 weights", _all_datasets(f)


def _describe_keras_zip(archive: zipfile.ZipFile) -> tuple[str, list[Row]]:
    metadata = {}
    if "metadata.json" in archive.namelist():
        metadata = json.loads(archive.read("metadata.json"))
    version = metadata.get("keras_version")
    label = "Keras 3 .keras zip" + (f" (keras_version {version})" if version else "")
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        return label, _all_datasets(f)


def _torch_rows(state: dict) -> list[Row]:
    return [
        (key, tuple(value.shape), str(value.dtype).replace("torch.", ""))
        for key, value in state.items()
    ]


def detect(path: str) -> tuple[str, list[Row]]:
    """(format description, [(name, shape, dtype)]) of any Keras or torch weight file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ConversionError(f"No file found at '{path}'.")
    if torch_files.is_safetensors(path):
        return "safetensors state_dict", _torch_rows(torch_files.load_state_dict(path))
    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as f:
            return _describe_h5(f)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if {"config.json", "model.weights.h5"} <= names:
                return _describe_keras_zip(archive)
    try:
        return "torch state_dict", _torch_rows(torch_files.load_state_dict(path))
    except ConversionError as err:
        raise ConversionError(
            f"'{path}' is not a Keras file (.keras, .h5, .weights.h5) nor a torch state_dict "
            f"(.pt, .safetensors): {err}"
        ) from err


def describe(path: str) -> str:
    """The text ``inspect`` prints: the detected format, then one row per tensor."""
    label, rows = detect(path)
    width = max((len(name) for name, _, _ in rows), default=4)
    lines = [f"{path}: {label}", f"{len(rows)} tensors"]
    lines += [f"  {name:<{width}}  {str(shape):<20} {dtype}" for name, shape, dtype in rows]
    return "\n".join(lines)
