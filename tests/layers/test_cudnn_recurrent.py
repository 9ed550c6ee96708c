import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import LSTM, Bidirectional, CuDNNGRU, CuDNNLSTM, Masking

UNITS, FEATURES, STEPS = 3, 2, 5

# Keras 2.2.5's CuDNNLSTM.get_config keys (CuDNNGRU: the same without unit_forget_bias).
KERAS2_LSTM_KEYS = {
    "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful",
    "units", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias",
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint",
}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gate_matrices(kernel, gates):
    """Each gate's slice, row-major, read as cuDNN's (units, n) matrix."""
    units = kernel.shape[1] // gates
    return [kernel[:, g * units:(g + 1) * units].reshape(units, kernel.shape[0]) for g in range(gates)]


def _cudnn_lstm(x, kernel, recurrent, bias, go_backwards=False):
    """cuDNN's LSTM equations with Keras 2's slices: (outputs, h, c)."""
    u = recurrent.shape[0]
    W, R = _gate_matrices(kernel, 4), _gate_matrices(recurrent, 4)
    b_w, b_r = bias[: 4 * u].reshape(4, u), bias[4 * u:].reshape(4, u)
    x = x[:, ::-1] if go_backwards else x
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = [x[:, t] @ W[g].T + b_w[g] + h @ R[g].T + b_r[g] for g in range(4)]
        c = _sigmoid(z[1]) * c + _sigmoid(z[0]) * np.tanh(z[2])
        h = _sigmoid(z[3]) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), h, c


def _cudnn_gru(x, kernel, recurrent, bias):
    u = recurrent.shape[0]
    W, R = _gate_matrices(kernel, 3), _gate_matrices(recurrent, 3)
    b_w, b_r = bias[: 3 * u].reshape(3, u), bias[3 * u:].reshape(3, u)
    h = np.zeros((x.shape[0], u))
    outputs = []
    for t in range(x.shape[1]):
        z = _sigmoid(x[:, t] @ W[0].T + b_w[0] + h @ R[0].T + b_r[0])
        r = _sigmoid(x[:, t] @ W[1].T + b_w[1] + h @ R[1].T + b_r[1])
        h = (1 - z) * np.tanh(x[:, t] @ W[2].T + b_w[2] + r * (h @ R[2].T + b_r[2])) + z * h
        outputs.append(h)
    return np.stack(outputs, 1), h


def _randomized(layer, rng):
    if not layer.built:
        layer.build((None, STEPS, FEATURES))
    values = [rng.uniform(-0.8, 0.8, size=w.shape) for w in layer.get_weights()]
    layer.set_weights(values)
    return values


def _x(rng, batch=2):
    return rng.normal(size=(batch, STEPS, FEATURES)).astype("float32")


def test_cudnn_lstm_weights_are_keras2_shapes_and_torch_lstm_parameters(rng):
    layer = CuDNNLSTM(UNITS)
    layer.build((None, STEPS, FEATURES))
    assert [tuple(w.shape) for w in layer.get_weights()] == [(2, 12), (3, 12), (24,)]
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert list(layer.state_dict()) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    _randomized(layer, rng)
    torch_lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    torch_lstm.load_state_dict(layer.state_dict())
    x = _x(rng)
    expected = torch_lstm(torch.from_numpy(x))[1][0][0].detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_cudnn_lstm_computes_cudnn_equations(rng, go_backwards):
    layer = CuDNNLSTM(UNITS, return_sequences=True, return_state=True, go_backwards=go_backwards)
    kernel, recurrent, bias = _randomized(layer, rng)
    x = _x(rng)
    sequence, h, c = (t.detach().numpy() for t in layer(x))
    ref_sequence, ref_h, ref_c = _cudnn_lstm(x.astype("float64"), kernel, recurrent, bias, go_backwards)
    np.testing.assert_allclose(sequence, ref_sequence, atol=1e-6)
    np.testing.assert_allclose(h, ref_h, atol=1e-6)
    np.testing.assert_allclose(c, ref_c, atol=1e-6)


def test_cudnn_gru_computes_cudnn_equations_and_is_torch_gru(rng):
    layer = CuDNNGRU(UNITS, return_sequences=True)
    kernel, recurrent, bias = _randomized(layer, rng)
    assert [k.shape for k in (kernel, recurrent, bias)] == [(2, 9), (3, 9), (18,)]
    x = _x(rng)
    output = layer(x).detach().numpy()
    np.testing.assert_allclose(output, _cudnn_gru(x.astype("float64"), kernel, recurrent, bias)[0], atol=1e-6)
    torch_gru = torch.nn.GRU(FEATURES, UNITS, batch_first=True)
    torch_gru.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(torch_gru(torch.from_numpy(x))[0].detach().numpy(), output, atol=1e-6)


