"""keras.models.clone_model: new layers, fresh weights, same architecture."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish.models import clone_model


def _functional():
    inputs = keras.Input((4,), name="x")
    shared = keras.layers.Dense(4, name="shared")
    a = shared(inputs)
    b = shared(keras.layers.Dense(4, activation="relu", name="middle")(a))
    return keras.Model(inputs, [a, b], name="net")


def _same_predictions(original, clone, *inputs):
    clone.set_weights(original.get_weights())
    expected = original.predict(list(inputs) if len(inputs) > 1 else inputs[0], verbose=0)
    received = clone.predict(list(inputs) if len(inputs) > 1 else inputs[0], verbose=0)
    for e, r in zip(expected if isinstance(expected, list) else [expected], received if isinstance(received, list) else [received]):
        np.testing.assert_allclose(r, e, atol=1e-6)


def test_functional_clone_has_new_layers_fresh_weights_and_shared_layers_stay_shared(rng):
    model = _functional()
    clone = clone_model(model)
    assert type(clone) is type(model) and clone.name == "net"
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(c is not m for c, m in zip(clone.layers, model.layers))
    shared = clone.get_layer("shared")
    assert len(shared._inbound_nodes) == 2 and clone.count_params() == model.count_params()
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])  # fresh, not copied
    _same_predictions(model, clone, rng.random((3, 4), dtype=np.float32))


def test_sequential_clone_keeps_input_and_compile_state(rng):
    model = keras.Sequential([keras.Input((3,), name="inp"), keras.layers.Dense(2, name="d")], name="seq")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    clone = clone_model(model)
    assert isinstance(clone, keras.Sequential) and clone.name == "seq"
    assert clone.inputs[0].shape == (None, 3) and clone._input_layer.name == "inp"
    assert clone.layers[0] is not model.layers[0]
    assert clone.optimizer is not model.optimizer and type(clone.optimizer).__name__ == "Adam"
    clone.fit(rng.random((8, 3)), rng.random((8, 2)), verbose=0)
    unbuilt = clone_model(keras.Sequential([keras.layers.Dense(2)]))
    assert not unbuilt.built and len(unbuilt.layers) == 1


def test_sequential_input_tensors():
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    clone = clone_model(model, [keras.Input((3,))])  # tf.keras style: positional, a list of one
    assert clone.inputs[0].shape == (None, 3)
    with pytest.raises(ValueError, match="must contain a single tensor"):
        clone_model(model, input_tensors=[keras.Input((3,)), keras.Input((3,))])
    with pytest.raises(ValueError, match="must be a KerasTensor"):
        clone_model(model, input_tensors=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="`call_function` argument is not supported with Sequential"):
        clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))


def test_functional_input_tensors_and_multi_io(rng):
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    model = keras.Model([a, b], [keras.layers.Dense(1)(joined), keras.layers.Dense(2)(joined)])
    new_a, new_b = keras.Input((2,), name="new_a"), keras.Input((3,), name="new_b")
    clone = clone_model(model, input_tensors=[new_a, new_b])
    assert clone.inputs[0] is new_a and clone.inputs[1] is new_b
    _same_predictions(model, clone, rng.random((2, 2), dtype=np.float32), rng.random((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="same structure as model.input"):
        clone_model(model, input_tensors=[new_a])
    with pytest.raises(ValueError, match="must be KerasTensors"):
        clone_model(model, input_tensors=[new_a, np.zeros((1, 3))])


def test_intermediate_input_tensor_becomes_a_new_input():
    model = _functional()
    upstream = keras.layers.Dense(4)(keras.Input((7,)))
    clone = clone_model(model, input_tensors=upstream)
    assert clone.inputs[0] is not upstream and clone.inputs[0].shape == (None, 4)
    assert isinstance(clone.layers[0], keras.layers.InputLayer)


def test_clone_function_and_call_function():
    model = _functional()
    reused = clone_model(model, clone_function=lambda layer: layer)
    assert reused.get_layer("shared") is model.get_layer("shared")

    def wrap(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if layer.name == "middle":
            out = keras.layers.Dropout(0.5, name="added")(out)
        return out

    extended = clone_model(model, call_function=wrap)
    assert "added" in [layer.name for layer in extended.layers]

    def renamed(layer):
        config = layer.get_config()
        config["name"] = f"{config['name']}_copy"
        return type(layer).from_config(config)

    assert "shared_copy" in [layer.name for layer in clone_model(model, clone_function=renamed).layers]


def test_nested_models_plain_and_recursive(rng):
    inner = keras.Sequential([keras.layers.Dense(3, name="inner_dense")], name="inner")
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(2)(inner(inputs))
    model = keras.Model(inputs, outputs)
    seen = []

    def record(layer):
        seen.append(layer.name)
        return type(layer).from_config(layer.get_config())

    clone_model(model, clone_function=record)
    assert "inner" in seen and "inner_dense" not in seen
    seen.clear()
    recursive = clone_model(model, clone_function=record, recursive=True)
    assert "inner_dense" in seen and "inner" not in seen
    assert recursive.get_layer("inner") is not inner
    _same_predictions(model, recursive, rng.random((2, 3), dtype=np.float32))


def test_masks_follow_the_clone(rng):
    inputs = keras.Input((5,), dtype="int32")
    embedded = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    model = keras.Model(inputs, keras.layers.LSTM(3)(embedded))
    clone = clone_model(model)
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], "int32")
    _same_predictions(model, clone, x)


def test_subclassed_models_go_through_their_config():
    class Custom(keras.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = keras.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = Custom(5, name="custom")
    clone = clone_model(model)
    assert type(clone) is Custom and clone.units == 5 and clone.name == "custom" and clone is not model
    with pytest.raises(ValueError, match="only supported for Sequential models or Functional"):
        clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="only supported for Functional models"):
        clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))
    with pytest.raises(ValueError, match=r"Unexpected keyword argument\(s\): \('bogus',\)"):
        clone_model(model, bogus=1)
    layer_copy = clone_model(keras.layers.Dense(3, name="solo"))
    assert isinstance(layer_copy, keras.layers.Dense) and layer_copy.units == 3
