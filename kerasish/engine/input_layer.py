"""``keras.engine.input_layer``: where Keras 2 kept ``Input`` and ``InputLayer``."""

from kerasish.layers.input_layer import Input, InputLayer

__all__ = ["Input", "InputLayer"]
