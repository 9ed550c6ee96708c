import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import GRU, Embedding, GRUCell
from kerasish.layers.rnn import loop

UNITS, FEATURES, STEPS = 4, 3, 6


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _reference(x, kernel, recurrent, bias, reset_after=True, go_backwards=False, h=None):
    """Keras' GRU step formulas (gate order z, r, h) in numpy: (all outputs, last h)."""
    if go_backwards:
        x = x[:, ::-1]
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    if bias is None:
        bias = np.zeros((2, 3 * u)) if reset_after else np.zeros(3 * u)
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    outputs = []
    for t in range(x.shape[1]):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + b_in, 3, axis=1)
        if reset_after:
            r_z, r_r, r_h = np.split(h @ recurrent + b_rec, 3, axis=1)
            z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
            hh = np.tanh(x_h + r * r_h)
        else:
            r_z, r_r = np.split(h @ recurrent[:, : 2 * u], 2, axis=1)
            z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
            hh = np.tanh(x_h + (r * h) @ recurrent[:, 2 * u :])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def _random_weights(rng, reset_after=True, features=FEATURES, units=UNITS):
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    return [
        rng.standard_normal((features, 3 * units)).astype("float32") * 0.5,
        rng.standard_normal((units, 3 * units)).astype("float32") * 0.5,
        rng.standard_normal(bias_shape).astype("float32") * 0.5,
    ]


def _built(weights=None, batch=None, **kwargs):
    layer = GRU(UNITS, **kwargs)
    layer.build((batch, STEPS, FEATURES))
    if weights is not None:
        layer.set_weights(weights)
    return layer


def _x(rng, batch=2, steps=STEPS):
    return torch.from_numpy(rng.standard_normal((batch, steps, FEATURES)).astype("float32"))


# ------------------------------------------------------------------ shapes, params, weights


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, (None, UNITS)),
        ({"return_sequences": True}, (None, STEPS, UNITS)),
        ({"return_state": True}, [(None, UNITS), (None, UNITS)]),
        ({"return_sequences": True, "return_state": True}, [(None, STEPS, UNITS), (None, UNITS)]),
    ],
)
def test_output_shapes_symbolic_and_eager(kwargs, expected):
    layer = GRU(UNITS, **kwargs)
    outputs = layer(keras.Input(shape=(STEPS, FEATURES)))
    if isinstance(expected, list):
        assert [t.shape for t in outputs] == expected
    else:
        assert outputs.shape == expected
    eager = layer(np.zeros((2, STEPS, FEATURES), dtype="float32"))
    shapes = [tuple(t.shape) for t in eager] if isinstance(eager, list) else tuple(eager.shape)
    fill = lambda s: tuple(2 if d is None else d for d in s)  # noqa: E731
    assert shapes == ([fill(s) for s in expected] if isinstance(expected, list) else fill(expected))


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_param_count_and_weight_shapes(reset_after, use_bias):
    layer = _built(reset_after=reset_after, use_bias=use_bias)
    u, n = UNITS, FEATURES
    bias_params = (6 * u if reset_after else 3 * u) if use_bias else 0
    assert layer.count_params() == 3 * (n * u + u * u) + bias_params
    shapes = [w.shape for w in layer.weights]
    expected = [(n, 3 * u), (u, 3 * u)]
    if use_bias:
        expected.append((2, 3 * u) if reset_after else (3 * u,))
    assert shapes == expected
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"][: len(expected)]


def test_torch_weights_are_keras_weights_with_z_and_r_swapped(rng):
    weights = _random_weights(rng)
    layer = _built(weights)
    u = UNITS
    kernel, recurrent, bias = weights
    swap = np.r_[np.arange(u, 2 * u), np.arange(u), np.arange(2 * u, 3 * u)]
    np.testing.assert_array_equal(layer.weight_ih_l0.detach().numpy(), kernel[:, swap].T)
    np.testing.assert_array_equal(layer.weight_hh_l0.detach().numpy(), recurrent[:, swap].T)
    state = layer.state_dict()
    assert list(state) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    np.testing.assert_array_equal(state["bias_ih_l0"].numpy(), bias[0, swap])
    np.testing.assert_array_equal(state["bias_hh_l0"].numpy(), bias[1, swap])
    for got, expected in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(layer.kernel.detach().numpy(), kernel)
    np.testing.assert_array_equal(layer.cell.bias.detach().numpy(), bias)


def test_initializers_follow_keras():
    layer = _built()
    kernel, recurrent, bias = layer.get_weights()
    assert not bias.any()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(UNITS), atol=1e-5)
    limit = np.sqrt(6 / (FEATURES + 3 * UNITS))
    assert np.abs(kernel).max() <= limit and kernel.std() > limit / 4