@pytest.mark.parametrize("cls", [CuDNNLSTM, CuDNNGRU])
def test_step_loop_agrees_with_the_fused_kernel(rng, cls):
    layer = cls(UNITS, return_sequences=True)
    _randomized(layer, rng)
    x = _x(rng)
    fused = layer(x).detach().numpy()
    layer.use_cudnn = False  # the per-step loop sees both biases too
    np.testing.assert_allclose(layer(x).detach().numpy(), fused, atol=1e-6)


def test_state_dict_round_trip_keeps_the_two_lstm_biases(rng):
    layer = CuDNNLSTM(UNITS)
    _, _, bias = _randomized(layer, rng)
    other = CuDNNLSTM(UNITS)
    other.build((None, STEPS, FEATURES))
    other.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(other.get_weights()[2], bias, atol=1e-7)
    # A torch.nn.LSTM's state_dict loads too, biases kept apart.
    torch_lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    other.load_state_dict(torch_lstm.state_dict())
    np.testing.assert_allclose(other.get_weights()[2][4 * UNITS:], torch_lstm.bias_hh_l0.detach().numpy())


def test_unit_forget_bias_sets_the_recurrent_forget_slice():
    layer = CuDNNLSTM(2)
    layer.build((None, 4, 3))
    expected = np.zeros(16, dtype="float32")
    expected[10:12] = 1.0  # Keras 2.2.5: [init(5u), ones(u), init(2u)]
    np.testing.assert_array_equal(layer.get_weights()[2], expected)
    layer = CuDNNLSTM(2, unit_forget_bias=False, bias_initializer="ones")
    layer.build((None, 4, 3))
    np.testing.assert_array_equal(layer.get_weights()[2], np.ones(16, dtype="float32"))


@pytest.mark.parametrize("cls", [CuDNNLSTM, CuDNNGRU])
def test_config_is_keras2s_and_round_trips(cls):
    layer = cls(4, return_sequences=True, go_backwards=True, name="cudnn")
    config = layer.get_config()
    expected = KERAS2_LSTM_KEYS if cls is CuDNNLSTM else KERAS2_LSTM_KEYS - {"unit_forget_bias"}
    assert set(config) == expected
    again = cls.from_config(config)
    assert again.get_config() == config
    assert keras.models.model_from_config({"class_name": cls.__name__, "config": config}).go_backwards


def test_default_names_are_keras2s():
    assert CuDNNLSTM(2).name == "cu_dnnlstm"
    assert CuDNNGRU(2).name == "cu_dnngru"


@pytest.mark.parametrize("cls", [CuDNNLSTM, CuDNNGRU])
def test_arguments_cudnn_layers_never_had_are_refused(cls):
    for argument in ({"dropout": 0.5}, {"activation": "relu"}, {"use_bias": False}):
        with pytest.raises(ValueError, match=f"Unrecognized keyword arguments passed to {cls.__name__}"):
            cls(2, **argument)


def test_masks_are_refused_as_in_keras2(rng):
    inputs = keras.Input(shape=(STEPS, FEATURES))
    model = keras.Model(inputs, CuDNNLSTM(2)(Masking()(inputs)))
    with pytest.raises(ValueError, match="Masking is not supported for CuDNN RNNs"):
        model.predict(_x(rng), verbose=0)


def test_bidirectional_cudnn_lstm_trains_both_biases(rng):
    model = keras.Sequential([Bidirectional(CuDNNLSTM(UNITS), input_shape=(STEPS, FEATURES)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(_x(rng, 4), rng.normal(size=(4, 1)).astype("float32"), epochs=1, verbose=0)
    after = model.get_weights()
    forward_bias_before, forward_bias_after = before[2], after[2]
    changed = forward_bias_after != forward_bias_before
    assert changed[: 4 * UNITS].any() and changed[4 * UNITS:].any()


def test_plain_lstm_with_converted_weights_matches(rng):
    """The math the weight conversion relies on: a CuDNNLSTM is an LSTM (sigmoid gates) whose
    bias is the sum of its two biases and whose kernels are cuDNN's matrices, transposed."""
    cudnn = CuDNNLSTM(UNITS)
    kernel, recurrent, bias = _randomized(cudnn, rng)
    plain = LSTM(UNITS, recurrent_activation="sigmoid")
    plain.build((None, STEPS, FEATURES))
    plain.set_weights([
        np.hstack([w.T for w in _gate_matrices(kernel, 4)]),
        np.hstack([w.T for w in _gate_matrices(recurrent, 4)]),
        bias[:12] + bias[12:],
    ])
    x = _x(rng)
    np.testing.assert_allclose(plain(x).detach().numpy(), cudnn(x).detach().numpy(), atol=1e-6)
