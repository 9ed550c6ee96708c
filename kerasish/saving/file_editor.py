"""``keras.saving.KerasFileEditor``: inspect, edit and resave Keras 3 weights files.

The weights of a ``.keras`` zip or a ``.weights.h5`` file are read into ``weights_dict``, a tree
of dicts keyed by the file's object paths (``layers`` → ``dense`` → ``"0"``: array), so a file
written before an architecture change can be made to fit the new model. The reading, the
comparison and the edits follow Keras 3.15's own code step by step, including its quirks: an
object whose ``vars`` group is empty is left out with all it contains (a nested model, an LSTM
whose variables sit on ``cell``); ``compare`` and the name search add a sub-tree's running count
to the count it started from, so the totals they report are Keras' (not the plain number of
weights). Keras prints through ``rich``; this prints the same text without the styling.
"""

from __future__ import annotations

import collections
import io
import json
import math
import os
import zipfile
from typing import Any, Callable, Optional

import h5py
import numpy as np

_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"
# Keras refuses zip members that would decompress to more than 100x their size beyond 4 GiB,
# and datasets over 4 GiB.
_ZIP_BOMB_FLOOR = 1 << 32
_ZIP_MAX_EXPANSION = 100
_MAX_DATASET_BYTES = 1 << 32


class KerasFileEditor:
    """Utility to inspect, edit, and resave Keras weights files."""

    def __init__(self, filepath: str) -> None:
        self.filepath = filepath
        self.metadata: Optional[dict] = None
        self.config: Optional[dict] = None
        self.model = None
        name = os.fspath(filepath)
        if name.endswith(".keras"):
            with zipfile.ZipFile(filepath, "r") as archive:
                weights = _safe_zip_read(archive, _WEIGHTS)
                self.config = json.loads(_safe_zip_read(archive, _CONFIG))
                self.metadata = json.loads(_safe_zip_read(archive, _METADATA))
            store = h5py.File(io.BytesIO(weights), "r")
        elif name.endswith(".weights.h5"):
            store = h5py.File(filepath, "r")
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        with store:
            self.weights_dict, self.object_metadata = _extract(store, {}, "")
        _print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            _print(
                f"Saved with Keras {self.metadata['keras_version']} - "
                f"date: {self.metadata['date_saved']}"
            )

    # ------------------------------------------------------------------ inspecting

    def summary(self) -> None:
        """Prints the weight structure of the opened file."""
        _print("Weights structure")
        self._print_weights_structure(self.weights_dict, prefix=" " * 2)

    def _print_weights_structure(
        self, weights_dict: dict, is_first: bool = True, prefix: str = "", inner_path: str = ""
    ) -> None:
        for index, (key, value) in enumerate(weights_dict.items()):
            # Keras extends the path for each sibling in turn, so the object names it looks up
            # (stored under "/layers/dense") are only found for paths that happen to match.
            inner_path = os.path.join(inner_path, key)
            is_last = index == len(weights_dict) - 1
            if is_first:
                is_first = False
                connector = "> "
            elif is_last:
                connector = "└─ "
            else:
                connector = "├─ "
            if isinstance(value, dict):
                label = f"{prefix}{connector}{key}"
                name = self.object_metadata.get(inner_path, {}).get("name")
                if name is not None:
                    label += f" ('{name}')"
                _print(label)
                self._print_weights_structure(
                    value,
                    is_first=is_first,
                    prefix=prefix + ("    " if is_last else "│   "),
                    inner_path=inner_path,
                )
            elif hasattr(value, "shape"):
                _print(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")
            else:
                _print(f"{prefix}{connector}{key}: {value}")

    def compare(self, reference_model: Any) -> dict:
        """Lists the differences between the file and ``reference_model``'s weights.

        Returns ``{"status": "success" | "error", "error_count": int, "match_count": int}``.
        """
        _print("Running comparison")
        reference = weight_spec(reference_model)
        checked: set = set()
        errors, matches = _compare(
            self.weights_dict, reference, "", "saved file", "reference model", 0, 0, checked
        )
        reverse_errors, _ = _compare(
            reference, self.weights_dict, "", "reference model", "saved file", 0, 0, checked
        )
        errors += reverse_errors
        _print("─────────────────────")
        if errors == 0:
            _print("Comparison successful: saved file is compatible with the reference model")
            _print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
            status = "success"
        else:
            _print(
                f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not compatible "
                "with the reference model"
            )
            status = "error"
        return {"status": status, "error_count": errors, "match_count": matches}

    # ------------------------------------------------------------------ editing

    def _edit_object(
        self, edit_fn: Callable, source_name: str, target_name: Optional[str] = None
    ) -> None:
        if target_name is not None and "/" in target_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{target_name}'"
            )
        if "/" in source_name:
            elements = source_name.split("/")
            weights_dict = self.weights_dict
            for element in elements[:-1]:
                if element not in weights_dict:
                    raise ValueError(f"Path '{source_name}' not found in model.")
                weights_dict = weights_dict[element]
            if elements[-1] not in weights_dict:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit_fn(weights_dict, elements[-1], target_name)
            return
        occurrences = _count_occurrences(self.weights_dict, source_name)
        if occurrences > 1:
            raise ValueError(
                f"Name '{source_name}' occurs more than once in the model; try passing a "
                "complete path"
            )
        if occurrences == 0:
            raise ValueError(
                f"Source name '{source_name}' does not appear in the model. Use "
                "`editor.weights_summary()` to list all objects."
            )

        def edit(d: dict) -> None:
            for key in d:
                if isinstance(d[key], dict):
                    edit(d[key])
            if source_name in d:
                edit_fn(d, source_name, target_name)

        edit(self.weights_dict)

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (``"dense_2"`` or the path ``"layers/dense_2"``) to ``new_name``."""

        def rename(weights_dict: dict, source: str, target: Optional[str]) -> None:
            weights_dict[target] = weights_dict.pop(source)

        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name: str) -> None:
        """Removes an object (a name or a path) and all its weights."""

        def delete(weights_dict: dict, source: str, target: Optional[str]) -> None:
            weights_dict.pop(source)

        self._edit_object(delete, object_name)

    def add_object(self, object_path: str, weights: dict) -> None:
        """Adds an object at ``object_path`` whose parent must exist; ``weights`` maps weight
        names (``"0"``, ``"1"``...) to arrays."""
        _check_weights(weights)
        if "/" not in object_path:
            self.weights_dict[object_path] = weights
            return
        elements = object_path.split("/")
        parent = "/".join(elements[:-1])
        weights_dict = self.weights_dict
        for element in elements[:-1]:
            if element not in weights_dict:
                raise ValueError(f"Path '{parent}' not found in model.")
            weights_dict = weights_dict[element]
        weights_dict[elements[-1]] = weights

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes the weight ``weight_name`` (e.g. ``"0"``) from an object."""

        def delete(weights_dict: dict, source: str, target: Optional[str]) -> None:
            if weight_name not in weights_dict[source]:
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. Weights found: "
                    f"{list(weights_dict[source].keys())}"
                )
            weights_dict[source].pop(weight_name)

        self._edit_object(delete, object_name)

    def add_weights(self, object_name: str, weights: dict) -> None:
        """Adds weights (a dict of weight names to arrays) to an existing object."""
        _check_weights(weights)

        def add(weights_dict: dict, source: str, target: Optional[str]) -> None:
            weights_dict[source].update(weights)

        self._edit_object(add, object_name)

    # ------------------------------------------------------------------ writing

    def save(self, filepath: Any) -> None:
        """Writes the edited weights to a ``.weights.h5`` file (Keras 3's layout: each object's
        weights in a ``vars`` group under its path)."""
        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        with h5py.File(filepath, "w") as f:
            _save(self.weights_dict, f, "")

    def resave_weights(self, filepath: Any) -> None:
        self.save(filepath)


