"""``save_model``/``load_model``/``save_weights``/``load_weights``: pick the format, then delegate.

Saving goes by ``save_format`` or the file name (``.keras`` zip, ``.h5``/``.hdf5`` legacy HDF5,
``.weights.h5`` Keras 3 weights), as Keras does. Loading looks at the file's content instead of
its name, so a Keras 2 ``.h5`` renamed ``.keras`` (or the reverse) still opens.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any, Optional

import h5py

from kerasish.saving import keras_zip, legacy_h5


def _is_h5_object(filepath: Any) -> bool:
    return isinstance(filepath, (h5py.File, h5py.Group))


def _format_for_save(filepath: Any, save_format: Optional[str]) -> str:
    if save_format is not None:
        save_format = str(save_format).lower()
        if save_format in {"h5", "hdf5"}:
            return "h5"
        if save_format == "keras":
            return "keras"
        if save_format in {"tf", "tensorflow", "savedmodel"}:
            raise NotImplementedError(
                "The TensorFlow SavedModel format (save_format='tf') is not supported by "
                "kerasish; save as `.keras` or `.h5`."
            )
        raise ValueError(f"Unknown `save_format`: {save_format!r}. Use 'keras' or 'h5'.")
    if _is_h5_object(filepath):
        return "h5"
    if isinstance(filepath, io.IOBase):
        return "keras"
    name = str(filepath).lower()
    if name.endswith(".keras"):
        return "keras"
    if legacy_h5.is_h5_target(name):
        return "h5"
    raise ValueError(
        "Invalid filepath extension for saving. Please add either a `.keras` extension for the "
        "native Keras format (recommended) or a `.h5` extension. Received: "
        f"filepath={filepath}."
    )


def save_model(
    model: Any,
    filepath: Any,
    overwrite: bool = True,
    save_format: Optional[str] = None,
    include_optimizer: bool = True,
    **kwargs: Any,
) -> None:
    kwargs.pop("zipped", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {sorted(kwargs)}")
    if _format_for_save(filepath, save_format) == "h5":
        legacy_h5.save_model(model, filepath, overwrite, include_optimizer)
    else:
        keras_zip.save_model(model, filepath, overwrite, include_optimizer)


def load_model(
    filepath: Any,
    custom_objects: Optional[dict] = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    if _is_h5_object(filepath):
        return legacy_h5.load_model(filepath, custom_objects, compile, safe_mode)
    if isinstance(filepath, io.IOBase):
        return keras_zip.load_model(filepath, custom_objects, compile, safe_mode)
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise ValueError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file."
        )
    if os.path.isdir(filepath):
        raise NotImplementedError(
            f"'{filepath}' is a directory (a TensorFlow SavedModel); loading SavedModels is not "
            "supported by kerasish. Save the model as `.keras` or `.h5` with Keras first."
        )
    if zipfile.is_zipfile(filepath):
        return keras_zip.load_model(filepath, custom_objects, compile, safe_mode)
    if h5py.is_hdf5(filepath):
        return legacy_h5.load_model(filepath, custom_objects, compile, safe_mode)
    raise ValueError(
        f"'{filepath}' is neither a `.keras` zip file nor an HDF5 file; it may be truncated or "
        "corrupt."
    )


def _check_built(model: Any, action: str) -> None:
    if not model.built:
        raise ValueError(
            f"You are {action} a model that has not yet been built. Try building the model "
            "first by calling it on some data or by using `build()`."
        )


def save_weights(model: Any, filepath: Any, overwrite: bool = True, save_format: Optional[str] = None) -> None:
    _check_built(model, "saving the weights of")
    name = "" if _is_h5_object(filepath) else str(filepath).lower()
    if save_format in {"tf", "tensorflow"}:
        raise NotImplementedError(
            "TensorFlow checkpoints (save_format='tf') are not supported by kerasish; save "
            "weights as `.weights.h5` or `.h5`."
        )
    if name.endswith(".weights.h5") and save_format is None:
        keras_zip.save_weights(model, filepath, overwrite)
    elif _is_h5_object(filepath) or save_format in {"h5", "hdf5"} or legacy_h5.is_h5_target(name):
        legacy_h5.save_weights(model, filepath, overwrite)
    else:
        raise ValueError(
            "The filename must end in `.weights.h5` (Keras 3 layout) or `.h5`/`.hdf5` (Keras 2 "
            f"layout). Received: filepath={filepath}"
        )


def load_weights(
    model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False, reshape: bool = False
) -> None:
    _check_built(model, "loading weights into")
    if _is_h5_object(filepath):
        legacy_h5.load_weights(model, filepath, by_name, skip_mismatch, reshape)
        return
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    if zipfile.is_zipfile(filepath) or not _is_legacy_layout(filepath):
        if by_name:
            raise ValueError(
                "Loading weights by name (`by_name=True`) is only supported for Keras 2 `.h5` "
                f"weight files; '{filepath}' uses the Keras 3 layout, which is matched by "
                "model structure."
            )
        if reshape:
            raise ValueError(
                "`reshape=True` (Keras 2.2.5's reshaping of convolution kernels) applies to Keras "
                f"2 `.h5` weight files only; '{filepath}' uses the Keras 3 layout."
            )
        keras_zip.load_weights(model, filepath, skip_mismatch)
        return
    legacy_h5.load_weights(model, filepath, by_name, skip_mismatch, reshape)


def _is_legacy_layout(filepath: str) -> bool:
    if not h5py.is_hdf5(filepath):
        raise ValueError(
            f"'{filepath}' is neither an HDF5 weights file nor a `.keras` zip file; it may be "
            "truncated or corrupt."
        )
    with h5py.File(filepath, "r") as f:
        attrs = f.attrs
        return "layer_names" in attrs or "layer_names0" in attrs or "model_weights" in f
