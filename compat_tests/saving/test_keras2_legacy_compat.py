"""Keras 1.2.2 and Keras 2.2.5 files that Keras 3 no longer reads: CuDNN layers, Keras 1
per-gate weights and ``dim_ordering="th"`` kernels, Theano kernels.

The files (``compat_tests/fixtures/keras2_legacy``) are written by
``compat_tests/fixtures/make_keras2_legacy_fixtures.py`` in those versions' HDF5 layouts. The
expected outputs are computed here in float64 NumPy from the stored arrays, read in their
original layouts with the original formulas (cuDNN's equations with separate biases, Keras 1's
per-gate LSTM/GRU, Theano's convolution), never through kerasish's conversions.
"""

import gzip
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerasish
from kerasish import layers as L

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras2_legacy"
ATOL = 1e-5


def _file(name, tmp_path):
    target = tmp_path / name
    with gzip.open(FIXTURES / f"{name}.gz", "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


class Stored:
    """The arrays of a Keras 1/2 HDF5 file, as float64, by layer and weight name."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            root = f["model_weights"] if "model_weights" in f else f
            self.values = {}
            for layer in root.attrs["layer_names"]:
                group = root[layer.decode()]
                for name in group.attrs["weight_names"]:
                    self.values[name.decode()] = np.asarray(group[name.decode()], dtype="float64")

    def __getitem__(self, name):
        return self.values[name]


# ------------------------------------------------------------------ float64 references


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def keras2_hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def cudnn_gate_matrices(kernel, units, gates):
    """cuDNN reads each gate's slice of a Keras 2 CuDNN kernel, flattened row-major, as the
    (units, n) matrix that multiplies the input (Keras 2's ``_canonical_to_params``)."""
    n = kernel.shape[0]
    return [kernel[:, g * units:(g + 1) * units].reshape(-1).reshape(units, n) for g in range(gates)]


def cudnn_lstm(x, kernel, recurrent_kernel, bias, return_sequences=False, go_backwards=False):
    """cuDNN LSTM: gates i, f, c, o; ``bias`` = input biases then recurrent biases."""
    units = recurrent_kernel.shape[0]
    W = cudnn_gate_matrices(kernel, units, 4)
    R = cudnn_gate_matrices(recurrent_kernel, units, 4)
    b_w, b_r = bias[: 4 * units].reshape(4, units), bias[4 * units:].reshape(4, units)
    if go_backwards:
        x = x[:, ::-1]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = [x[:, t] @ W[g].T + b_w[g] + h @ R[g].T + b_r[g] for g in range(4)]
        c = sigmoid(z[1]) * c + sigmoid(z[0]) * np.tanh(z[2])
        h = sigmoid(z[3]) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1) if return_sequences else h


def cudnn_gru(x, kernel, recurrent_kernel, bias, return_sequences=False, go_backwards=False):
    """cuDNN GRU with Keras 2's slices: gates z, r, h; the reset gate scales the recurrent
    term after its bias: ``h~ = tanh(W_h x + b_Wh + r * (R_h h + b_Rh))``."""
    units = recurrent_kernel.shape[0]
    W = cudnn_gate_matrices(kernel, units, 3)
    R = cudnn_gate_matrices(recurrent_kernel, units, 3)
    b_w, b_r = bias[: 3 * units].reshape(3, units), bias[3 * units:].reshape(3, units)
    if go_backwards:
        x = x[:, ::-1]
    h = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        z = sigmoid(x[:, t] @ W[0].T + b_w[0] + h @ R[0].T + b_r[0])
        r = sigmoid(x[:, t] @ W[1].T + b_w[1] + h @ R[1].T + b_r[1])
        candidate = np.tanh(x[:, t] @ W[2].T + b_w[2] + r * (h @ R[2].T + b_r[2]))
        h = (1 - z) * candidate + z * h
        outputs.append(h)
    return np.stack(outputs, 1) if return_sequences else h


def keras1_lstm(x, w, prefix):
    """Keras 1's LSTM from its per-gate weights ``<prefix>_W_i``... (hard_sigmoid gates)."""
    g = {name: w[f"{prefix}_{name}"] for name in
         ["W_i", "U_i", "b_i", "W_f", "U_f", "b_f", "W_c", "U_c", "b_c", "W_o", "U_o", "b_o"]}
    h = np.zeros((x.shape[0], g["U_i"].shape[0]))
    c = np.zeros_like(h)
    for t in range(x.shape[1]):
        xt = x[:, t]
        i = keras2_hard_sigmoid(xt @ g["W_i"] + h @ g["U_i"] + g["b_i"])
        f = keras2_hard_sigmoid(xt @ g["W_f"] + h @ g["U_f"] + g["b_f"])
        c = f * c + i * np.tanh(xt @ g["W_c"] + h @ g["U_c"] + g["b_c"])
        o = keras2_hard_sigmoid(xt @ g["W_o"] + h @ g["U_o"] + g["b_o"])
        h = o * np.tanh(c)
    return h


def keras1_gru(x, w, prefix):
    """Keras 1's GRU: the reset gate applied to the state before the recurrent matmul."""
    g = {name: w[f"{prefix}_{name}"] for name in
         ["W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"]}
    h = np.zeros((x.shape[0], g["U_z"].shape[0]))
    for t in range(x.shape[1]):
        xt = x[:, t]
        z = keras2_hard_sigmoid(xt @ g["W_z"] + h @ g["U_z"] + g["b_z"])
        r = keras2_hard_sigmoid(xt @ g["W_r"] + h @ g["U_r"] + g["b_r"])
        candidate = np.tanh(xt @ g["W_h"] + (r * h) @ g["U_h"] + g["b_h"])
        h = z * h + (1 - z) * candidate
    return h


def correlate_nchw(x, w):
    """Valid cross-correlation, Theano's layouts: x (n, c, H, W), w (filters, c, kh, kw)."""
    f, _, kh, kw = w.shape
    rows, cols = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    out = np.zeros((x.shape[0], f, rows, cols))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,fc->nfhw", x[:, :, i:i + rows, j:j + cols], w[:, :, i, j])
    return out


def correlate_nhwc_same(x, w):
    """TensorFlow's "same" cross-correlation: x (n, H, W, c), w (kh, kw, c, filters)."""
    kh, kw = w.shape[:2]
    padded = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    rows, cols = x.shape[1], x.shape[2]
    out = np.zeros((x.shape[0], rows, cols, w.shape[3]))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i:i + rows, j:j + cols, :] @ w[i, j]
    return out


