"""Keras 2's ``keras.utils.generic_utils`` module path (and the model-plotting entry points)."""

from __future__ import annotations

from kerasish.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kerasish.saving.serialization import deserialize_keras_object, serialize_keras_object
from kerasish.training.progbar import Progbar
from kerasish.utils.model_visualization import model_to_dot, plot_model

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "model_to_dot",
    "plot_model",
    "register_keras_serializable",
    "serialize_keras_object",
]

