"""Building a kerasish model from a Keras file or config, and writing one back.

Which files carry an architecture: a ``.keras`` zip and a full-model HDF5 (``model_config``
attribute). Weights-only files (Keras 2 ``.h5`` weights, Keras 3 ``.weights.h5``) need a
``--config``: a JSON document (``to_json()`` output or a ``.keras`` ``config.json``) or another
full-model file.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any, Optional

import h5py

from kerasish.converter.errors import ConversionError


def _check_exists(path: str) -> None:
    if not os.path.exists(path):
        raise ConversionError(f"No file found at '{path}'.")


def has_architecture(path: str) -> bool:
    """Whether ``path`` is a Keras file that describes a model, not only its weights."""
    _check_exists(path)
    if zipfile.is_zipfile(path):
        return True
    if not h5py.is_hdf5(path):
        raise ConversionError(
            f"'{path}' is neither a `.keras` zip nor an HDF5 file; it may be truncated or corrupt."
        )
    with h5py.File(path, "r") as f:
        return "model_config" in f.attrs


def _built(action: str, path: str, build: Any) -> Any:
    """Run ``build`` and turn deserialization failures (unknown layer types, bad configs)
    into one error naming the file."""
    try:
        return build()
    except ConversionError:
        raise
    except (ValueError, TypeError, KeyError, OSError) as err:
        raise ConversionError(f"Could not {action} '{path}': {err}") from err


def model_from_config_file(path: str, custom_objects: Optional[dict] = None) -> Any:
    """A model with fresh weights, built from the architecture in ``path``."""
    from kerasish.saving import saving_api
    from kerasish.saving.json_yaml import model_from_document

    path = os.fspath(path)
    _check_exists(path)
    if zipfile.is_zipfile(path) or h5py.is_hdf5(path):
        if not has_architecture(path):
            raise ConversionError(
                f"'{path}' holds weights only; a --config needs a model architecture (a JSON "
                "config, a full-model `.h5` or a `.keras` file)."
            )
        return _built("build a model from", path,
                      lambda: saving_api.load_model(path, custom_objects, compile=False))

    def build() -> Any:
        with open(path) as f:
            document = json.load(f)
        if isinstance(document, dict):
            document.pop("compile_config", None)
        return model_from_document(document, custom_objects)

    return _built("build a model from the config", path, build)


def load_keras(
    path: str, config: Optional[str] = None, custom_objects: Optional[dict] = None
) -> Any:
    """The model in Keras file ``path`` with its weights; ``config`` gives the architecture
    (required when ``path`` holds weights only)."""
    from kerasish.saving import saving_api

    path = os.fspath(path)
    if config is None:
        if not has_architecture(path):
            raise ConversionError(
                f"'{path}' holds weights only (no model config); pass --config with the model's "
                "JSON config, full-model `.h5` or `.keras` file."
            )
        return _built("load the Keras model", path,
                      lambda: saving_api.load_model(path, custom_objects, compile=False))
    model = model_from_config_file(config, custom_objects)
    _check_exists(path)
    _built("load the weights in", path, lambda: model.load_weights(path))
    return model


def save_keras(model: Any, path: str) -> None:
    """``.weights.h5`` → weights only (Keras 3 layout); ``.h5``/``.hdf5``/``.keras`` → full model."""
    name = os.fspath(path).lower()
    if name.endswith(".weights.h5"):
        model.save_weights(path)
    elif name.endswith((".h5", ".hdf5", ".keras")):
        model.save(path)
    else:
        raise ConversionError(
            f"Cannot tell which Keras format to write from the name '{path}': use `.h5` (Keras 2 "
            "HDF5 model), `.keras` (Keras 3 zip) or `.weights.h5` (Keras 3 weights)."
        )


def reload_keras(path: str, config: Optional[str]) -> Any:
    """What a user would get back from ``path``: the full model, or ``config`` plus weights."""
    if os.fspath(path).lower().endswith(".weights.h5"):
        return load_keras(path, config)
    return load_keras(path)