# ------------------------------------------------------------------------------- numerics


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_reference_formulas(rng, reset_after, go_backwards):
    weights = _random_weights(rng, reset_after)
    x = _x(rng)
    layer = _built(
        weights,
        reset_after=reset_after,
        go_backwards=go_backwards,
        return_sequences=True,
        return_state=True,
    )
    sequence, h = layer(x)
    ref_sequence, ref_h = _reference(x.numpy(), *weights, reset_after, go_backwards)
    np.testing.assert_allclose(sequence.detach().numpy(), ref_sequence, atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), ref_h, atol=1e-5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_without_bias_matches_reference(rng, reset_after):
    weights = _random_weights(rng, reset_after)[:2]
    x = _x(rng)
    layer = _built(weights, reset_after=reset_after, use_bias=False)
    expected = _reference(x.numpy(), *weights, None, reset_after)[1]
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, atol=1e-5)


def test_fused_kernel_runs_when_configuration_allows(rng, monkeypatch):
    def no_loop(*args, **kwargs):
        raise AssertionError("the Python loop ran")

    monkeypatch.setattr(loop, "run", no_loop)
    x = _x(rng)
    for kwargs in ({}, {"go_backwards": True, "return_sequences": True}, {"use_bias": False}):
        _built(**kwargs)(x)  # the fused kernel: no loop
    dropout = _built(dropout=0.5)
    dropout(x, training=True)  # one input mask per sequence still fits the fused kernel
    for kwargs in ({"reset_after": False}, {"recurrent_activation": "hard_sigmoid"},
                   {"use_cudnn": False}):
        with pytest.raises(AssertionError, match="loop ran"):
            _built(**kwargs)(x)
    with pytest.raises(AssertionError, match="loop ran"):
        _built()(x, mask=torch.ones(2, STEPS, dtype=torch.bool))
    with pytest.raises(AssertionError, match="loop ran"):
        _built(recurrent_dropout=0.5)(x, training=True)


def test_python_loop_equals_fused_kernel(rng):
    weights = _random_weights(rng)
    x = _x(rng, batch=3)
    fused = _built(weights, return_sequences=True)
    looped = _built(weights, return_sequences=True, use_cudnn=False)
    torch.testing.assert_close(looped(x), fused(x), atol=1e-6, rtol=0)


def test_use_cudnn_true_refuses_configurations_without_fused_kernel(rng):
    with pytest.raises(ValueError, match="use_cudnn=True"):
        _built(reset_after=False, use_cudnn=True)(_x(rng))
    _built(use_cudnn=True)(_x(rng))
    with pytest.raises(ValueError, match="use_cudnn"):
        GRU(2, use_cudnn="yes")


@pytest.mark.parametrize("reset_after", [True, False])
def test_gradients_reach_every_weight(rng, reset_after):
    layer = _built(_random_weights(rng, reset_after), reset_after=reset_after)
    x = _x(rng).requires_grad_(True)
    layer(x).square().sum().backward()
    for param in layer.parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0
    assert x.grad.abs().sum() > 0


# ---------------------------------------------------------------------------------- torch


def test_state_dict_round_trips_with_torch_gru(rng):
    layer = _built(_random_weights(rng), return_sequences=True, return_state=True)
    reference = torch.nn.GRU(FEATURES, UNITS, batch_first=True)
    reference.load_state_dict(layer.state_dict())
    x = _x(rng)
    sequence, h = reference(x)
    ours = layer(x)
    torch.testing.assert_close(ours[0], sequence)
    torch.testing.assert_close(ours[1], h[0])

    fresh = torch.nn.GRU(FEATURES, UNITS, batch_first=True)
    layer.load_state_dict(fresh.state_dict())
    torch.testing.assert_close(layer(x)[0], fresh(x)[0])


def test_reset_before_state_dict_holds_only_the_input_bias(rng):
    layer = _built(_random_weights(rng, reset_after=False), reset_after=False)
    state = layer.state_dict()
    assert list(state) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0"]
    clone = _built(reset_after=False)
    clone.load_state_dict(state)
    for got, expected in zip(clone.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(got, expected)


# -------------------------------------------------------------------------------- masking


@pytest.mark.parametrize("reset_after", [True, False])
def test_masked_steps_keep_the_state(rng, reset_after):
    weights = _random_weights(rng, reset_after)
    x = _x(rng, batch=1)
    mask = torch.tensor([[False, True, True, False, True, False]])
    layer = _built(weights, reset_after=reset_after, return_sequences=True)
    out = layer(x, mask=mask)[0]
    assert not out[0].any()
    torch.testing.assert_close(out[3], out[2])
    torch.testing.assert_close(out[5], out[4])
    compact = layer(x[:, mask[0]])[0]
    torch.testing.assert_close(out[[1, 2, 4]], compact, atol=1e-6, rtol=0)


def test_mask_from_embedding_gives_the_unpadded_result():
    tokens = keras.Input(shape=(STEPS,), dtype="int64")
    model = keras.Model(tokens, GRU(UNITS)(Embedding(10, FEATURES, mask_zero=True)(tokens)))
    padded = model.predict(np.array([[0, 0, 3, 1, 4, 0]]), verbose=0)
    alone = model.predict(np.array([[3, 1, 4]]), verbose=0)
    np.testing.assert_allclose(padded, alone, atol=1e-6)


# ------------------------------------------------------------------------------ stateful


def test_stateful_continues_across_calls_and_resets(rng):
    weights = _random_weights(rng)
    x = _x(rng, steps=2 * STEPS)
    layer = _built(weights, batch=2, stateful=True, return_sequences=True)
    whole = _built(weights, return_sequences=True)(x).detach()
    first = layer(x[:, :STEPS]).detach()
    second = layer(x[:, STEPS:]).detach()
    torch.testing.assert_close(torch.cat([first, second], 1), whole, atol=1e-6, rtol=0)
    torch.testing.assert_close(layer.states[0], whole[:, -1], atol=1e-6, rtol=0)
    layer.reset_states()
    assert not layer.state_h.any()
    assert "state_h" not in layer.state_dict()


def test_initial_state_and_state_errors(rng):
    weights = _random_weights(rng)
    x = _x(rng)
    h0 = torch.from_numpy(rng.standard_normal((2, UNITS)).astype("float32"))
    _, ref_h = _reference(x.numpy(), *weights, h=h0.numpy().astype("float64"))
    layer = _built(weights, return_state=True)
    _, h = layer(x, initial_state=[h0])
    np.testing.assert_allclose(h.detach().numpy(), ref_h, atol=1e-5)
    torch.testing.assert_close(layer(x, initial_state=h0)[1], h)
    with pytest.raises(ValueError, match="expects 1 initial state"):
        layer(x, initial_state=[h0, h0])
    with pytest.raises(ValueError, match=r"expected \(2, 4\)"):
        layer(x, initial_state=[torch.zeros(2, 3)])


# ------------------------------------------------------------------------------- dropout


def test_dropout_masks_are_per_sequence_and_seeded(rng):
    weights = _random_weights(rng)
    x = _x(rng, batch=4)
    outs = []
    for _ in range(2):
        layer = _built(weights, dropout=0.3, recurrent_dropout=0.3, seed=3)
        assert layer.implementation == 1
        outs.append(layer(x, training=True))
    torch.testing.assert_close(outs[0], outs[1])
    inference = _built(weights, dropout=0.3, recurrent_dropout=0.3)(x)
    torch.testing.assert_close(inference, _built(weights)(x))
    assert (outs[0] - inference).abs().max() > 1e-3


# ------------------------------------------------------------------------------- the cell


def test_gru_cell_matches_the_layer_step_by_step(rng):
    weights = _random_weights(rng)
    cell = GRUCell(UNITS)
    cell.build((None, FEATURES))
    cell.set_weights(weights)
    assert sorted(cell.state_dict()) == ["bias_hh", "bias_ih", "weight_hh", "weight_ih"]
    reference = torch.nn.GRUCell(FEATURES, UNITS)
    reference.load_state_dict(cell.state_dict())
    x = _x(rng)
    h = torch.zeros(2, UNITS)
    for t in range(STEPS):
        out, (h,) = cell(x[:, t], [h])
        torch.testing.assert_close(out, h)
    expected = _built(weights)(x)
    torch.testing.assert_close(h, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(reference(x[:, 0]), cell(x[:, 0], torch.zeros(2, UNITS))[0])


# -------------------------------------------------------------------- config and errors


def test_config_round_trip():
    layer = GRU(
        5,
        reset_after=False,
        recurrent_activation="hard_sigmoid",
        return_sequences=True,
        go_backwards=True,
        dropout=0.1,
        kernel_regularizer="l2",
        seed=4,
        name="enc",
    )
    config = layer.get_config()
    assert config["reset_after"] is False and config["seed"] == 4
    assert "time_major" not in config and "implementation" not in config
    clone = GRU.from_config(config)
    assert clone.get_config() == config
    cell_config = GRUCell(3, reset_after=False).get_config()
    assert GRUCell.from_config(cell_config).get_config() == cell_config


def test_keras2_arguments_and_errors():
    GRU(3, time_major=False, implementation=1, unroll=True)
    assert GRU(3, time_major=True).time_major is True
    with pytest.raises(ValueError, match="units"):
        GRU(0)
    with pytest.raises(ValueError, match="ndim=3"):
        GRU(2)(keras.Input(shape=(5,)))
    with pytest.raises(ValueError, match="batch size must be static"):
        GRU(2, stateful=True)(keras.Input(shape=(STEPS, FEATURES)))


def test_eager_calls_of_a_built_layer_check_the_input_shape(rng):
    layer = _built()
    with pytest.raises(ValueError, match=r'"gru".*axis -1.*value 3.*\(2, 6, 5\)'):
        layer(torch.zeros(2, STEPS, 5))
    with pytest.raises(ValueError, match=r'"gru".*ndim=3.*\(2, 6\)'):
        layer(torch.zeros(2, STEPS))
