import h5py
import numpy as np
import pytest

import kerasish as keras
from kerasish import layers as L
from kerasish.saving.legacy_weight_conversion import is_keras1, preprocess_weights_for_loading


def _built(layer, shape):
    layer.build(shape)
    return layer


def _arange(*shape):
    return np.arange(np.prod(shape), dtype="float32").reshape(shape)


def test_keras1_is_a_missing_or_1_x_version():
    assert is_keras1(None) and is_keras1("1") and is_keras1("1.2.2")
    assert not is_keras1("2.2.5") and not is_keras1("2.15.0") and not is_keras1("3.15.1")


def test_keras1_lstm_gates_are_reordered_and_concatenated():
    lstm = _built(L.LSTM(2), (None, 4, 3))
    gates = {g: (np.full((3, 2), i), np.full((2, 2), 10 + i), np.full((2,), 20 + i)) for i, g in enumerate("icfo")}
    values = [w for g in "icfo" for w in gates[g]]  # Keras 1: W_i, U_i, b_i, W_c, ...
    kernel, recurrent, bias = preprocess_weights_for_loading(lstm, values, "1")
    order = [0, 2, 1, 3]  # Keras 2: i, f, c, o
    np.testing.assert_array_equal(kernel[0], np.repeat(order, 2))
    np.testing.assert_array_equal(recurrent[0], 10 + np.repeat(order, 2))
    np.testing.assert_array_equal(bias, 20 + np.repeat(order, 2))
    # A Keras 2 file's three values are untouched.
    three = [np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8)]
    assert all(a is b for a, b in zip(preprocess_weights_for_loading(lstm, three, "2.2.5"), three))


def test_keras1_gru_gates_are_concatenated_in_order():
    gru = _built(L.GRU(2, reset_after=False), (None, 4, 3))
    values = [np.full(shape, 10 * i + j) for i in range(3) for j, shape in enumerate([(3, 2), (2, 2), (2,)])]
    kernel, recurrent, bias = preprocess_weights_for_loading(gru, values, None)
    np.testing.assert_array_equal(kernel[0], [0, 0, 10, 10, 20, 20])
    np.testing.assert_array_equal(recurrent[0], [1, 1, 11, 11, 21, 21])
    np.testing.assert_array_equal(bias, [2, 2, 12, 12, 22, 22])


def test_keras1_channels_first_conv_kernels_are_moved_to_keras2_layout():
    conv = _built(L.Conv2D(4, (2, 3), data_format="channels_first"), (None, 5, 6, 7))
    old = _arange(4, 5, 2, 3)  # (filters, stack, rows, cols)
    kernel, bias = preprocess_weights_for_loading(conv, [old, np.zeros(4)], "1")
    assert kernel.shape == (2, 3, 5, 4)
    assert kernel[1, 2, 3, 0] == old[0, 3, 1, 2]
    # channels_last kernels were already in Keras 2's layout.
    conv = _built(L.Conv2D(4, (2, 3)), (None, 6, 7, 5))
    same = _arange(2, 3, 5, 4)
    assert preprocess_weights_for_loading(conv, [same, np.zeros(4)], "1")[0] is same
    conv3d = _built(L.Conv3D(2, (1, 2, 3), data_format="channels_first"), (None, 4, 5, 5, 5))
    kernel = preprocess_weights_for_loading(conv3d, [_arange(2, 4, 1, 2, 3), np.zeros(2)], "1")[0]
    assert kernel.shape == (1, 2, 3, 4, 2)


def test_keras1_deconvolution_kernels_swap_in_and_out():
    last = _built(L.Conv2DTranspose(4, (2, 3)), (None, 6, 7, 5))
    kernel = preprocess_weights_for_loading(last, [_arange(2, 3, 5, 4), np.zeros(4)], "1")[0]
    assert kernel.shape == (2, 3, 4, 5)
    first = _built(L.Conv2DTranspose(4, (2, 3), data_format="channels_first"), (None, 5, 6, 7))
    old = _arange(4, 5, 2, 3)
    kernel = preprocess_weights_for_loading(first, [old, np.zeros(4)], "1")[0]
    assert kernel.shape == (2, 3, 4, 5) and kernel[1, 2, 3, 0] == old[3, 0, 1, 2]


