import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import activations
from kerasish.layers import LSTM, Dense, Embedding

UNITS, FEATURES, STEPS = 4, 3, 6


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _hard_sigmoid(x):  # Keras 3: relu6(x + 3) / 6
    return np.clip(x / 6 + 0.5, 0, 1)


def _reference(x, kernel, recurrent, bias, rec_act=_sigmoid, go_backwards=False):
    """Keras' LSTM step formulas in numpy: (all outputs, h, c)."""
    if go_backwards:
        x = x[:, ::-1]
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        zi, zf, zc, zo = np.split(z, 4, axis=1)
        c = rec_act(zf) * c + rec_act(zi) * np.tanh(zc)
        h = rec_act(zo) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def _random_weights(rng, features=FEATURES, units=UNITS):
    return [
        rng.standard_normal((features, 4 * units)).astype("float32") * 0.5,
        rng.standard_normal((units, 4 * units)).astype("float32") * 0.5,
        rng.standard_normal((4 * units,)).astype("float32") * 0.5,
    ]


def _built(weights=None, batch=None, **kwargs):
    layer = LSTM(UNITS, **kwargs)
    layer.build((batch, STEPS, FEATURES))
    if weights is not None:
        layer.set_weights(weights)
    return layer


# ------------------------------------------------------------------ shapes, params, weights


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, (None, UNITS)),
        ({"return_sequences": True}, (None, STEPS, UNITS)),
        ({"return_state": True}, [(None, UNITS), (None, UNITS), (None, UNITS)]),
        (
            {"return_sequences": True, "return_state": True},
            [(None, STEPS, UNITS), (None, UNITS), (None, UNITS)],
        ),
    ],
)
def test_output_shapes_symbolic_and_eager(kwargs, expected):
    layer = LSTM(UNITS, **kwargs)
    outputs = layer(keras.Input(shape=(STEPS, FEATURES)))
    if isinstance(expected, list):
        assert [t.shape for t in outputs] == expected
    else:
        assert outputs.shape == expected
    eager = layer(np.zeros((2, STEPS, FEATURES), dtype="float32"))
    shapes = [tuple(t.shape) for t in eager] if isinstance(eager, list) else tuple(eager.shape)
    fill = lambda s: tuple(2 if d is None else d for d in s)  # noqa: E731
    assert shapes == ([fill(s) for s in expected] if isinstance(expected, list) else fill(expected))


@pytest.mark.parametrize("use_bias", [True, False])
def test_param_count_matches_keras_formula(use_bias):
    layer = _built(use_bias=use_bias)
    u, n = UNITS, FEATURES
    assert layer.count_params() == 4 * (n * u + u * u + (u if use_bias else 0))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"][: 2 + use_bias]


def test_keras_layout_weights_map_to_torch_names(rng):
    weights = _random_weights(rng)
    layer = _built(weights)
    assert [w.shape for w in layer.get_weights()] == [(3, 16), (4, 16), (16,)]
    for got, expected in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(layer.weight_ih_l0.detach().numpy(), weights[0].T)
    np.testing.assert_array_equal(layer.weight_hh_l0.detach().numpy(), weights[1].T)
    np.testing.assert_array_equal(layer.kernel.detach().numpy(), weights[0])
    np.testing.assert_array_equal(layer.cell.recurrent_kernel.detach().numpy(), weights[1])
    assert sorted(layer.state_dict()) == ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    assert not layer.bias_hh_l0.any()


def test_initializers_follow_keras():
    layer = _built()
    kernel, recurrent, bias = layer.get_weights()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    # One orthogonal matrix over the whole (u, 4u) recurrent kernel: its rows are orthonormal.
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(UNITS), atol=1e-5)
    limit = np.sqrt(6 / (FEATURES + 4 * UNITS))
    assert np.abs(kernel).max() <= limit and kernel.std() > limit / 4
    assert not _built(unit_forget_bias=False).get_weights()[2].any()


# ------------------------------------------------------------------------------- numerics


@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_reference_formulas(rng, go_backwards):
    weights = _random_weights(rng)
    x = rng.standard_normal((2, STEPS, FEATURES)).astype("float32")
    layer = _built(weights, return_sequences=True, return_state=True, go_backwards=go_backwards)
    seq, h, c = layer(torch.from_numpy(x))
    ref_seq, ref_h, ref_c = _reference(x, *weights, go_backwards=go_backwards)
    np.testing.assert_allclose(seq.detach().numpy(), ref_seq, atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), ref_h, atol=1e-5)
    np.testing.assert_allclose(c.detach().numpy(), ref_c, atol=1e-5)


