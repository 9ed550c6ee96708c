"""The config keys every kernel-and-bias layer (Dense, Conv, ConvTranspose, DepthwiseConv) shares.

They are written identically by each of those layers in Keras, so one function writes them here.
Depthwise convolutions name their kernel's arguments ``depthwise_*`` where the others say
``kernel_*``; the keys are otherwise the same, in the same order.
"""

from __future__ import annotations

from typing import Any

from kerasish import activations, constraints, initializers, regularizers


def kernel_bias_config(layer: Any, kernel: str = "kernel") -> dict:
    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        f"{kernel}_initializer": initializers.serialize(getattr(layer, f"{kernel}_initializer")),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        f"{kernel}_regularizer": regularizers.serialize(getattr(layer, f"{kernel}_regularizer")),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
        f"{kernel}_constraint": constraints.serialize(getattr(layer, f"{kernel}_constraint")),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }
