import pytest

import kerasish as keras


def test_input_layer_config():
    x = keras.Input(shape=(2, 3), name="img")
    layer = x._keras_history.layer
    assert layer.get_config() == {
        "batch_input_shape": (None, 2, 3),
        "dtype": "float32",
        "sparse": False,
        "ragged": False,
        "name": "img",
    }
    clone = keras.InputLayer.from_config({"batch_shape": [None, 4], "name": "k3"})
    assert clone.batch_shape == (None, 4)


def test_input_requires_a_shape():
    with pytest.raises(ValueError, match="shape"):
        keras.Input()
    with pytest.raises(ValueError, match="not both"):
        keras.InputLayer(input_shape=(3,), batch_shape=(None, 3))


def test_engine_aliases():
    from kerasish.engine.input_layer import Input, InputLayer
    from kerasish.engine.training import Model

    assert Model is keras.models.Model
    assert InputLayer is keras.layers.InputLayer
    assert Input is keras.Input
