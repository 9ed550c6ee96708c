"""``keras.engine.base_layer``."""

from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec

__all__ = ["InputSpec", "Layer"]