def test_python_loop_equals_fused_kernel(rng):
    weights = _random_weights(rng)
    x = torch.from_numpy(rng.standard_normal((3, STEPS, FEATURES)).astype("float32"))
    fused = _built(weights, return_sequences=True)
    # A tanh the fused path does not recognise forces the Python loop.
    looped = _built(weights, return_sequences=True, activation=lambda t: torch.tanh(t))
    torch.testing.assert_close(looped(x), fused(x), atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "name, numpy_fn",
    [("hard_sigmoid", _hard_sigmoid), ("legacy", lambda v: np.clip(0.2 * v + 0.5, 0, 1))],
)
def test_hard_sigmoid_recurrent_activations(rng, name, numpy_fn):
    weights = _random_weights(rng)
    activation = "hard_sigmoid" if name == "hard_sigmoid" else activations.legacy_hard_sigmoid
    layer = _built(weights, recurrent_activation=activation, return_sequences=True)
    x = rng.standard_normal((2, STEPS, FEATURES)).astype("float32")
    expected, _, _ = _reference(x, *weights, rec_act=numpy_fn)
    np.testing.assert_allclose(layer(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5)
    default, _, _ = _reference(x, *weights)
    assert np.abs(expected - default).max() > 1e-3  # the activation really changed the result


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradients_reach_every_weight(rng, activation):
    layer = _built(_random_weights(rng), activation=activation)
    x = torch.from_numpy(rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    x.requires_grad_(True)
    layer(x).square().sum().backward()
    for param in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0):
        assert param.grad is not None and param.grad.abs().sum() > 0
    assert x.grad.abs().sum() > 0


# ---------------------------------------------------------------------------------- torch


def test_state_dict_loads_into_torch_lstm(rng):
    layer = _built(_random_weights(rng), return_sequences=True, return_state=True)
    reference = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    reference.load_state_dict(layer.state_dict())
    x = torch.from_numpy(rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    seq, (h, c) = reference(x)
    ours = layer(x)
    torch.testing.assert_close(ours[0], seq)
    torch.testing.assert_close(ours[1], h[0])
    torch.testing.assert_close(ours[2], c[0])


def test_torch_state_dict_with_recurrent_bias_is_folded(rng):
    reference = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    layer = _built(return_sequences=True)
    layer.load_state_dict(reference.state_dict())
    assert not layer.bias_hh_l0.any()
    expected_bias = (reference.bias_ih_l0 + reference.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(layer.get_weights()[2], expected_bias, atol=1e-7)
    x = torch.from_numpy(rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    torch.testing.assert_close(layer(x), reference(x)[0])


# -------------------------------------------------------------------------------- masking


def _masked_models(lib_layers, mask_zero):
    """The same Embedding -> LSTM stack as a Sequential and as a functional model."""
    embedding = lib_layers.Embedding(10, FEATURES, mask_zero=mask_zero)
    lstm = lib_layers.LSTM(UNITS)
    sequential = keras.Sequential([keras.Input(shape=(STEPS,), dtype="int64"), embedding, lstm])
    inputs = keras.Input(shape=(STEPS,), dtype="int64")
    functional = keras.Model(inputs, lstm(embedding(inputs)))
    return sequential, functional


def test_mask_from_embedding_reaches_lstm_in_sequential_and_functional():
    masked_seq, masked_fn = _masked_models(keras.layers, mask_zero=True)
    plain_seq, _ = _masked_models(keras.layers, mask_zero=False)
    plain_seq.set_weights(masked_seq.get_weights())
    right_padded = np.array([[3, 1, 4, 0, 0, 0], [2, 7, 1, 8, 2, 8]])
    left_padded = np.array([[0, 0, 0, 3, 1, 4], [2, 7, 1, 8, 2, 8]])
    unpadded = np.array([[3, 1, 4]])
    for model in (masked_seq, masked_fn):
        right = model.predict(right_padded, verbose=0)
        left = model.predict(left_padded, verbose=0)
        alone = model.predict(unpadded, verbose=0)
        # Keras semantics: masked steps keep the state and repeat the last output, so padding
        # on either side gives the result of the unpadded sequence.
        np.testing.assert_allclose(right[0], alone[0], atol=1e-6)
        np.testing.assert_allclose(left[0], alone[0], atol=1e-6)
        np.testing.assert_allclose(right[1], left[1], atol=1e-6)
    unmasked = plain_seq.predict(right_padded, verbose=0)
    assert np.abs(unmasked[0] - masked_seq.predict(right_padded, verbose=0)[0]).max() > 1e-4
    np.testing.assert_allclose(unmasked[1], masked_seq.predict(right_padded, verbose=0)[1], atol=1e-6)


def test_masked_sequence_outputs_follow_keras3_rules(rng):
    weights = _random_weights(rng)
    x = torch.from_numpy(rng.standard_normal((1, STEPS, FEATURES)).astype("float32"))
    mask = torch.tensor([[False, True, True, False, True, False]])
    layer = _built(weights, return_sequences=True)
    out = layer(x, mask=mask)[0]
    assert not out[0].any()  # before the first unmasked step: zeros
    torch.testing.assert_close(out[3], out[2])  # masked step repeats the previous output
    torch.testing.assert_close(out[5], out[4])
    compact = layer(x[:, mask[0]])[0]  # the unmasked steps alone, in order
    torch.testing.assert_close(out[[1, 2, 4]], compact, atol=1e-6, rtol=0)

    zeroed = _built(weights, return_sequences=True, zero_output_for_mask=True)(x, mask=mask)[0]
    assert not zeroed[[0, 3, 5]].any()
    torch.testing.assert_close(zeroed[[1, 2, 4]], compact, atol=1e-6, rtol=0)

    backwards = _built(weights, return_sequences=True, go_backwards=True)(x, mask=mask)[0]
    reversed_compact = layer(x[:, mask[0]].flip(1))[0]
    torch.testing.assert_close(backwards[[1, 3, 4]], reversed_compact, atol=1e-6, rtol=0)


def test_lstm_propagates_mask_only_with_return_sequences():
    x = Embedding(10, 3, mask_zero=True)(keras.Input(shape=(5,), dtype="int32"))
    assert LSTM(2, return_sequences=True)(x)._keras_mask is not None
    assert getattr(LSTM(2)(x), "_keras_mask", None) is None
    outputs = LSTM(2, return_sequences=True, return_state=True)(x)
    assert outputs[0]._keras_mask is not None
    assert all(getattr(t, "_keras_mask", None) is None for t in outputs[1:])


# ------------------------------------------------------------------------------ stateful


def test_stateful_continues_across_calls_and_resets(rng):
    weights = _random_weights(rng)
    x = torch.from_numpy(rng.standard_normal((2, 2 * STEPS, FEATURES)).astype("float32"))
    model = keras.Sequential(
        [LSTM(UNITS, stateful=True, return_sequences=True, batch_input_shape=(2, STEPS, FEATURES))]
    )
    model.set_weights(weights)
    layer = model.layers[0]
    whole = _built(weights, return_sequences=True)(x).detach()
    first = model.predict(x[:, :STEPS], verbose=0)
    second = model.predict(x[:, STEPS:], verbose=0)
    np.testing.assert_allclose(np.concatenate([first, second], 1), whole.numpy(), atol=1e-6)
    np.testing.assert_allclose(layer.states[0].numpy(), whole[:, -1].numpy(), atol=1e-6)

    layer.reset_states()
    assert not layer.state_h.any() and not layer.state_c.any()
    np.testing.assert_allclose(model.predict(x[:, :STEPS], verbose=0), first, atol=1e-6)
    # The kept states are neither weights nor state_dict entries (Keras doesn't save them).
    assert len(model.get_weights()) == 3
    assert not any("state" in key for key in model.state_dict())


def test_stateful_set_states_and_initial_state(rng):
    weights = _random_weights(rng)
    x = torch.from_numpy(rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    h0 = torch.from_numpy(rng.standard_normal((2, UNITS)).astype("float32"))
    c0 = torch.from_numpy(rng.standard_normal((2, UNITS)).astype("float32"))
    expected = _built(weights)(x, initial_state=[h0, c0])
    assert (expected - _built(weights)(x)).abs().max() > 1e-4
    stateful = LSTM(UNITS, stateful=True)
    stateful.build((2, STEPS, FEATURES))
    stateful.set_weights(weights)
    stateful.reset_states([h0.numpy(), c0.numpy()])
    torch.testing.assert_close(stateful(x), expected)


def test_stateful_gradients_survive_state_updates(rng):
    layer = _built(_random_weights(rng), stateful=True, batch=2)
    layer.train()
    x = torch.from_numpy(rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    first = layer(x)
    second = layer(x)
    (first.sum() + second.sum()).backward()  # the in-place state update broke no graph
    assert layer.weight_hh_l0.grad.abs().sum() > 0


def test_stateful_errors():
    with pytest.raises(ValueError, match="batch size must be static"):
        keras.Sequential([LSTM(2, stateful=True, input_shape=(STEPS, FEATURES))])
    layer = _built(stateful=True, batch=2)
    with pytest.raises(ValueError, match="Expected batch size: 2"):
        layer(torch.zeros(3, STEPS, FEATURES))
    assert _built().states is None
    with pytest.raises(AttributeError, match="stateful"):
        _built().reset_states([np.zeros((2, UNITS))] * 2)


# ------------------------------------------------------------------------------- dropout


def test_dropout_uses_one_input_mask_per_sequence():
    units = 8
    layer = LSTM(units, dropout=0.5, return_sequences=True)
    layer.build((None, STEPS, units))
    big = 30.0
    # Gates saturated (i = o = 1, f = 0) and the cell candidate reads input j only: each
    # output unit then shows whether input feature j was dropped at that step.
    bias = np.r_[np.full(units, big), np.full(units, -big), np.zeros(units), np.full(units, big)]
    kernel = np.zeros((units, 4 * units), dtype="float32")
    kernel[:, 2 * units : 3 * units] = np.eye(units)
    layer.set_weights([kernel, np.zeros((units, 4 * units), "float32"), bias.astype("float32")])
    x = torch.ones(16, STEPS, units)
    kept = layer(x, training=True).abs() > 1e-4
    assert kept.any() and not kept.all()
    assert (kept == kept[:, :1]).all()  # the same features dropped at every step
    assert not layer(x).eq(0).any()  # inference: no dropout


def test_dropout_seed_and_recurrent_dropout(rng):
    weights = _random_weights(rng)
    x = torch.from_numpy(rng.standard_normal((4, STEPS, FEATURES)).astype("float32"))
    outs = []
    for _ in range(2):
        layer = _built(weights, dropout=0.3, recurrent_dropout=0.3, seed=7)
        assert layer.implementation == 1  # Keras switches to per-gate masks
        outs.append(layer(x, training=True))
    torch.testing.assert_close(outs[0], outs[1])
    inference = _built(weights, dropout=0.3, recurrent_dropout=0.3)(x)
    torch.testing.assert_close(inference, _built(weights)(x))
    assert (outs[0] - inference).abs().max() > 1e-3


# -------------------------------------------------------------------- config and errors


def test_config_round_trip_and_keras_keys():
    layer = LSTM(
        5,
        recurrent_activation="hard_sigmoid",
        return_sequences=True,
        go_backwards=True,
        dropout=0.1,
        kernel_regularizer="l2",
        name="enc",
    )
    config = layer.get_config()
    assert "time_major" not in config and "implementation" not in config
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert config["recurrent_activation"] == "hard_sigmoid"
    clone = LSTM.from_config(config)
    assert clone.get_config() == config


def test_accepts_keras2_and_keras3_only_arguments():
    layer = LSTM(
        3,
        time_major=False,
        implementation=1,
        unroll=True,
        use_cudnn=False,
        zero_output_for_mask=True,
        seed=1,
    )
    assert layer.get_config()["zero_output_for_mask"] is True
    assert LSTM(3, time_major=True).get_config()["time_major"] is True


def test_errors_are_clear():
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="ndim|rank|dim"):
        LSTM(2)(keras.Input(shape=(5,)))
    layer = _built()
    with pytest.raises(ValueError, match="2 initial states"):
        layer(torch.zeros(2, STEPS, FEATURES), initial_state=[torch.zeros(2, UNITS)])
    with pytest.raises(ValueError, match=r"expected \(2, 4\)"):
        layer(torch.zeros(2, STEPS, FEATURES), initial_state=[torch.zeros(2, 3)] * 2)


def test_symbolic_initial_state_in_functional_model(rng):
    sequence = keras.Input(shape=(STEPS, FEATURES))
    context = keras.Input(shape=(2,))
    h0 = Dense(UNITS)(context)
    c0 = Dense(UNITS)(context)
    model = keras.Model([sequence, context], LSTM(UNITS)(sequence, initial_state=[h0, c0]))
    assert model.output_shape == (None, UNITS)
    x = rng.standard_normal((3, STEPS, FEATURES)).astype("float32")
    a = model.predict([x, np.zeros((3, 2), "float32")], verbose=0)
    b = model.predict([x, np.ones((3, 2), "float32")], verbose=0)
    assert np.abs(a - b).max() > 1e-4


def test_regularizer_penalties():
    layer = _built(kernel_regularizer="l2", recurrent_regularizer="l1")
    assert len(layer.losses) == 2


def test_tf_keras_style_list_of_sequence_and_states(rng):
    """tf.keras files record ``lstm(x, initial_state=[h, c])`` as a call on ``[x, h, c]``."""
    layer = _built(_random_weights(rng), return_sequences=True)
    x = torch.from_numpy(rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    h0, c0 = torch.ones(2, UNITS), torch.full((2, UNITS), -1.0)
    torch.testing.assert_close(layer([x, h0, c0]), layer(x, initial_state=[h0, c0]))
    sequence = keras.Input(shape=(STEPS, FEATURES))
    h, c = keras.Input(shape=(UNITS,)), keras.Input(shape=(UNITS,))
    fresh = LSTM(UNITS, return_sequences=True)
    assert fresh([sequence, h, c]).shape == (None, STEPS, UNITS)
    assert fresh.count_params() == layer.count_params()