def test_keras1_conv1d_kernels_lose_their_dummy_axis():
    conv = _built(L.Conv1D(4, 3), (None, 10, 5))
    keras11 = _arange(3, 1, 5, 4)  # (filter_length, 1, input_dim, filters)
    np.testing.assert_array_equal(preprocess_weights_for_loading(conv, [keras11, np.zeros(4)], "1")[0], keras11[:, 0])
    keras10 = _arange(4, 5, 3, 1)  # (filters, input_dim, filter_length, 1)
    kernel = preprocess_weights_for_loading(conv, [keras10, np.zeros(4)], "1")[0]
    np.testing.assert_array_equal(kernel, keras10[..., 0].transpose(2, 1, 0))
    with pytest.raises(ValueError, match=r"Keras 1 Conv1D kernel.*\(2, 2, 2, 2\)"):
        preprocess_weights_for_loading(conv, [np.zeros((2, 2, 2, 2)), np.zeros(4)], "1")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_keras1_conv_lstm_gates(data_format):
    shape = (None, 3, 4, 6, 6) if data_format == "channels_first" else (None, 3, 6, 6, 4)
    layer = _built(L.ConvLSTM2D(2, (2, 3), data_format=data_format), shape)
    values = []
    for i in range(4):  # gates i, c, f, o
        if data_format == "channels_first":
            values += [np.full((2, 4, 2, 3), i), np.full((2, 2, 2, 3), 10 + i)]
        else:
            values += [np.full((2, 3, 4, 2), i), np.full((2, 3, 2, 2), 10 + i)]
        values.append(np.full(2, 20 + i))
    kernel, recurrent, bias = preprocess_weights_for_loading(layer, values, "1")
    assert kernel.shape == (2, 3, 4, 8) and recurrent.shape == (2, 3, 2, 8)
    np.testing.assert_array_equal(kernel[0, 0, 0], np.repeat([0, 2, 1, 3], 2))
    np.testing.assert_array_equal(recurrent[1, 2, 1], 10 + np.repeat([0, 2, 1, 3], 2))
    np.testing.assert_array_equal(bias, 20 + np.repeat([0, 2, 1, 3], 2))


def test_theano_kernels_are_flipped_for_conv_layers_only():
    conv = _built(L.Conv2D(2, (2, 3)), (None, 6, 7, 3))
    kernel = _arange(2, 3, 3, 2)
    flipped = preprocess_weights_for_loading(conv, [kernel, np.zeros(2)], "2.2.5", "theano")[0]
    np.testing.assert_array_equal(flipped, kernel[::-1, ::-1])
    for backend in ("tensorflow", "cntk", None, "torch"):
        assert preprocess_weights_for_loading(conv, [kernel, np.zeros(2)], "2.2.5", backend)[0] is kernel
    dense = _built(L.Dense(2), (None, 3))
    matrix = _arange(3, 2)
    assert preprocess_weights_for_loading(dense, [matrix, np.zeros(2)], "2.2.5", "theano")[0] is matrix
    conv_lstm = _built(L.ConvLSTM2D(1, (2, 2)), (None, 2, 5, 5, 2))
    kernel, recurrent = _arange(2, 2, 2, 4), _arange(2, 2, 1, 4)
    out = preprocess_weights_for_loading(conv_lstm, [kernel, recurrent, np.zeros(4)], "2.2.5", "theano")
    np.testing.assert_array_equal(out[0], kernel[::-1, ::-1])
    np.testing.assert_array_equal(out[1], recurrent[::-1, ::-1])


def test_misshaped_4d_kernel_is_transposed_only_when_that_fits():
    """Keras 2's last resort for 4D kernels: axes (3, 2, 0, 1) when the shape is wrong."""
    conv = _built(L.Conv2D(5, (2, 3)), (None, 6, 7, 4))  # kernel (2, 3, 4, 5)
    misshaped = _arange(4, 5, 3, 2)
    fixed = preprocess_weights_for_loading(conv, [misshaped, np.zeros(5)], "2.2.5")[0]
    np.testing.assert_array_equal(fixed, np.transpose(misshaped, (3, 2, 0, 1)))
    unrelated = np.zeros((7, 7, 7, 7))
    assert preprocess_weights_for_loading(conv, [unrelated, np.zeros(5)], "2.2.5")[0] is unrelated


def test_bidirectional_keras1_weights_convert_each_direction():
    layer = _built(L.Bidirectional(L.LSTM(2)), (None, 4, 3))
    per_direction = [np.full(s, i) for i in range(4) for s in [(3, 2), (2, 2), (2,)]]
    converted = preprocess_weights_for_loading(layer, per_direction + per_direction, None)
    assert [w.shape for w in converted] == [(3, 8), (2, 8), (8,)] * 2
    assert len(layer.get_weights()) == len(converted)


