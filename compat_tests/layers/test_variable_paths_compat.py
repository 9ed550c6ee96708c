"""Keras 3 variable and layer paths side by side: the same models built the same way in both
libraries give the same ``Variable.path``s and ``Layer.path``s, and the optimizers that match
on them (Muon's ``exclude_layers``, ``exclude_from_weight_decay``) train the same weights."""

import keras
import numpy as np
import pytest

import kerasish


def _sequential_with_input(k):
    return k.Sequential([k.Input((4,)), k.layers.Dense(3), k.layers.Dense(2)])


def _sequential_built(k):
    model = k.Sequential([k.layers.Dense(3)], name="outer")
    model.add(k.layers.Dense(2))
    model.build((None, 4))
    return model


def _sequential_called(k):
    model = k.Sequential([k.layers.Dense(3), k.layers.BatchNormalization()])
    model(np.zeros((2, 4), "float32"))
    return model


def _functional(k):
    inputs = k.Input((4,))
    return k.Model(inputs, k.layers.Dense(2)(k.layers.Dense(3)(inputs)))


def _functional_with_nested_sequentials(k):
    built = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
    deferred = k.Sequential([k.layers.Dense(2)])
    inputs = k.Input((4,))
    x = k.layers.Dense(3)(inputs)
    return k.Model(inputs, [built(x), deferred(x)])


def _functional_with_nested_functional(k):
    inner_inputs = k.Input((3,))
    inner = k.Model(inner_inputs, k.layers.Dense(2)(inner_inputs), name="inner")
    inputs = k.Input((4,))
    return k.Model(inputs, inner(k.layers.Dense(3)(inputs)))


def _subclassed(k):
    class Net(k.Model):
        def __init__(self):
            super().__init__()
            self.first = k.layers.Dense(3)
            self.second = k.layers.Dense(2)
            self.block = k.Sequential([k.layers.Dense(2)])

        def call(self, x):
            return self.block(self.second(self.first(x)))

    model = Net()
    model(np.zeros((1, 4), "float32"))
    return model


def _custom_layer_in_functional(k):
    class Block(k.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = k.layers.Dense(3)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), name="scale")
            self.inner.build(input_shape)

        def call(self, x):
            return self.inner(x)

    inputs = k.Input((2,))
    return k.Model(inputs, Block()(inputs))


def _recurrent(k):
    inputs = k.Input((3, 2))
    x = k.layers.LSTM(2, return_sequences=True)(inputs)
    x = k.layers.Bidirectional(k.layers.GRU(2, return_sequences=True))(x)
    x = k.layers.RNN([k.layers.LSTMCell(2), k.layers.SimpleRNNCell(2)])(x)
    return k.Model(inputs, x)


def _attention_in_sequential(k):
    inputs = k.Input((3, 4))
    attention = k.layers.MultiHeadAttention(2, 2)
    outputs = attention(inputs, inputs)
    return k.Sequential([k.Input((3, 4)), k.Model(inputs, outputs, name="attn"), k.layers.Dense(2)])


def _layers_called_directly(k):
    dense = k.layers.Dense(3)
    dense(np.zeros((1, 2), "float32"))
    named = k.layers.Dense(3, name="foo")
    named.build((None, 2))
    attention = k.layers.MultiHeadAttention(2, 2)
    attention(np.zeros((1, 3, 4), "float32"), np.zeros((1, 3, 4), "float32"))
    lstm = k.layers.LSTM(2)
    lstm(np.zeros((1, 3, 2), "float32"))
    return [dense, named, attention, lstm]


def _built_outside_then_reused(k):
    dense = k.layers.Dense(3)
    dense.build((None, 4))
    return k.Sequential([k.Input((4,)), dense, k.layers.Dense(2)])


BUILDERS = [
    _sequential_with_input,
    _sequential_built,
    _sequential_called,
    _functional,
    _functional_with_nested_sequentials,
    _functional_with_nested_functional,
    _subclassed,
    _custom_layer_in_functional,
    _recurrent,
    _attention_in_sequential,
    _layers_called_directly,
    _built_outside_then_reused,
]


def _paths(built):
    objects = built if isinstance(built, list) else [built]
    variables = [v.path for obj in objects for v in obj.weights]
    layer_paths = [
        layer.path
        for obj in objects
        for layer in (obj.layers if hasattr(obj, "layers") else [obj])
        if type(layer).__name__ != "InputLayer"
    ]
    return variables, layer_paths


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_variable_and_layer_paths_match_keras(builder):
    expected = _paths(builder(keras))
    received = _paths(builder(kerasish))
    assert received == expected


def _muon_pair(exclude):
    def build(k):
        model = k.Sequential(
            [k.Input((6,)), k.layers.Dense(5, name="hidden"), k.layers.Dense(4, name="head")],
            name="seq",
        )
        model.compile(k.optimizers.Muon(learning_rate=0.05, exclude_layers=exclude), "mse")
        return model

    return build(keras), build(kerasish)


@pytest.mark.parametrize("exclude", [["seq/hidden"], ["^hidden"], ["seq/head/kernel"]])
def test_muon_exclude_layers_matches_keras_paths(rng, exclude):
    reference, ours = _muon_pair(exclude)
    ours.set_weights(reference.get_weights())
    x = rng.standard_normal((16, 6)).astype("float32")
    y = rng.standard_normal((16, 4)).astype("float32")
    reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for expected, received in zip(reference.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(received, expected, atol=1e-5)


@pytest.mark.parametrize("var_names", [["seq"], ["kernel"], ["hidden"]])
def test_weight_decay_exclusion_matches_on_names_as_keras(rng, var_names):
    def build(k):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2, name="hidden")], name="seq")
        optimizer = k.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        optimizer.exclude_from_weight_decay(var_names=var_names)
        model.compile(optimizer, "mse")
        return model

    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    x = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    reference.fit(x, y, batch_size=8, epochs=2, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for expected, received in zip(reference.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(received, expected, atol=1e-5)
