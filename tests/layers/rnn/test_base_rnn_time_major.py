"""``time_major=True``: the batch-major computation on transposed inputs, masks and sequence
outputs; states stay (batch, ...)."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import GRU, LSTM, RNN, Bidirectional, ConvLSTM1D, SimpleRNN, SimpleRNNCell
from kerasish.layers.rnn.cell_core import project_inputs

STEPS, BATCH, FEATURES = 5, 3, 4


def _pair(cls, **kwargs):
    """The same layer time-major and batch-major, with the same weights."""
    time_major = cls(time_major=True, **kwargs)
    batch_major = cls(**kwargs)
    time_major.build((STEPS, BATCH, FEATURES))
    batch_major.build((BATCH, STEPS, FEATURES))
    batch_major.set_weights(time_major.get_weights())
    return time_major, batch_major


def _flat(output):
    return [o.detach() for o in (output if isinstance(output, list) else [output])]


LAYERS = [
    (SimpleRNN, {"units": 2}),
    (SimpleRNN, {"units": 2, "activation": "sigmoid"}),  # the loop path
    (LSTM, {"units": 3}),
    (LSTM, {"units": 3, "recurrent_activation": "hard_sigmoid"}),
    (GRU, {"units": 3}),
    (GRU, {"units": 3, "reset_after": False}),
]
OPTIONS = [
    {"return_sequences": True},
    {"return_sequences": True, "go_backwards": True, "return_state": True},
    {"return_state": True},
]


@pytest.mark.parametrize("cls, kwargs", LAYERS)
@pytest.mark.parametrize("options", OPTIONS)
def test_time_major_is_the_batch_major_computation_transposed(rng, cls, kwargs, options):
    time_major, batch_major = _pair(cls, **kwargs, **options)
    x = torch.from_numpy(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32))
    received, expected = _flat(time_major(x)), _flat(batch_major(x.transpose(0, 1)))
    if options.get("return_sequences"):
        assert received[0].shape == (STEPS, BATCH, kwargs["units"])
        expected[0] = expected[0].transpose(0, 1)
    for r, e in zip(received, expected):
        assert r.shape == e.shape
        torch.testing.assert_close(r, e, atol=1e-6, rtol=0)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_time_major_mask_initial_state_and_zero_output(rng, cls):
    time_major, batch_major = _pair(
        cls, units=2, return_sequences=True, return_state=True, zero_output_for_mask=True
    )
    x = torch.from_numpy(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32))
    mask = torch.ones(STEPS, BATCH, dtype=torch.bool)
    mask[3:, 0] = False
    mask[1, 2] = False
    states = [torch.randn(BATCH, 2) for _ in time_major.state_size]
    received = _flat(time_major(x, mask=mask, initial_state=states))
    expected = _flat(batch_major(x.transpose(0, 1), mask=mask.t(), initial_state=states))
    torch.testing.assert_close(received[0], expected[0].transpose(0, 1), atol=1e-6, rtol=0)
    assert torch.all(received[0][3:, 0] == 0)
    for r, e in zip(received[1:], expected[1:]):
        torch.testing.assert_close(r, e, atol=1e-6, rtol=0)


def test_fused_time_major_sequence_comes_back_contiguous(rng):
    """torch's kernel runs time-major anyway: the two transposes cancel, nothing is copied."""
    layer = LSTM(3, time_major=True, return_sequences=True)
    x = torch.from_numpy(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32))
    assert layer(x).is_contiguous()


def test_projection_of_a_time_major_view_runs_in_its_memory_order(rng):
    x = torch.from_numpy(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32))
    weight, bias = torch.randn(6, FEATURES), torch.randn(6)
    projected = project_inputs(x.transpose(0, 1), weight, bias, None)
    assert projected.shape == (BATCH, STEPS, 6)
    assert projected.transpose(0, 1).is_contiguous()
    torch.testing.assert_close(projected, torch.nn.functional.linear(x, weight, bias).transpose(0, 1))


