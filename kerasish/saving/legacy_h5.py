"""Whole models in Keras 2's HDF5 format (``model.save("x.h5")``), and ``.h5`` weight files.

A model file's root holds attributes ``keras_version``, ``backend``, ``model_config`` (the
tf.keras-schema JSON) and, for a compiled model, ``training_config``; then ``model_weights``
(see ``legacy_h5_weights``) and ``optimizer_weights``. A weights file (``save_weights``) has the
layer groups at its root. Files from Keras 2.2.5 (bytes attributes), tf.keras 2.x and Keras 3's
legacy writer are all read; what kerasish writes reads in tf.keras and Keras 3.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import h5py

from kerasish.saving import (
    atomic,
    compile_state,
    json_yaml,
    keras2_compat,
    legacy_h5_weights,
)
from kerasish.saving.serialization import SafeModeScope

_H5_SUFFIXES = (".h5", ".hdf5", ".keras.h5")


def is_h5_target(filepath: Any) -> bool:
    if isinstance(filepath, (h5py.File, h5py.Group)):
        return True
    return str(filepath).lower().endswith(_H5_SUFFIXES)


def _open(filepath: Any, mode: str) -> tuple[Any, bool]:
    """``(group, opened_here)`` for a path or an open h5py File/Group."""
    if isinstance(filepath, (h5py.File, h5py.Group)):
        return filepath, False
    try:
        return h5py.File(filepath, mode), True
    except OSError as err:
        if mode == "r" and not os.path.exists(filepath):
            raise FileNotFoundError(f"No file or directory found at {filepath}") from err
        raise ValueError(
            f"Could not read '{filepath}' as an HDF5 file: {err}. The file may be truncated or corrupt."
        ) from err


def _write_file(filepath: Any, overwrite: bool, write: Any) -> None:
    if isinstance(filepath, (h5py.File, h5py.Group)):
        write(filepath)
        filepath.file.flush()
        return
    filepath = os.fspath(filepath)
    if not atomic.may_write(filepath, overwrite):
        return
    with atomic.atomic_path(filepath) as temporary:
        with h5py.File(temporary, "w") as f:
            write(f)


# ------------------------------------------------------------------ models


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
    document = json_yaml.model_document(model)  # validate the config before touching the file
    training_config = compile_state.training_config(model) if include_optimizer else None
    optimizer_state = compile_state.optimizer_state(model) if include_optimizer else None

    def write(f: Any) -> None:
        f.attrs["keras_version"] = document["keras_version"]
        f.attrs["backend"] = document["backend"]
        model_config = {"class_name": document["class_name"], "config": document["config"]}
        f.attrs["model_config"] = json_yaml.encode_json(model_config).encode("utf-8")
        if training_config is not None:
            f.attrs["training_config"] = json_yaml.encode_json(training_config).encode("utf-8")
        legacy_h5_weights.save_weights_to_group(f.create_group("model_weights"), model, document["keras_version"])
        if optimizer_state is not None:
            group = f.create_group("optimizer_weights")
            names = compile_state.optimizer_weight_names(model)
            legacy_h5_weights.save_attributes(group, "weight_names", [n.encode("utf-8") for n in names])
            for name, value in zip(names, optimizer_state[1]):
                dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
                dataset[()] = value

    _write_file(filepath, overwrite, write)


def load_model(
    filepath: Any,
    custom_objects: Optional[dict] = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    f, opened = _open(filepath, "r")
    try:
        model_config = f.attrs.get("model_config")
        if model_config is None:
            raise ValueError(f"No model config found in the file at {_name(filepath)}.")
        document = json_yaml.decode_json(model_config)
        keras_version = keras2_compat.version_of(f.attrs.get("keras_version"))
        if keras_version is None and "model_weights" in f:
            keras_version = legacy_h5_weights.keras_version_of(f["model_weights"])
        document = {**document, "keras_version": keras_version}
        with SafeModeScope(safe_mode):
            model = json_yaml.model_from_document(document, custom_objects)
        if "model_weights" not in f:
            raise ValueError(f"The file at {_name(filepath)} has a model config but no `model_weights` group.")
        legacy_h5_weights.load_weights_from_group(f["model_weights"], model)
        training_config = f.attrs.get("training_config")
        if compile and training_config is not None:
            config = json_yaml.decode_json(training_config)
            compile_state.compile_from_training_config(model, config, custom_objects)
            if "optimizer_weights" in f:
                group = f["optimizer_weights"]
                names = legacy_h5_weights.load_attributes(group, "weight_names")
                values = [group[name][()] for name in names]
                compile_state.restore_optimizer_state(model, values, _name(filepath))
        return model
    finally:
        if opened:
            f.close()


def _name(filepath: Any) -> str:
    if isinstance(filepath, (h5py.File, h5py.Group)):
        return f"{filepath.file.filename}:{filepath.name}"
    return str(filepath)


# ------------------------------------------------------------------ weights


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    def write(f: Any) -> None:
        legacy_h5_weights.save_weights_to_group(f, model, keras2_compat.KERAS2_VERSION)

    _write_file(filepath, overwrite, write)


def load_weights(
    model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False, reshape: bool = False
) -> None:
    f, opened = _open(filepath, "r")
    try:
        legacy_h5_weights.load_weights_from_group(
            f, model, by_name=by_name, skip_mismatch=skip_mismatch, reshape=reshape
        )
    finally:
        if opened:
            f.close()
