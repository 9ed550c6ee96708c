import numpy as np
import pytest

from kerasish.layers import GRU, LSTM, CuDNNGRU, CuDNNLSTM, Dense
from kerasish.saving.cudnn_weights import convert_rnn_weights

UNITS, FEATURES, STEPS = 3, 2, 4


def _built(layer):
    layer.build((None, STEPS, FEATURES))
    return layer


def _random(layer, rng):
    values = [rng.uniform(-0.8, 0.8, size=w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(values)
    return values


def _x(rng):
    return rng.normal(size=(2, STEPS, FEATURES)).astype("float32")


def _outputs(layer, x):
    return layer(x).detach().numpy()


def test_cudnn_lstm_weights_for_an_lstm_compute_the_same(rng):
    cudnn = _built(CuDNNLSTM(UNITS, return_sequences=True))
    values = _random(cudnn, rng)
    plain = _built(LSTM(UNITS, return_sequences=True, recurrent_activation="sigmoid"))
    converted = convert_rnn_weights(plain, values)
    assert [v.shape for v in converted] == [(2, 12), (3, 12), (12,)]
    np.testing.assert_allclose(converted[2], values[2][:12] + values[2][12:])
    plain.set_weights(converted)
    x = _x(rng)
    np.testing.assert_allclose(_outputs(plain, x), _outputs(cudnn, x), atol=1e-6)


def test_lstm_weights_for_a_cudnn_lstm_compute_the_same_and_split_the_bias(rng):
    plain = _built(LSTM(UNITS, recurrent_activation="sigmoid"))
    values = _random(plain, rng)
    cudnn = _built(CuDNNLSTM(UNITS))
    converted = convert_rnn_weights(cudnn, values)
    np.testing.assert_allclose(converted[2], np.tile(values[2] / 2, 2))
    cudnn.set_weights(converted)
    x = _x(rng)
    np.testing.assert_allclose(_outputs(cudnn, x), _outputs(plain, x), atol=1e-6)
    # The kernel conversions are inverse to each other.
    back = convert_rnn_weights(plain, converted)
    for a, b in zip(back, values):
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_same_kind_is_left_alone(rng):
    cudnn = _built(CuDNNLSTM(UNITS))
    values = _random(cudnn, rng)
    assert all(a is b for a, b in zip(convert_rnn_weights(cudnn, values), values))
    gru = _built(GRU(UNITS, reset_after=False))
    values = _random(gru, rng)
    assert all(a is b for a, b in zip(convert_rnn_weights(gru, values), values))


@pytest.mark.parametrize("direction", ["from_cudnn", "to_cudnn"])
def test_cudnn_gru_and_gru_reset_after_exchange_weights(rng, direction):
    cudnn = _built(CuDNNGRU(UNITS, return_sequences=True))
    plain = _built(GRU(UNITS, return_sequences=True, reset_after=True, recurrent_activation="sigmoid"))
    source, target = (cudnn, plain) if direction == "from_cudnn" else (plain, cudnn)
    values = _random(source, rng)
    converted = convert_rnn_weights(target, values)
    assert [v.shape for v in converted] == [tuple(w.shape) for w in target.get_weights()]
    target.set_weights(converted)
    x = _x(rng)
    np.testing.assert_allclose(_outputs(target, x), _outputs(source, x), atol=1e-6)


def test_gru_reset_before_and_cudnn_gru_do_not_mix(rng):
    cudnn_values = _random(_built(CuDNNGRU(UNITS)), rng)
    with pytest.raises(ValueError, match=r"CuDNNGRU is not compatible with GRU\(reset_after=False\).*'old'"):
        convert_rnn_weights(_built(GRU(UNITS, reset_after=False, name="old")), cudnn_values)
    reset_before = _random(_built(GRU(UNITS, reset_after=False)), rng)
    with pytest.raises(ValueError, match=r"GRU\(reset_after=False\) is not compatible with CuDNNGRU"):
        convert_rnn_weights(_built(CuDNNGRU(UNITS)), reset_before)


def test_invalid_bias_shapes_name_the_layer_and_the_expected_shapes():
    weights = [np.zeros((2, 12)), np.zeros((3, 12)), np.zeros((5,))]
    with pytest.raises(ValueError, match=r"Invalid bias shape: \(5,\).*'lstm_x'.*\(24,\) \(CuDNNLSTM\) or \(12,\)"):
        convert_rnn_weights(_built(LSTM(UNITS, name="lstm_x")), weights)
    weights = [np.zeros((2, 9)), np.zeros((3, 9)), np.zeros((7,))]
    with pytest.raises(ValueError, match=r"Invalid bias shape: \(7,\).*\(18,\) \(CuDNNGRU\)"):
        convert_rnn_weights(_built(GRU(UNITS)), weights)


def test_layers_without_bias_and_other_layers_are_untouched(rng):
    lstm = _built(LSTM(UNITS, use_bias=False))
    values = _random(lstm, rng)
    assert convert_rnn_weights(lstm, values) == values
    dense = Dense(2)
    dense.build((None, 3))
    values = [np.ones((3, 2)), np.ones(2), np.ones(1)]
    assert convert_rnn_weights(dense, values) is values
