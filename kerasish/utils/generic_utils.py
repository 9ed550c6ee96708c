"""Keras 2's ``keras.utils.generic_utils`` module path, and the model-plotting entry points
that kerasish does not provide."""

from __future__ import annotations

from typing import Any

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


def plot_model(model: Any, *args: Any, **kwargs: Any) -> None:
    raise NotImplementedError(
        "keras.utils.plot_model is not supported by kerasish (it needs pydot and graphviz); "
        "use model.summary() or model.forward_source() instead."
    )


def model_to_dot(model: Any, *args: Any, **kwargs: Any) -> None:
    raise NotImplementedError(
        "keras.utils.model_to_dot is not supported by kerasish (it needs pydot and graphviz); "
        "use model.summary() or model.forward_source() instead."
    )