def test_time_distributed_keras1_conv_is_converted_once():
    layer = _built(L.TimeDistributed(L.Conv2D(4, (2, 3), data_format="channels_first")), (None, 2, 5, 6, 7))
    old = _arange(4, 5, 2, 3)
    kernel = preprocess_weights_for_loading(layer, [old, np.zeros(4)], "1")[0]
    np.testing.assert_array_equal(kernel, old.transpose(2, 3, 1, 0))


def test_nested_model_weights_are_converted_per_sublayer():
    inner = keras.Sequential([
        L.Conv2D(4, (2, 3), data_format="channels_first", input_shape=(5, 6, 7)),
        L.BatchNormalization(axis=1),
    ])
    old_kernel = _arange(4, 5, 2, 3)
    stats = [np.full(4, v, dtype="float32") for v in (1, 2, 3, 4)]
    # A nested model's values: all trainable (kernel, bias, gamma, beta), then the statistics.
    values = [old_kernel, np.zeros(4)] + stats
    converted = preprocess_weights_for_loading(inner, values, "1")
    np.testing.assert_array_equal(converted[0], old_kernel.transpose(2, 3, 1, 0))
    for a, b in zip(converted[1:], values[1:]):
        assert a is b


def test_load_weights_converts_files_without_a_keras_version(tmp_path):
    """Keras 1 weights files have only `layer_names`: read as Keras 1, as Keras 2.2.5 did."""
    model = keras.Sequential([L.Conv2D(2, (2, 2), data_format="channels_first", input_shape=(3, 4, 4), name="c")])
    old = _arange(2, 3, 2, 2)
    with h5py.File(tmp_path / "k1.h5", "w") as f:
        f.attrs["layer_names"] = np.asarray([b"c"])
        group = f.create_group("c")
        group.attrs["weight_names"] = np.asarray([b"c_W", b"c_b"])
        group["c_W"] = old
        group["c_b"] = np.ones(2, dtype="float32")
    for by_name in (False, True):
        model.set_weights([np.zeros((2, 2, 3, 2)), np.zeros(2)])
        model.load_weights(tmp_path / "k1.h5", by_name=by_name)
        np.testing.assert_array_equal(model.get_weights()[0], old.transpose(2, 3, 1, 0))
    # The same values declared as Keras 2 are taken as they are (and do not fit).
    with h5py.File(tmp_path / "k1.h5", "a") as f:
        f.attrs["keras_version"] = b"2.2.5"
    with pytest.raises(ValueError, match="Shape mismatch"):
        model.load_weights(tmp_path / "k1.h5")


def test_kerasish_written_lstm_weights_load_into_cudnn_lstm(tmp_path, rng):
    plain = keras.Sequential([L.LSTM(3, recurrent_activation="sigmoid", input_shape=(4, 2)), L.Dense(1)])
    plain.set_weights([rng.uniform(-1, 1, w.shape) for w in plain.get_weights()])
    plain.save_weights(tmp_path / "w.h5")
    cudnn = keras.Sequential([L.CuDNNLSTM(3, input_shape=(4, 2)), L.Dense(1)])
    cudnn.load_weights(tmp_path / "w.h5")
    x = rng.normal(size=(2, 4, 2)).astype("float32")
    np.testing.assert_allclose(cudnn.predict(x, verbose=0), plain.predict(x, verbose=0), atol=1e-6)


def test_reshape_true_reshapes_conv_kernels_of_the_right_size(tmp_path):
    """Keras 2.2.5's `load_weights(..., reshape=True)`."""
    source = keras.Sequential([L.Dense(24, input_shape=(1,), name="c")])
    source.save_weights(tmp_path / "flat.h5")  # kernel (1, 24): a conv kernel's values, flat
    kernel = source.get_weights()[0]
    model = keras.Sequential([L.Conv2D(24, (1, 1), input_shape=(3, 3, 1), name="c")])
    with pytest.raises(ValueError, match="Shape mismatch"):
        model.load_weights(tmp_path / "flat.h5")
    model.load_weights(tmp_path / "flat.h5", reshape=True)
    np.testing.assert_array_equal(model.get_weights()[0], kernel.reshape(1, 1, 1, 24))
    wrong_size = keras.Sequential([L.Conv2D(24, (2, 1), input_shape=(3, 3, 1), name="c")])
    with pytest.raises(ValueError, match=r"equal size to apply a reshape.*\(2, 1, 1, 24\) and size 48"):
        wrong_size.load_weights(tmp_path / "flat.h5", reshape=True)
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="reshape=True"):
        model.load_weights(tmp_path / "m.weights.h5", reshape=True)
