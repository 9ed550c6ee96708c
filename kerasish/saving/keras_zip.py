"""Keras 3's ``.keras`` zip (``metadata.json``, ``config.json``, ``model.weights.h5``, layers'
``assets/``) and its ``.weights.h5`` weights files.

``config.json`` is written in Keras 3's schema (``keras3_config``), weights in Keras 3's
object-attribute layout (``keras3_weights``), so Keras 3 opens what kerasish writes. tf.keras
2.13+ writes the same zip with tf.keras-schema configs (and ``keras_version`` 2.x in
``metadata.json``); Keras 3 cannot read those, kerasish does.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from typing import Any, Optional

import h5py
import numpy as np

from kerasish.saving import atomic, compile_state, keras2_compat, keras3_assets, keras3_weights
from kerasish.saving.serialization import SafeModeScope

_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"


def _metadata() -> str:
    return json.dumps(
        {
            "keras_version": keras2_compat.KERAS3_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )


def model_config_json(model: Any) -> str:
    from kerasish.saving import keras3_config

    config = keras3_config.serialize_layer(model)
    compile_config = compile_state.keras3_compile_config(model)
    if compile_config is not None:
        config["compile_config"] = compile_config
    return json.dumps(config)


def _weights_bytes(model: Any, include_optimizer: bool) -> bytes:
    buffer = io.BytesIO()
    optimizer = compile_state.optimizer_state(model) if include_optimizer else None
    if optimizer is not None:
        # Keras 3's optimizer counters are int32 variables; kerasish counts in int64.
        name, values = optimizer
        optimizer = name, [v.astype(np.int32) if v.dtype == np.int64 else v for v in values]
    with h5py.File(buffer, "w") as f:
        keras3_weights.save_weights(model, f, optimizer)
    return buffer.getvalue()


# ------------------------------------------------------------------ models


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
    config_json = model_config_json(model)
    weights = _weights_bytes(model, include_optimizer)

    def write(target: Any) -> None:
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr(_METADATA, _metadata())
            archive.writestr(_CONFIG, config_json)
            archive.writestr(_WEIGHTS, weights)
            keras3_assets.write_assets(model, archive)

    if isinstance(filepath, io.IOBase):
        write(filepath)
        return
    filepath = os.fspath(filepath)
    if not atomic.may_write(filepath, overwrite):
        return
    with atomic.atomic_path(filepath) as temporary:
        write(temporary)


def _open_zip(filepath: Any) -> zipfile.ZipFile:
    if not isinstance(filepath, io.IOBase) and not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    try:
        return zipfile.ZipFile(filepath, "r")
    except zipfile.BadZipFile as err:
        raise ValueError(
            f"Could not read '{filepath}' as a .keras file (a zip archive): {err}. The file may "
            "be truncated or corrupt."
        ) from err


def _read_member(archive: zipfile.ZipFile, name: str, filepath: Any) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise ValueError(f"'{filepath}' is not a complete .keras file: it has no '{name}'.") from None
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(f"Could not read '{name}' from '{filepath}': {err}. The file may be truncated or corrupt.") from err


def load_model(
    filepath: Any,
    custom_objects: Optional[dict] = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    from kerasish.saving.model_config import deserialize_layer

    with _open_zip(filepath) as archive:
        config = json.loads(_read_member(archive, _CONFIG, filepath))
        keras_version = None
        if _METADATA in archive.namelist():
            keras_version = json.loads(archive.read(_METADATA)).get("keras_version")
        config = keras2_compat.read_config(config, keras_version)
        compile_config = config.pop("compile_config", None)
        with SafeModeScope(safe_mode):
            model = deserialize_layer(config, custom_objects)
        weights = _read_member(archive, _WEIGHTS, filepath)
        assets = keras3_assets.read_assets(archive)
    with _open_h5(weights, filepath) as f:
        keras3_weights.load_weights(model, f)
        keras3_assets.load_assets(model, assets)
        if compile and compile_config:
            compile_state.compile_from_config(model, compile_config, custom_objects)
            values = keras3_weights.read_optimizer_vars(f)
            if values:
                compile_state.restore_optimizer_state(model, values, str(filepath))
    return model


def _open_h5(data: bytes, filepath: Any) -> h5py.File:
    try:
        return h5py.File(io.BytesIO(data), "r")
    except OSError as err:
        raise ValueError(f"Could not read the weights in '{filepath}': {err}. The file may be truncated or corrupt.") from err


# ------------------------------------------------------------------ weights


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    filepath = os.fspath(filepath)
    if not atomic.may_write(filepath, overwrite):
        return
    with atomic.atomic_path(filepath) as temporary:
        with h5py.File(temporary, "w") as f:
            keras3_weights.save_weights(model, f)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Weights from a ``.weights.h5`` file, or the weights inside a ``.keras`` zip."""
    filepath = os.fspath(filepath)
    if zipfile.is_zipfile(filepath):
        with _open_zip(filepath) as archive:
            data = _read_member(archive, _WEIGHTS, filepath)
        with _open_h5(data, filepath) as f:
            keras3_weights.load_weights(model, f, skip_mismatch)
        return
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    try:
        f = h5py.File(filepath, "r")
    except OSError as err:
        raise ValueError(f"Could not read '{filepath}' as an HDF5 file: {err}. The file may be truncated or corrupt.") from err
    with f:
        keras3_weights.load_weights(model, f, skip_mismatch)
