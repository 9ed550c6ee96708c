"""Theano-era convolution kernels: Keras 2's ``keras.utils.conv_utils.convert_kernel`` and
``keras.utils.layer_utils.convert_all_kernels_in_model``.

Theano convolves (it flips the kernel's spatial axes); TensorFlow and torch correlate. A kernel
trained under Theano therefore computes the same thing here once its spatial axes are
reversed. Keras 2 does this by itself when loading a file whose weights say
``backend="theano"``; Keras 1 files never said which backend wrote them, so for a Keras 1
Theano model the user converts after loading, as Keras 2.2.5 documented.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Keras 2.2.5's list: the layers a Theano kernel could reach (separable convolutions were
# TensorFlow-only).
_CONV_CLASSES = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose")


def convert_kernel(kernel: Any) -> np.ndarray:
    """A 3D-5D Keras-layout kernel with its spatial axes (all but the last two) reversed.

    Its own inverse: converts Theano kernels to TensorFlow/torch ones and back.
    """
    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError("Invalid kernel shape:", kernel.shape)
    spatial = (slice(None, None, -1),) * (kernel.ndim - 2)
    return np.copy(kernel[spatial + (slice(None), slice(None))])


def convert_all_kernels_in_model(model: Any) -> None:
    """Flip the kernels of ``model.layers``' Conv1D/2D/3D and Conv2DTranspose layers in place.

    Only the model's own layers, as in Keras 2 (layers of nested models are left alone).
    """
    for layer in model.layers:
        if type(layer).__name__ not in _CONV_CLASSES:
            continue
        for variable in layer.weights:
            if variable.name == "kernel":
                variable.assign(convert_kernel(variable.numpy()))
                break