def test_symbolic_shapes_masks_and_models(rng):
    inputs = keras.Input(batch_shape=(STEPS, BATCH, FEATURES))
    sequence = LSTM(3, time_major=True, return_sequences=True)(inputs)
    last, state = GRU(2, time_major=True, return_state=True)(sequence)
    assert sequence.shape == (STEPS, BATCH, 3)
    assert last.shape == (BATCH, 2) and state.shape == (BATCH, 2)
    tokens = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(10, FEATURES, mask_zero=True)(tokens)
    out = SimpleRNN(2, time_major=True, return_sequences=True)(embedded)
    assert out.shape == (None, None, 2)
    model = keras.Model(tokens, out)
    ids = rng.integers(1, 10, size=(STEPS, BATCH))
    ids[3:, 1] = 0
    y = model.predict(ids, batch_size=STEPS, verbose=0)
    assert y.shape == (STEPS, BATCH, 2)
    np.testing.assert_array_equal(y[3:, 1], np.repeat(y[2:3, 1], 2, axis=0))  # masked steps repeat


def test_stateful_time_major_takes_the_batch_from_axis_1(rng):
    layer = LSTM(2, time_major=True, stateful=True)
    layer.build((STEPS, BATCH, FEATURES))
    assert [tuple(s.shape) for s in layer.states] == [(BATCH, 2), (BATCH, 2)]
    x = torch.from_numpy(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32))
    first = layer(x[:2]).detach()
    torch.testing.assert_close(layer.states[0], first)
    reference = LSTM(2)
    reference.build((BATCH, STEPS, FEATURES))
    reference.set_weights(layer.get_weights())
    torch.testing.assert_close(
        layer(x[2:]).detach(), reference(x.transpose(0, 1)).detach(), atol=1e-6, rtol=0
    )


def test_generic_rnn_and_bidirectional(rng):
    cell = SimpleRNNCell(2)
    time_major = RNN(cell, time_major=True, return_sequences=True)
    batch_major = RNN(SimpleRNNCell(2), return_sequences=True)
    time_major.build((STEPS, BATCH, FEATURES))
    batch_major.build((BATCH, STEPS, FEATURES))
    batch_major.set_weights(time_major.get_weights())
    x = torch.from_numpy(rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32))
    torch.testing.assert_close(
        time_major(x).detach(), batch_major(x.transpose(0, 1)).detach().transpose(0, 1)
    )

    wrapped = Bidirectional(LSTM(2, time_major=True, return_sequences=True))
    plain = Bidirectional(LSTM(2, return_sequences=True))
    wrapped.build((STEPS, BATCH, FEATURES))
    plain.build((BATCH, STEPS, FEATURES))
    plain.set_weights(wrapped.get_weights())
    assert wrapped.forward_layer.time_major and wrapped.backward_layer.time_major
    out = wrapped(x).detach()
    assert out.shape == (STEPS, BATCH, 4)
    assert wrapped.compute_output_shape((STEPS, BATCH, FEATURES)) == (STEPS, BATCH, 4)
    torch.testing.assert_close(out, plain(x.transpose(0, 1)).detach().transpose(0, 1))


def test_config_writes_time_major_only_when_true():
    assert "time_major" not in LSTM(2).get_config()
    config = GRU(2, time_major=True, return_sequences=True).get_config()
    keys = list(config)
    assert config["time_major"] is True and keys.index("time_major") == keys.index("unroll") + 1
    assert GRU.from_config(config).get_config() == config
    assert RNN(SimpleRNNCell(2), time_major=True).get_config()["time_major"] is True


def test_errors_name_the_layer_and_the_layout():
    layer = LSTM(2, time_major=True)
    with pytest.raises(ValueError, match=r"time_major=True must have shape \(timesteps, batch"):
        layer(torch.ones(STEPS, BATCH, FEATURES), mask=torch.ones(BATCH, STEPS, dtype=torch.bool))
    with pytest.raises(NotImplementedError, match=r"ConvLSTM1D\(time_major=True\)"):
        ConvLSTM1D(2, 3, time_major=True)
