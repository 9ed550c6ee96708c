"""The config keys every kernel-and-bias layer (Dense, Conv, ConvTranspose) shares.

They are written identically by each of those layers in Keras, so one function writes them here.
"""

from __future__ import annotations

from typing import Any

from kerasish import activations, constraints, initializers, regularizers


def kernel_bias_config(layer: Any) -> dict:
    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
        "kernel_constraint": constraints.serialize(layer.kernel_constraint),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }
