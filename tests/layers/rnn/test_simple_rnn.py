import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import SimpleRNN, SimpleRNNCell
from kerasish.layers.rnn import loop

UNITS, FEATURES, STEPS = 4, 3, 5


def _reference(x, kernel, recurrent, bias, activation=np.tanh, go_backwards=False):
    if go_backwards:
        x = x[:, ::-1]
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = activation(x[:, t] @ kernel + bias + h @ recurrent)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def _weights(rng):
    return [
        rng.standard_normal((FEATURES, UNITS)).astype("float32") * 0.5,
        rng.standard_normal((UNITS, UNITS)).astype("float32") * 0.5,
        rng.standard_normal((UNITS,)).astype("float32") * 0.5,
    ]


def _built(weights=None, batch=None, **kwargs):
    layer = SimpleRNN(UNITS, **kwargs)
    layer.build((batch, STEPS, FEATURES))
    if weights is not None:
        layer.set_weights(weights)
    return layer


def _x(rng, batch=2):
    return torch.from_numpy(rng.standard_normal((batch, STEPS, FEATURES)).astype("float32"))


@pytest.mark.parametrize(
    "activation, numpy_fn",
    [("tanh", np.tanh), ("relu", lambda v: np.maximum(v, 0)), ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))],
)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_reference_formulas(rng, activation, numpy_fn, go_backwards):
    weights = _weights(rng)
    x = _x(rng)
    layer = _built(
        weights, activation=activation, go_backwards=go_backwards,
        return_sequences=True, return_state=True,
    )
    sequence, h = layer(x)
    ref_sequence, ref_h = _reference(x.numpy(), *weights, numpy_fn, go_backwards)
    np.testing.assert_allclose(sequence.detach().numpy(), ref_sequence, atol=1e-5)
    np.testing.assert_allclose(h.detach().numpy(), ref_h, atol=1e-5)


def test_shapes_params_and_keras_layout(rng):
    weights = _weights(rng)
    layer = _built(weights)
    assert layer.count_params() == FEATURES * UNITS + UNITS * UNITS + UNITS
    assert layer(keras.Input((STEPS, FEATURES))).shape == (None, UNITS)
    outputs = SimpleRNN(UNITS, return_sequences=True, return_state=True)(keras.Input((STEPS, FEATURES)))
    assert [t.shape for t in outputs] == [(None, STEPS, UNITS), (None, UNITS)]
    np.testing.assert_array_equal(layer.weight_ih_l0.detach().numpy(), weights[0].T)
    np.testing.assert_array_equal(layer.recurrent_kernel.detach().numpy(), weights[1])
    assert layer.kernel.data_ptr() == layer.weight_ih_l0.data_ptr()  # a view, not a copy


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_state_dict_round_trips_with_torch_rnn(rng, nonlinearity):
    layer = _built(_weights(rng), activation=nonlinearity, return_sequences=True)
    reference = torch.nn.RNN(FEATURES, UNITS, nonlinearity=nonlinearity, batch_first=True)
    reference.load_state_dict(layer.state_dict())
    x = _x(rng)
    torch.testing.assert_close(layer(x), reference(x)[0])
    fresh = torch.nn.RNN(FEATURES, UNITS, nonlinearity=nonlinearity, batch_first=True)
    layer.load_state_dict(fresh.state_dict())  # its non-zero bias_hh is folded into bias_ih
    assert not layer.bias_hh_l0.any()
    torch.testing.assert_close(layer(x), fresh(x)[0])


def test_fused_kernel_for_tanh_and_relu_only(rng, monkeypatch):
    def no_loop(*args, **kwargs):
        raise AssertionError("the Python loop ran")

    monkeypatch.setattr(loop, "run", no_loop)
    x = _x(rng)
    _built(activation="tanh")(x)
    _built(activation="relu", use_bias=False)(x)
    with pytest.raises(AssertionError, match="loop ran"):
        _built(activation="sigmoid")(x)
    with pytest.raises(AssertionError, match="loop ran"):
        _built()(x, mask=torch.ones(2, STEPS, dtype=torch.bool))


def test_python_loop_equals_fused_kernel(rng):
    weights = _weights(rng)
    x = _x(rng)
    fused = _built(weights, return_sequences=True)(x)
    looped = _built(weights, return_sequences=True, activation=lambda t: torch.tanh(t))(x)
    torch.testing.assert_close(looped, fused, atol=1e-6, rtol=0)


def test_masking_stateful_and_dropout(rng):
    weights = _weights(rng)
    x = _x(rng, batch=1)
    mask = torch.tensor([[True, False, True, True, False]])
    out = _built(weights, return_sequences=True)(x, mask=mask)[0]
    torch.testing.assert_close(out[1], out[0])
    zeroed = _built(weights, return_sequences=True, zero_output_for_mask=True)(x, mask=mask)[0]
    assert not zeroed[[1, 4]].any()

    stateful = _built(weights, batch=1, stateful=True)
    first = stateful(x)
    assert (stateful(x) - first).abs().max() > 1e-4  # the second call starts from the state
    stateful.reset_states()
    torch.testing.assert_close(stateful(x), first)

    layer = _built(weights, dropout=0.5, recurrent_dropout=0.5, seed=1)
    a = layer(_x(rng, 8), training=True)
    assert a.shape == (8, UNITS)
    torch.testing.assert_close(layer(x), _built(weights)(x))  # inference: no dropout


def test_cell_config_and_errors():
    cell = SimpleRNNCell(3, activation="relu", dropout=0.2)
    config = cell.get_config()
    assert SimpleRNNCell.from_config(config).get_config() == config
    layer_config = SimpleRNN(3, go_backwards=True, seed=2).get_config()
    assert SimpleRNN.from_config(layer_config).get_config() == layer_config
    assert "recurrent_activation" not in layer_config
    cell.build((None, 2))
    assert sorted(cell.state_dict()) == ["bias_hh", "bias_ih", "weight_hh", "weight_ih"]
    with pytest.raises(ValueError, match="units"):
        SimpleRNN(-1)
    with pytest.raises(ValueError, match="last dimension"):
        SimpleRNN(2).build((None, 3, None))
