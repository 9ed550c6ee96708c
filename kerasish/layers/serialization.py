"""``keras.layers.serialize`` / ``deserialize``: one layer (or model) to and from a dict.

``serialize`` writes Keras 3's dict (``module``, ``class_name``, ``config``,
``registered_name``), which Keras 3 reads back; ``deserialize`` reads that and the tf.keras /
Keras 2 ``{"class_name", "config"}`` dicts, as Keras 3 does.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish.saving.model_config import deserialize_layer
from kerasish.saving.serialization import serialize_keras_object


def serialize(layer: Any) -> dict:
    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: Optional[dict] = None) -> Any:
    return deserialize_layer(config, custom_objects=custom_objects)