def _print(text: str) -> None:
    print(text)


def _check_weights(weights: Any) -> None:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually '0', "
            f"'1', etc.) and values are NumPy arrays. Received: type(weights)={type(weights)}"
        )


def _safe_zip_read(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _ZIP_BOMB_FLOOR and info.file_size > _ZIP_MAX_EXPANSION * info.compress_size:
        raise ValueError(
            f"Not allowed: ZIP member '{name}' declares {_readable_size(info.file_size)} but "
            f"only {_readable_size(info.compress_size)} are stored on disk; refusing to load a "
            "potential decompression bomb."
        )
    return archive.read(name)


def _readable_size(size: float) -> str:
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


# ---------------------------------------------------------------------- reading


def _extract(group: Any, metadata: dict, inner_path: str) -> tuple[dict, dict]:
    """``(weights tree, {"/path": attributes})`` of an h5 group, with Keras' safety checks."""
    attributes = dict(group.attrs.items())
    if attributes:
        metadata[inner_path] = attributes
    result: dict = collections.OrderedDict()
    for key in group.keys():
        path = f"{inner_path}/{key}"
        link = group.get(key, default=None, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise ValueError(f"Not allowed: H5 file with {link.__name__}")
        value = group[key]
        if isinstance(value, h5py.Group):
            if len(value) == 0:
                continue
            if "vars" in value.keys():
                value = value["vars"]
                if len(value) == 0:
                    continue  # also drops whatever else the object holds (``cell``, ``layers``)
            result[key], metadata = _extract(value, metadata, path)
            continue
        if not isinstance(value, h5py.Dataset):
            continue
        result[key] = _read_dataset(value, path)
    return result, metadata


def _read_dataset(dataset: Any, path: str) -> np.ndarray:
    if dataset.external:
        raise ValueError(f"Not allowed: H5 file Dataset with external links: {dataset.external}")
    if dataset.is_virtual:
        raise ValueError(f"Not allowed: H5 file with virtual Dataset at {path}")
    shape = dataset.shape
    if any(dim < 0 for dim in shape):
        raise ValueError(
            "Malformed HDF5 dataset shape encountered in .keras file; negative dimension "
            "detected."
        )
    if len(shape) > 64:
        raise ValueError(
            "Malformed HDF5 dataset shape encountered in .keras file; tensor rank exceeds "
            "safety limit."
        )
    size = math.prod(shape) * dataset.dtype.itemsize
    if size > _MAX_DATASET_BYTES:
        raise ValueError(
            f"HDF5 dataset too large to load safely ({size} bytes; limit is "
            f"{_MAX_DATASET_BYTES})."
        )
    return dataset[()]


# ---------------------------------------------------------------------- comparing


def weight_spec(model: Any) -> dict:
    """The tree of ``model``'s weight shapes as Keras 3 would save them: the objects' paths from
    ``keras3_weights`` (Keras' attribute walk) and the built optimizer's, each object's variables
    keyed ``"0"``, ``"1"``... in Keras' (string-sorted) key order, objects without weights left
    out."""
    from kerasish.saving import compile_state, keras3_weights

    entries = []
    for path, _, variables, owner in keras3_weights._walk(model, "", set()):
        if hasattr(owner, "save_own_variables"):
            store: dict = {}
            owner.save_own_variables(store)
        else:
            store = {str(i): v for i, v in enumerate(variables)}
        entries.append((path, store))
    optimizer = compile_state.optimizer_state(model)
    if optimizer is not None:  # a built optimizer is one of the model's attributes in Keras
        entries.append(("optimizer", {str(i): v for i, v in enumerate(optimizer[1])}))
    spec: dict = {}
    for path, store in entries:
        if not store:
            continue
        target = spec
        for part in path.split("/") if path else []:
            target = target.setdefault(part, {})
        for key in sorted(store):
            value = store[key]
            target[key] = _Spec(value.shape if hasattr(value, "shape") else np.shape(value))
    return spec


class _Spec:
    """A weight's shape (Keras' reference tree holds shape-only ``KerasTensor``s)."""

    def __init__(self, shape: tuple) -> None:
        self.shape = tuple(shape)


def _compare(
    target: dict,
    reference: dict,
    inner_path: str,
    target_name: str,
    ref_name: str,
    error_count: int,
    match_count: int,
    checked_paths: set,
) -> tuple[int, int]:
    # As in Keras, a sub-tree's counts start from the caller's and are then added to them.
    base = inner_path
    for key, ref_val in reference.items():
        inner_path = f"{base}/{key}"
        if inner_path in checked_paths:
            continue
        if key not in target:
            error_count += 1
            checked_paths.add(inner_path)
            if isinstance(ref_val, dict):
                _print(f"...Object {inner_path} present in {ref_name}, missing from {target_name}")
                _print(
                    f"    In {ref_name}, {inner_path} contains the following keys: "
                    f"{list(ref_val.keys())}"
                )
            else:
                _print(f"...Weight {inner_path} present in {ref_name}, missing from {target_name}")
        elif isinstance(ref_val, dict):
            sub_errors, sub_matches = _compare(
                target[key], ref_val, inner_path, target_name, ref_name,
                error_count, match_count, checked_paths,
            )
            error_count += sub_errors
            match_count += sub_matches
        elif tuple(target[key].shape) != tuple(ref_val.shape):
            error_count += 1
            checked_paths.add(inner_path)
            _print(
                f"...Weight shape mismatch for {inner_path}\n"
                f"    In {ref_name}: shape={tuple(ref_val.shape)}\n"
                f"    In {target_name}: shape={tuple(target[key].shape)}"
            )
        else:
            match_count += 1
    return error_count, match_count


def _count_occurrences(d: dict, name: str, count: int = 0) -> int:
    # Keras' count, which also adds the running count to each sub-tree's.
    for key in d:
        if isinstance(d[key], dict):
            count += _count_occurrences(d[key], name, count)
    if name in d:
        count += 1
    return count


# ---------------------------------------------------------------------- writing


def _save(weights_dict: dict, f: Any, inner_path: str) -> None:
    values = {}
    for name, value in weights_dict.items():
        if isinstance(value, dict):
            if value:
                _save(value, f, os.path.join(inner_path, name))
        else:
            values[name] = value
    if values:
        group = f.require_group(f"{inner_path}/vars" if inner_path else "vars")
        for name, value in values.items():
            group[name] = _to_numpy(value)


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "numpy"):
        value = value.detach().cpu() if hasattr(value, "detach") else value
        return np.asarray(value.numpy())
    return np.asarray(value)
