import copy
import pickle

import numpy as np
import torch

import kerasish as keras

L = keras.layers


def _model():
    inp = keras.Input(shape=(4,), name="x")
    shared = L.Dense(4, name="shared")
    y = shared(shared(inp))
    return keras.Model(inp, [L.Dense(1, name="head")(y), y])


def test_generated_forward_is_straight_line_code():
    source = _model().forward_source()
    assert "def forward(self, x, training = None):" in source
    assert source.count("self.shared(") == 2
    assert "self.head(" in source
    for interpretation in ("for ", "while ", "_execution_order", "getattr("):
        assert interpretation not in source


def test_generated_forward_is_the_instance_forward():
    model = _model()
    model(torch.zeros(1, 4))
    assert model.forward.__func__.__name__ == "forward"
    assert model.forward.__code__.co_filename.startswith("<kerasish forward")


def test_multi_output_layer_uses_getitem():
    class Split(keras.layers.Layer):
        def call(self, inputs):
            return [inputs[:, :2], inputs[:, 2:]]

    inp = keras.Input(shape=(5,))
    first, second = Split()(inp)
    model = keras.Model(inp, L.Dense(1)(second))
    assert "getitem" in model.forward_source()
    assert first.shape == (None, 2) and second.shape == (None, 3)
    assert model.predict(np.ones((2, 5)), verbose=0).shape == (2, 1)


def test_copy_and_pickle_relower():
    model = _model()
    x = torch.rand(3, 4)
    expected = model(x)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        for a, b in zip(clone(x), expected):
            assert torch.allclose(a, b)


def test_torch_compile_matches():
    model = _model()
    x = torch.rand(3, 4)
    compiled = torch.compile(model, backend="eager")
    for a, b in zip(compiled(x), model(x)):
        assert torch.allclose(a, b)


def test_recorded_training_value_yields_to_the_callers():
    inp = keras.Input(shape=(200,))
    model = keras.Model(inp, L.Dropout(0.5)(inp, training=False))
    x = torch.ones(2, 200)
    assert torch.equal(model(x), x)  # the recorded value holds when the caller says nothing
    assert not torch.equal(model(x, training=True), x)  # Keras 3: the caller's value wins