def correlate_1d(x, w):
    """Valid 1D cross-correlation: x (n, steps, c), w (k, c, filters)."""
    steps = x.shape[1] - w.shape[0] + 1
    return sum(x[:, i:i + steps, :] @ w[i] for i in range(w.shape[0]))


def batchnorm(x, w, prefix, axis, eps=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    gamma, beta, mean, variance = (
        w[f"{prefix}_{name}"].reshape(shape) for name in ("gamma", "beta", "running_mean", "running_std")
    )
    return (x - mean) / np.sqrt(variance + eps) * gamma + beta


def relu(x):
    return np.maximum(x, 0.0)


def _assert_close(model, x, expected):
    received = model.predict(x.astype("float32"), verbose=0)
    np.testing.assert_allclose(received, expected, atol=ATOL, rtol=0)


# ------------------------------------------------------------------ CuDNN layers (Keras 2.2.5)


def cudnn_lstm_reference(w, x):
    h = cudnn_lstm(x, w["cu_dnnlstm_1/kernel:0"], w["cu_dnnlstm_1/recurrent_kernel:0"],
                   w["cu_dnnlstm_1/bias:0"], return_sequences=True)
    h = cudnn_lstm(h, w["cu_dnnlstm_2/kernel:0"], w["cu_dnnlstm_2/recurrent_kernel:0"],
                   w["cu_dnnlstm_2/bias:0"], go_backwards=True)
    return h @ w["dense_1/kernel:0"] + w["dense_1/bias:0"]


def cudnn_gru_reference(w, x):
    def gru(prefix, inputs, **options):
        return cudnn_gru(inputs, w[f"{prefix}/kernel:0"], w[f"{prefix}/recurrent_kernel:0"], w[f"{prefix}/bias:0"], **options)

    forward = gru("bidirectional_1/forward_cu_dnngru_1", x, return_sequences=True)
    backward = gru("bidirectional_1/backward_cu_dnngru_1", x, return_sequences=True, go_backwards=True)
    merged = np.concatenate([forward, backward[:, ::-1]], axis=-1)
    h = gru("cu_dnngru_2", merged)
    return np.tanh(h @ w["dense_1/kernel:0"] + w["dense_1/bias:0"])


def test_cudnn_lstm_model_file_predicts_cudnn_math(tmp_path):
    path = _file("cudnn_lstm.h5", tmp_path)
    model = kerasish.models.load_model(path)
    assert [type(layer).__name__ for layer in model.layers] == ["CuDNNLSTM", "CuDNNLSTM", "Dense"]
    assert model.layers[1].go_backwards
    x = np.random.default_rng(0).normal(size=(3, 5, 2))
    _assert_close(model, x, cudnn_lstm_reference(Stored(path), x))


def test_cudnn_gru_bidirectional_model_file_predicts_cudnn_math(tmp_path):
    path = _file("cudnn_gru_bidirectional.h5", tmp_path)
    model = kerasish.models.load_model(path)
    assert type(model.get_layer("bidirectional_1").forward_layer).__name__ == "CuDNNGRU"
    x = np.random.default_rng(1).normal(size=(2, 4, 3))
    _assert_close(model, x, cudnn_gru_reference(Stored(path), x))


def test_cudnn_lstm_weights_load_into_lstm_and_cudnn_lstm(tmp_path):
    """Keras 2.2.5's `_convert_rnn_weights`: CuDNNLSTM weights into an `LSTM`."""
    path = _file("cudnn_lstm_weights.h5", tmp_path)
    x = np.random.default_rng(2).normal(size=(2, 5, 2))
    expected = cudnn_lstm_reference(Stored(path), x)
    plain = kerasish.Sequential([
        L.LSTM(3, return_sequences=True, recurrent_activation="sigmoid", input_shape=(5, 2)),
        L.LSTM(2, go_backwards=True, recurrent_activation="sigmoid"),
        L.Dense(1),
    ])
    plain.load_weights(path)
    _assert_close(plain, x, expected)
    cudnn = kerasish.Sequential([
        L.CuDNNLSTM(3, return_sequences=True, input_shape=(5, 2)),
        L.CuDNNLSTM(2, go_backwards=True),
        L.Dense(1),
    ])
    cudnn.load_weights(path)
    _assert_close(cudnn, x, expected)
    # And back: the plain LSTM's weights (Keras' single bias) into CuDNNLSTM layers.
    plain.save_weights(tmp_path / "plain.h5")
    kerasish.backend.clear_session()
    again = kerasish.Sequential([
        L.CuDNNLSTM(3, return_sequences=True, input_shape=(5, 2)),
        L.CuDNNLSTM(2, go_backwards=True),
        L.Dense(1),
    ])
    again.load_weights(tmp_path / "plain.h5")
    _assert_close(again, x, expected)


def test_cudnn_gru_weights_load_into_gru_reset_after(tmp_path):
    path = _file("cudnn_gru_bidirectional.h5", tmp_path)
    x = np.random.default_rng(3).normal(size=(2, 4, 3))
    inputs = kerasish.Input(shape=(4, 3))
    h = L.Bidirectional(L.GRU(2, return_sequences=True, reset_after=True, recurrent_activation="sigmoid"))(inputs)
    h = L.GRU(3, reset_after=True, recurrent_activation="sigmoid")(h)
    model = kerasish.Model(inputs, L.Dense(2, activation="tanh")(h))
    model.load_weights(path)
    _assert_close(model, x, cudnn_gru_reference(Stored(path), x))

    inputs = kerasish.Input(shape=(4, 3))
    h = L.Bidirectional(L.GRU(2, return_sequences=True, reset_after=False))(inputs)
    wrong = kerasish.Model(inputs, L.Dense(2)(L.GRU(3, reset_after=False)(h)))
    before = [w.copy() for w in wrong.get_weights()]
    with pytest.raises(ValueError, match=r"CuDNNGRU is not compatible with GRU\(reset_after=False\)"):
        wrong.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, wrong.get_weights()))


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_cudnn_models_save_and_load_as_cudnn_layers(tmp_path, suffix):
    model = kerasish.models.load_model(_file("cudnn_gru_bidirectional.h5", tmp_path))
    model.save(tmp_path / f"again{suffix}")
    kerasish.backend.clear_session()
    loaded = kerasish.models.load_model(tmp_path / f"again{suffix}")
    assert type(loaded.get_layer("cu_dnngru_2")).__name__ == "CuDNNGRU"
    assert "reset_after" not in loaded.get_layer("cu_dnngru_2").get_config()
    x = np.random.default_rng(4).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# ------------------------------------------------------------------ Theano kernels (Keras 2.2.5)


