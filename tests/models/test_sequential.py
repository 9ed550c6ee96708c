import json

import numpy as np
import pytest
import torch

import kerasish as keras

L = keras.layers


def test_list_constructor_and_input_shape_forms():
    for first in (
        L.Dense(32, input_shape=(784,)),
        L.Dense(32, input_dim=784),
        L.Dense(32, batch_input_shape=(None, 784)),
    ):
        model = keras.Sequential([first, L.Activation("relu"), L.Dense(10)])
        assert model.input_shape == (None, 784)
        assert model.output_shape == (None, 10)
        assert len(model.layers) == 3
        keras.backend.clear_session()


def test_batch_size_argument():
    model = keras.Sequential([L.Dense(2, input_shape=(6, 8), batch_size=32)])
    assert model.input_shape == (32, 6, 8)
    assert model.output_shape == (32, 6, 2)


def test_seed_003_sequential_equals_functional():
    inp = keras.Input(shape=(10,))
    functional = keras.Model(inp, L.Dense(10)(L.Dense(10)(inp)))
    sequential = keras.Sequential()
    sequential.add(L.Dense(10, input_dim=10))
    sequential.add(L.Dense(10))
    assert len(functional.layers) == 3 and isinstance(functional.layers[0], keras.InputLayer)
    assert len(sequential.layers) == 2
    assert not any(isinstance(layer, keras.InputLayer) for layer in sequential.layers)
    assert functional.count_params() == sequential.count_params() == 220
    sequential.set_weights(functional.get_weights())
    x = np.random.rand(4, 10).astype("float32")
    np.testing.assert_allclose(sequential.predict(x, verbose=0), functional.predict(x, verbose=0))


def test_input_tensor_or_input_layer_first():
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2)])
    assert model.input_shape == (None, 3) and len(model.layers) == 1
    model = keras.Sequential([keras.InputLayer(input_shape=(3,)), L.Dense(2)])
    assert model.output_shape == (None, 2)


def test_deferred_build_on_first_data():
    model = keras.Sequential([L.Dense(4), L.Dense(1)])
    assert not model.built and model.inputs == []
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    out = model.predict(np.zeros((5, 7)), verbose=0)
    assert out.shape == (5, 1)
    assert model.built and model.input_shape == (None, 7)
    assert model.layers[0].kernel.shape == (7, 4)


def test_deferred_build_by_eager_call_and_build():
    model = keras.Sequential([L.Dense(3)])
    assert model(torch.zeros(2, 5)).shape == (2, 3)
    other = keras.Sequential([L.Dense(3)])
    other.build((None, 4))
    assert other.count_params() == 15


def test_pop_and_add():
    model = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2)])
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4)
    model.add(L.Dense(6))
    assert model.output_shape == (None, 6)
    assert len(model.layers[0]._inbound_nodes) == 1
    with pytest.raises(TypeError, match="no layers"):
        keras.Sequential().pop()


def test_add_rejects_non_layers_and_duplicates():
    model = keras.Sequential()
    with pytest.raises(TypeError, match="instance of class Layer"):
        model.add("dense")
    model.add(L.Dense(2, name="a", input_shape=(2,)))
    with pytest.raises(ValueError, match="unique names"):
        model.add(L.Dense(2, name="a"))


def test_seed_004_config_round_trip():
    model = keras.Sequential()
    model.add(L.Dense(32, input_shape=(8,)))
    model.add(L.Dense(64, activation="relu"))
    model.add(L.Dense(8))
    config = json.loads(json.dumps(model.get_config()))
    assert config["layers"][0]["class_name"] == "InputLayer"
    clone = keras.Sequential.from_config(config)
    assert [layer.get_config() for layer in clone.layers] == [
        layer.get_config() for layer in model.layers
    ]
    assert clone.count_params() == 2920
    assert [layer.count_params() for layer in clone.layers] == [288, 2112, 520]
    clone.set_weights(model.get_weights())
    x = np.random.rand(3, 8)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_220_list_config():
    model = keras.Sequential.from_config(
        [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [None, 3], "name": "d"}}]
    )
    assert model.output_shape == (None, 2)


def test_sequential_as_layer_of_functional():
    inner = keras.Sequential([L.Dense(3, input_shape=(4,))])
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, L.Dense(1)(inner(inp)))
    assert model.count_params() == 15 + 4
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 1)
