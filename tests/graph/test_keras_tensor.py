import numpy as np
import pytest

import kerasish as keras
from kerasish.graph import KerasTensor, is_keras_tensor


def test_input_tensor_spec_and_history():
    x = keras.Input(shape=(3, 4), name="pixels", dtype="float64")
    assert is_keras_tensor(x)
    assert x.shape == (None, 3, 4)
    assert x.dtype == "float64"
    assert x.name == "pixels"
    layer, node_index, tensor_index = x._keras_history
    assert isinstance(layer, keras.InputLayer)
    assert (node_index, tensor_index) == (0, 0)


def test_batch_size_and_batch_shape():
    assert keras.Input(shape=(2,), batch_size=8).shape == (8, 2)
    assert keras.Input(batch_shape=(4, None, 3)).shape == (4, None, 3)
    assert keras.Input(batch_input_shape=(4, 3)).shape == (4, 3)


def test_symbolic_tensor_has_no_data():
    x = keras.Input(shape=(3,))
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)
    with pytest.raises(TypeError, match="truth value"):
        bool(x)


def test_repr_names_producer():
    y = keras.layers.Dense(2, name="head")(keras.Input(shape=(3,)))
    assert "head" in repr(y)
    assert isinstance(y, KerasTensor)
    assert y.shape == (None, 2)