def test_keras2_theano_file_kernels_are_flipped(tmp_path):
    """A Keras 2 file saved under Theano: Theano convolved, so the stored kernels are applied
    flipped (Keras 2.2.5's `_need_convert_kernel`)."""
    path = _file("keras2_theano_cnn.h5", tmp_path)
    model = kerasish.models.load_model(path)
    w = Stored(path)
    x = np.random.default_rng(5).normal(size=(2, 2, 5, 6))
    # Theano convolution = correlation with the kernel's spatial axes reversed.
    conv2d = w["conv2d_1/kernel"][::-1, ::-1].transpose(3, 2, 0, 1)  # -> (out, in, kh, kw)
    h = relu(correlate_nchw(x, conv2d) + w["conv2d_1/bias"][:, None, None])
    h = h.reshape(2, 3, 16)
    h = relu(correlate_1d(h, w["conv1d_1/kernel"][::-1]) + w["conv1d_1/bias"])
    expected = h.reshape(2, -1) @ w["dense_1/kernel"] + w["dense_1/bias"]
    _assert_close(model, x, expected)


# ------------------------------------------------------------------ Keras 1.2.2 files


def keras1_th_reference(w, x, prefix_suffix="", theano_convolution=False):
    """Keras 1 Sequential: Convolution2D(th) -> BatchNormalization(axis=1) -> Permute ->
    Reshape -> LSTM -> Dense, from the Keras 1 weights."""

    def get(name):
        return w[name + prefix_suffix]

    kernel = get("convolution2d_1_W")  # (filters, stack, rows, cols)
    if theano_convolution:
        kernel = kernel[:, :, ::-1, ::-1]
    h = relu(correlate_nchw(x, kernel) + get("convolution2d_1_b")[:, None, None])
    h = batchnorm(h, _Suffixed(w, prefix_suffix), "batchnormalization_1", axis=1)
    h = h.transpose(0, 2, 1, 3).reshape(x.shape[0], 4, 9)
    h = keras1_lstm(h, _Suffixed(w, prefix_suffix), "lstm_1")
    return h @ get("dense_1_W") + get("dense_1_b")


