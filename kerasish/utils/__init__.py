"""``keras.utils``: data helpers, dataset builders, image I/O, and the serialization helpers
Keras re-exports here.

``kerasish.utils.tree`` is imported by the layer base class while kerasish is still loading, so
the public names below are resolved on first use rather than imported here.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "to_categorical": "kerasish.utils.numerical",
    "normalize": "kerasish.utils.numerical",
    "pad_sequences": "kerasish.utils.sequence_utils",
    "get_file": "kerasish.utils.file_utils",
    "PyDataset": "kerasish.utils.py_dataset",
    "Sequence": "kerasish.utils.py_dataset",
    "load_img": "kerasish.utils.image_utils",
    "img_to_array": "kerasish.utils.image_utils",
    "array_to_img": "kerasish.utils.image_utils",
    "save_img": "kerasish.utils.image_utils",
    "image_dataset_from_directory": "kerasish.utils.image_dataset",
    "timeseries_dataset_from_array": "kerasish.utils.timeseries_dataset",
    "text_dataset_from_directory": "kerasish.utils.text_dataset",
    "audio_dataset_from_directory": "kerasish.utils.audio_dataset",
    "set_random_seed": "kerasish.utils.random_seed",
    "pack_x_y_sample_weight": "kerasish.utils.xy_packing",
    "unpack_x_y_sample_weight": "kerasish.utils.xy_packing",
    "clear_session": "kerasish.backend",
    "standardize_dtype": "kerasish.backend",
    "Progbar": "kerasish.training.progbar",
    "plot_model": "kerasish.utils.generic_utils",
    "model_to_dot": "kerasish.utils.generic_utils",
    "CustomObjectScope": "kerasish.saving.registry",
    "custom_object_scope": "kerasish.saving.registry",
    "get_custom_objects": "kerasish.saving.registry",
    "get_registered_name": "kerasish.saving.registry",
    "get_registered_object": "kerasish.saving.registry",
    "register_keras_serializable": "kerasish.saving.registry",
    "serialize_keras_object": "kerasish.saving.serialization",
    "deserialize_keras_object": "kerasish.saving.serialization",
    "convert_all_kernels_in_model": "kerasish.utils.conv_utils",
    "Config": "kerasish.utils.config",
    "get_source_inputs": "kerasish.utils.layer_utils",
    "is_keras_tensor": "kerasish.graph.keras_tensor",
    "split_dataset": "kerasish.utils.dataset_split",
    "enable_interactive_logging": "kerasish.utils.io_utils",
    "disable_interactive_logging": "kerasish.utils.io_utils",
    "is_interactive_logging_enabled": "kerasish.utils.io_utils",
}

__all__ = sorted(_PUBLIC)


# Keras 2 module paths, importable and reachable as attributes (``keras.utils.np_utils``).
_SUBMODULES = {"np_utils", "generic_utils", "data_utils", "vis_utils", "conv_utils"}
_SUBMODULES.add("bounding_boxes")  # Keras 3's box utilities, a package here too


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"kerasish.utils.{name}")
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kerasish.utils' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list:
    return sorted(set(globals()) | set(_PUBLIC))
