import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN

UNITS, FEATURES, STEPS = 3, 4, 5


def _x(rng, batch=2):
    return torch.from_numpy(rng.standard_normal((batch, STEPS, FEATURES)).astype("float32"))


def _directions(layer, x, **call_kwargs):
    """The forward and backward outputs, each computed by an independent copy of its layer."""
    outputs = []
    for sub in (layer.forward_layer, layer.backward_layer):
        copy = type(sub).from_config(sub.get_config())
        copy.build(tuple(x.shape))
        copy.set_weights(sub.get_weights())
        outputs.append(copy(x, **call_kwargs))
    return outputs


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_merge_modes_numerics_and_shapes(rng, merge_mode, return_sequences):
    layer = Bidirectional(LSTM(UNITS, return_sequences=return_sequences), merge_mode=merge_mode)
    symbolic = layer(keras.Input((STEPS, FEATURES)))
    x = _x(rng)
    out = layer(x)
    forward, backward = _directions(layer, x)
    if return_sequences:
        backward = backward.flip(1)
    expected = {
        "concat": lambda: torch.cat([forward, backward], -1),
        "sum": lambda: forward + backward,
        "mul": lambda: forward * backward,
        "ave": lambda: (forward + backward) / 2,
        None: lambda: [forward, backward],
    }[merge_mode]()
    step_shape = (None, STEPS) if return_sequences else (None,)
    width = 2 * UNITS if merge_mode == "concat" else UNITS
    if merge_mode is None:
        assert [t.shape for t in symbolic] == [step_shape + (UNITS,)] * 2
        for got, want in zip(out, expected):
            torch.testing.assert_close(got, want)
    else:
        assert symbolic.shape == step_shape + (width,)
        torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_return_state_gives_forward_then_backward_states(rng, merge_mode):
    layer = Bidirectional(LSTM(UNITS, return_state=True), merge_mode=merge_mode)
    symbolic = layer(keras.Input((STEPS, FEATURES)))
    heads = 2 if merge_mode is None else 1
    assert len(symbolic) == heads + 4
    assert all(t.shape == (None, UNITS) for t in symbolic[heads:])
    x = _x(rng)
    out = layer(x)
    (_, h_f, c_f), (_, h_b, c_b) = _directions(layer, x)
    for got, want in zip(out[heads:], (h_f, c_f, h_b, c_b)):
        torch.testing.assert_close(got, want)


def test_weights_names_and_state_dict(rng):
    layer = Bidirectional(GRU(UNITS, name="enc"))
    layer.build((None, STEPS, FEATURES))
    assert layer.forward_layer.name == "forward_enc" and layer.backward_layer.name == "backward_enc"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    weights = layer.weights
    assert [w.path for w in weights][:3] == [
        "bidirectional/forward_enc/gru_cell/kernel",
        "bidirectional/forward_enc/gru_cell/recurrent_kernel",
        "bidirectional/forward_enc/gru_cell/bias",
    ]
    assert [w.path for w in weights][3:] == [
        "bidirectional/backward_enc/gru_cell/kernel",
        "bidirectional/backward_enc/gru_cell/recurrent_kernel",
        "bidirectional/backward_enc/gru_cell/bias",
    ]
    assert list(layer.state_dict())[0] == "forward_layer.weight_ih_l0"
    single = GRU(UNITS)
    single.build((None, STEPS, FEATURES))
    assert layer.count_params() == 2 * single.count_params()
    values = [rng.standard_normal(w.shape).astype("float32") for w in weights]
    layer.set_weights(values)
    np.testing.assert_array_equal(layer.backward_layer.get_weights()[0], values[3])
    preset = Bidirectional(GRU(UNITS), weights=values)
    preset(_x(rng))  # the weights are set once the layer is built
    for got, want in zip(preset.get_weights(), values):
        np.testing.assert_array_equal(got, want)


def test_masked_sequences_output_zeros_at_masked_steps(rng):
    tokens = keras.Input((STEPS,), dtype="int64")
    embedded = Embedding(10, FEATURES, mask_zero=True)(tokens)
    layer = Bidirectional(SimpleRNN(UNITS, return_sequences=True))
    model = keras.Model(tokens, layer(embedded))
    assert layer.forward_layer.zero_output_for_mask and layer.backward_layer.zero_output_for_mask
    out = model.predict(np.array([[3, 1, 0, 4, 0]]), verbose=0)
    assert not out[0, [2, 4]].any() and out[0, [0, 1, 3]].all()
    # The mask reaches the next layer, as the output sequence keeps the time axis.
    assert model.output._keras_mask is not None


def test_initial_state_is_split_between_directions(rng):
    layer = Bidirectional(LSTM(UNITS, return_state=True))
    x = _x(rng)
    states = [torch.from_numpy(rng.standard_normal((2, UNITS)).astype("float32")) for _ in range(4)]
    out = layer(x, initial_state=states)
    forward, backward = _directions(layer, x)
    (_, h_f, _), (_, h_b, _) = (
        _directions(layer, x, initial_state=states[:2])[0],
        _directions(layer, x, initial_state=states[2:])[1],
    )
    torch.testing.assert_close(out[1], h_f)
    torch.testing.assert_close(out[3], h_b)
    assert (out[1] - forward[1]).abs().max() > 1e-4
    # Symbolically, as a functional model with state inputs.
    inputs = keras.Input((STEPS, FEATURES))
    state_inputs = [keras.Input((UNITS,)) for _ in range(4)]
    fresh = Bidirectional(LSTM(UNITS))
    model = keras.Model([inputs] + state_inputs, Dense(1)(fresh(inputs, initial_state=state_inputs)))
    assert model.output_shape == (None, 1)


def test_explicit_backward_layer_and_backwards_template():
    backward = GRU(UNITS, go_backwards=True, reset_after=False, name="back")
    layer = Bidirectional(GRU(UNITS), backward_layer=backward)
    assert layer.backward_layer is backward
    flipped = Bidirectional(LSTM(UNITS, go_backwards=True))
    assert flipped.forward_layer.go_backwards and not flipped.backward_layer.go_backwards


def test_errors():
    with pytest.raises(ValueError, match="Layer` instance"):
        Bidirectional("lstm")
    with pytest.raises(ValueError, match="Invalid merge mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match='"return_sequences"'):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(AttributeError, match="stateful"):
        Bidirectional(LSTM(2)).reset_states()
    with pytest.raises(NotImplementedError, match="num_constants"):
        Bidirectional.from_config({**Bidirectional(LSTM(2)).get_config(), "num_constants": 1})


def test_stateful_states_and_reset(rng):
    layer = Bidirectional(LSTM(UNITS, stateful=True))
    layer.build((2, STEPS, FEATURES))
    x = _x(rng)
    first = layer(x)
    assert len(layer.states) == 4
    assert (layer(x) - first).abs().max() > 1e-4
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)


def test_config_round_trip():
    layer = Bidirectional(
        LSTM(UNITS, return_sequences=True, dropout=0.2), merge_mode="ave", name="bi"
    )
    config = layer.get_config()
    assert config["layer"]["config"]["name"] == "forward_lstm"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = Bidirectional.from_config(config)
    assert clone.merge_mode == "ave" and clone.forward_layer.name == "forward_lstm"
    assert clone.get_config() == config


def test_wrapped_layer_input_shape_starts_a_sequential(rng):
    model = keras.Sequential([Bidirectional(LSTM(UNITS, input_shape=(STEPS, FEATURES))), Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.predict(_x(rng).numpy(), verbose=0).shape == (2, 1)