class _Suffixed:
    def __init__(self, stored, suffix):
        self.stored, self.suffix = stored, suffix

    def __getitem__(self, name):
        return self.stored[name + self.suffix]


def test_keras1_theano_model_file_loads_as_keras_2_2_5_read_it(tmp_path):
    """Keras 1.2.2 file, `dim_ordering="th"`: config in Keras 1 names (a bare-list Sequential,
    `inner_activation`, `input_dtype`), a `(filters, stack, rows, cols)` kernel and 12 per-gate
    LSTM weights (i, c, f, o). Keras 1 files do not say which backend wrote them, so Keras 2
    applies the kernel as stored; `convert_all_kernels_in_model` then gives Theano's
    convolution, as Keras 2.2.5 told Theano users to do."""
    path = _file("keras1_theano_lstm.h5", tmp_path)
    model = kerasish.models.load_model(path)
    assert model.get_layer("convolution2d_1").data_format == "channels_first"
    assert model.get_layer("lstm_1").recurrent_activation is kerasish.activations.legacy_hard_sigmoid
    w = Stored(path)
    x = np.random.default_rng(6).normal(size=(3, 2, 5, 4))
    _assert_close(model, x, keras1_th_reference(w, x))
    kerasish.utils.convert_all_kernels_in_model(model)
    _assert_close(model, x, keras1_th_reference(w, x, theano_convolution=True))


@pytest.mark.parametrize("by_name", [False, True])
def test_keras1_weights_file_loads_into_an_equivalent_keras2_model(tmp_path, by_name):
    path = _file("keras1_th_lstm_weights.h5", tmp_path)
    model = kerasish.Sequential([
        L.Conv2D(3, (2, 2), activation="relu", data_format="channels_first", input_shape=(2, 5, 4), name="convolution2d_1"),
        L.BatchNormalization(axis=1, name="batchnormalization_1"),
        L.Permute((2, 1, 3)),
        L.Reshape((4, 9)),
        L.LSTM(3, recurrent_activation="legacy_hard_sigmoid", name="lstm_1"),
        L.Dense(2, name="dense_1"),
    ])
    model.load_weights(path, by_name=by_name)
    x = np.random.default_rng(7).normal(size=(2, 2, 5, 4))
    _assert_close(model, x, keras1_th_reference(Stored(path), x, prefix_suffix=":0"))


def test_keras1_tensorflow_functional_model_file(tmp_path):
    """Keras 1.2.2 functional Model, `dim_ordering="tf"` (kernels already in Keras 2's layout),
    `border_mode="same"`, and a GRU's 9 per-gate weights (Keras 1's GRU resets before the
    recurrent matmul: `reset_after=False`)."""
    path = _file("keras1_tf_gru.h5", tmp_path)
    model = kerasish.models.load_model(path)
    assert model.get_layer("gru_1").reset_after is False
    w = _Suffixed(Stored(path), ":0")
    x = np.random.default_rng(8).normal(size=(2, 5, 4, 2))
    h = relu(correlate_nhwc_same(x, w["convolution2d_1_W"]) + w["convolution2d_1_b"])
    h = batchnorm(h, w, "batchnormalization_1", axis=-1).reshape(2, 5, 12)
    h = keras1_gru(h, w, "gru_1")
    _assert_close(model, x, h @ w["dense_1_W"] + w["dense_1_b"])
