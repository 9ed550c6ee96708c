import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    Layer,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)

FEATURES, STEPS = 3, 5


class RnnTestMinimalCell(Layer):
    """The cell of Keras' RNN docstring: output = x @ W + h @ U."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel"
        )

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class RnnTestCountingCell(Layer):
    """Two states, a non-zero initial state, and a training flag."""

    state_size = [1, 2]
    output_size = 2

    def get_initial_state(self, batch_size=None):
        return [torch.full((batch_size, 1), 10.0), torch.ones(batch_size, 2)]

    def call(self, inputs, states, training=None):
        count, total = states
        total = total + inputs[:, :2] * (2.0 if training else 1.0)
        return total, [count + 1, total]


def _x(rng, batch=2):
    return torch.from_numpy(rng.standard_normal((batch, STEPS, FEATURES)).astype("float32"))


def test_custom_cell_in_functional_model_and_reference(rng):
    cell = RnnTestMinimalCell(4)
    inputs = keras.Input((None, FEATURES))
    layer = RNN(cell, return_sequences=True, return_state=True)
    outputs = layer(inputs)
    assert [t.shape for t in outputs] == [(None, None, 4), (None, 4)]
    model = keras.Model(inputs, outputs)
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel"]
    assert sorted(model.state_dict()) == ["rnn.cell.kernel", "rnn.cell.recurrent_kernel"]
    x = _x(rng)
    sequence, h = model(x)
    kernel, recurrent = (w.detach().numpy() for w in (cell.kernel, cell.recurrent_kernel))
    expected = np.zeros((2, 4))
    for t in range(STEPS):
        expected = x[:, t].numpy() @ kernel + expected @ recurrent
        np.testing.assert_allclose(sequence[:, t].detach().numpy(), expected, atol=1e-5)
    torch.testing.assert_close(h, sequence[:, -1])


def test_cell_initial_state_training_flag_and_masks(rng):
    layer = RNN(RnnTestCountingCell(), return_state=True)
    x = torch.ones(2, STEPS, FEATURES)
    output, count, total = layer(x)
    assert count.tolist() == [[10.0 + STEPS]] * 2
    torch.testing.assert_close(output, torch.full((2, 2), 1.0 + STEPS))
    _, _, trained = layer(x, training=True)
    torch.testing.assert_close(trained, torch.full((2, 2), 1.0 + 2 * STEPS))
    mask = torch.tensor([[True, False, True, False, False]] * 2)
    _, count, total = layer(x, mask=mask)
    assert count.tolist() == [[12.0]] * 2  # masked steps leave the states alone
    assert layer.compute_output_shape((None, STEPS, FEATURES)) == [(None, 2), (None, 1), (None, 2)]


def test_stacked_cells_nest_states_and_match_stacked_layers(rng):
    cells = [LSTMCell(4), GRUCell(3), SimpleRNNCell(2)]
    layer = RNN(cells, return_sequences=True, return_state=True)
    assert isinstance(layer.cell, StackedRNNCells)
    x = _x(rng)
    sequence, lstm_states, gru_state, rnn_state = layer(x)
    assert [tuple(s.shape) for s in lstm_states] == [(2, 4), (2, 4)]
    assert tuple(gru_state.shape) == (2, 3) and tuple(rnn_state.shape) == (2, 2)
    assert layer.compute_output_shape((None, STEPS, FEATURES)) == [
        (None, STEPS, 2), [(None, 4), (None, 4)], (None, 3), (None, 2),
    ]
    assert sorted(layer.state_dict())[:2] == ["cell.0.bias_hh", "cell.0.bias_ih"]
    # The same network as three stacked layers, with the same weights.
    stack = [LSTM(4, return_sequences=True), GRU(3, return_sequences=True),
             SimpleRNN(2, return_sequences=True)]
    model = keras.Sequential([keras.Input((STEPS, FEATURES))] + stack)
    model.set_weights(layer.get_weights())
    torch.testing.assert_close(model(x), sequence, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "cell, layer_cls",
    [(LSTMCell(4), LSTM), (GRUCell(4, reset_after=False), GRU), (SimpleRNNCell(4), SimpleRNN)],
)
def test_builtin_cell_in_rnn_equals_its_layer(rng, cell, layer_cls):
    wrapped = RNN(cell, go_backwards=True, return_sequences=True)
    kwargs = {"reset_after": False} if layer_cls is GRU else {}
    layer = layer_cls(4, go_backwards=True, return_sequences=True, **kwargs)
    x = _x(rng)
    wrapped(x)
    layer(x)
    layer.set_weights(wrapped.get_weights())
    mask = torch.tensor([[True, True, False, True, False]] * 2)
    torch.testing.assert_close(wrapped(x, mask=mask), layer(x, mask=mask), atol=1e-6, rtol=0)


def test_cells_called_step_by_step_share_one_dropout_mask(rng):
    cell = LSTMCell(8, dropout=0.5)
    cell.build((None, 8))
    states = [torch.zeros(16, 8), torch.zeros(16, 8)]
    first = cell.get_dropout_mask(torch.ones(16, 8))
    cell(torch.ones(16, 8), states, training=True)
    assert cell.get_dropout_mask(torch.ones(16, 8)) is first  # cached across steps
    cell.reset_dropout_mask()
    assert cell.get_dropout_mask(torch.ones(16, 8)) is not first
    # RNN resets the cached masks after each sequence.
    layer = RNN(cell)
    layer(torch.ones(16, STEPS, 8), training=True)
    assert cell._dropout_mask is None


def test_stateful_generic_rnn(rng):
    layer = RNN(RnnTestMinimalCell(3), stateful=True)
    layer.build((2, STEPS, FEATURES))
    x = _x(rng)
    first = layer(x)
    assert layer.states[0].shape == (2, 3)
    torch.testing.assert_close(layer.states[0], first)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)
    layer.reset_states([np.ones((2, 3), "float32")])
    assert (layer(x) - first).abs().max() > 1e-4


def test_config_round_trip_with_cells():
    layer = RNN([LSTMCell(3, dropout=0.1), RnnTestMinimalCell(2)], go_backwards=True, unroll=True)
    config = layer.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    clone = RNN.from_config(config, custom_objects={"RnnTestMinimalCell": RnnTestMinimalCell})
    assert [type(c) for c in clone.cell.cells] == [LSTMCell, RnnTestMinimalCell]
    assert clone.get_config() == config


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="`call` method"):
        RNN(object())

    class NoState:
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="state_size"):
        RNN(NoState())
    with pytest.raises(ValueError, match="min_ndim=3"):
        RNN(SimpleRNNCell(2))(keras.Input((4,)))
    with pytest.raises(ValueError, match="Cannot unroll"):
        RNN(SimpleRNNCell(2), unroll=True)(keras.Input((None, 4)))
    with pytest.raises(ValueError, match="no time steps"):
        SimpleRNN(2)(torch.zeros(1, 0, 3))
    with pytest.raises(ValueError, match=r"mask.*\(1, 3\)"):
        SimpleRNN(2)(torch.zeros(1, 4, 3), mask=torch.ones(1, 3, dtype=torch.bool))
