"""RNN with cells (built-in, stacked, user-written) side by side with Keras 3."""

import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

STEPS, FEATURES = 6, 4


def _minimal_cell_class(lib, matmul):
    """Keras' documented example cell, written once per library."""

    class MinimalRNNCell(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
            )
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
            )

        def call(self, inputs, states):
            output = matmul(inputs, self.kernel) + matmul(states[0], self.recurrent_kernel)
            return output, [output]

    return MinimalRNNCell


def _cells(lib, kind):
    L = lib.layers
    if kind == "user":
        import torch

        matmul = torch.matmul if lib is kerasish else lib.ops.matmul
        return _minimal_cell_class(lib, matmul)(5)
    if kind == "stacked":
        return [L.LSTMCell(5), L.GRUCell(4, reset_after=False), L.SimpleRNNCell(3)]
    if kind == "user_stacked":
        import torch

        matmul = torch.matmul if lib is kerasish else lib.ops.matmul
        cls = _minimal_cell_class(lib, matmul)
        return L.StackedRNNCells([cls(4), L.GRUCell(3)])
    return {"lstm": L.LSTMCell(5), "gru": L.GRUCell(5), "simple": L.SimpleRNNCell(5)}[kind]


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple", "user", "stacked", "user_stacked"])
@pytest.mark.parametrize(
    "kwargs",
    [{"return_sequences": True}, {"return_state": True, "go_backwards": True}],
    ids=["sequences", "state_backwards"],
)
def test_rnn_with_cells(rng, kind, kwargs):
    import keras

    def build(lib):
        inputs = lib.Input((STEPS, FEATURES))
        return lib.Model(inputs, lib.layers.RNN(_cells(lib, kind), **kwargs)(inputs))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert reference.count_params() == ours.count_params()
    x = rng.standard_normal((3, STEPS, FEATURES)).astype("float32")
    expected = keras.tree.flatten(reference.predict(x, verbose=0))
    received = kerasish.utils.tree.flatten(ours.predict(x, verbose=0))
    assert len(expected) == len(received)
    for e, r in zip(expected, received):
        assert e.shape == r.shape
        assert abs(e - r).max() < 1e-5


@pytest.mark.parametrize("kind", ["gru", "stacked"])
def test_masked_rnn_with_cells(rng, kind):
    import keras

    def build(lib):
        tokens = lib.Input((STEPS,), dtype="int32")
        x = lib.layers.Embedding(10, FEATURES, mask_zero=True)(tokens)
        return lib.Model(tokens, lib.layers.RNN(_cells(lib, kind), return_sequences=True)(x))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    tokens = rng.integers(1, 10, size=(4, STEPS)).astype("int32")
    tokens[0, 3:] = 0
    tokens[1, :2] = 0
    assert_same_outputs(reference, ours, tokens)


def test_cell_config_from_keras(rng):
    import keras

    reference = keras.layers.RNN(
        [keras.layers.LSTMCell(4, dropout=0.1), keras.layers.GRUCell(3, reset_after=False)],
        return_sequences=True,
    )
    ours = kerasish.layers.RNN.from_config(reference.get_config())
    assert [type(c).__name__ for c in ours.cell.cells] == ["LSTMCell", "GRUCell"]
    x = rng.standard_normal((2, STEPS, FEATURES)).astype("float32")
    expected = keras.ops.convert_to_numpy(reference(x))
    ours.build(x.shape)
    ours.set_weights(reference.get_weights())
    assert abs(ours(x).detach().numpy() - expected).max() < 1e-5


@pytest.mark.parametrize("kind", ["gru", "user"])
def test_stateful_rnn_with_cells(rng, kind):
    import keras

    def build(lib):
        inputs = lib.Input(batch_shape=(2, STEPS, FEATURES))
        return lib.Model(inputs, lib.layers.RNN(_cells(lib, kind), stateful=True)(inputs))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    batches = [rng.standard_normal((2, STEPS, FEATURES)).astype("float32") for _ in range(2)]
    for x in batches:
        assert_same_outputs(reference, ours, x)
    reference.layers[1].reset_states()
    ours.layers[1].reset_states()
    assert_same_outputs(reference, ours, batches[1])
