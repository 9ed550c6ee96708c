"""Shared checks for the side-by-side tests: same weights in, same outputs out."""

from __future__ import annotations

import numpy as np


def copy_weights(keras_model, kerasish_model) -> None:
    """Give the kerasish model the Keras model's weights, through the Keras-layout API."""
    kerasish_model.set_weights(keras_model.get_weights())


def assert_same_outputs(keras_model, kerasish_model, inputs, atol: float = 1e-5) -> None:
    expected = keras_model.predict(inputs, verbose=0)
    received = kerasish_model.predict(inputs, verbose=0)
    if isinstance(expected, (list, tuple)):
        assert isinstance(received, (list, tuple)) and len(received) == len(expected)
        for e, r in zip(expected, received):
            np.testing.assert_allclose(r, e, atol=atol, rtol=0)
    else:
        np.testing.assert_allclose(received, expected, atol=atol, rtol=0)


def assert_same_structure(keras_model, kerasish_model) -> None:
    """Equal parameter counts and output shapes, layer by layer where both have the layer."""
    assert kerasish_model.count_params() == keras_model.count_params()
    assert _shapes(kerasish_model.output_shape) == _shapes(keras_model.output_shape)


def _shapes(shape):
    if shape and isinstance(shape[0], (tuple, list)):
        return [tuple(s) for s in shape]
    return tuple(shape)
