import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kerasish as keras
from kerasish.layers import LSTM, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerasish.layers.rnn import loop

FILTERS, CHANNELS, STEPS = 3, 2, 4


def _reference(x, kernel, recurrent, bias, masks=None, recurrent_masks=None):
    """ConvLSTM2D, channels_last, stride 1, odd kernel, "same" padding, gate by gate."""
    x = torch.as_tensor(x).permute(0, 1, 4, 2, 3)  # (batch, time, channels, rows, cols)
    w_x = torch.as_tensor(kernel).permute(3, 2, 0, 1).chunk(4)
    w_h = torch.as_tensor(recurrent).permute(3, 2, 0, 1).chunk(4)
    b = torch.as_tensor(bias).chunk(4)
    batch, _, _, rows, cols = x.shape
    h = torch.zeros(batch, FILTERS, rows, cols)
    c = torch.zeros_like(h)
    for t in range(x.shape[1]):
        gates = []
        for g in range(4):
            x_g = x[:, t] if masks is None else x[:, t] * masks[g]
            h_g = h if recurrent_masks is None else h * recurrent_masks[g]
            gates.append(
                F.conv2d(x_g, w_x[g], b[g], padding="same") + F.conv2d(h_g, w_h[g], padding="same")
            )
        i, f, c_hat, o = (torch.sigmoid(gates[0]), torch.sigmoid(gates[1]),
                          torch.tanh(gates[2]), torch.sigmoid(gates[3]))
        c = f * c + i * c_hat
        h = o * torch.tanh(c)
    return h.permute(0, 2, 3, 1)


def _weights(rng, k=3):
    return [
        rng.standard_normal((k, k, CHANNELS, 4 * FILTERS)).astype("float32") * 0.3,
        rng.standard_normal((k, k, FILTERS, 4 * FILTERS)).astype("float32") * 0.3,
        rng.standard_normal((4 * FILTERS,)).astype("float32") * 0.3,
    ]


def _x(rng, batch=2, rows=5, cols=6):
    return torch.from_numpy(
        rng.standard_normal((batch, STEPS, rows, cols, CHANNELS)).astype("float32")
    )


def test_matches_gate_by_gate_reference(rng):
    weights = _weights(rng)
    layer = ConvLSTM2D(FILTERS, 3, padding="same")
    x = _x(rng)
    layer(x)
    layer.set_weights(weights)
    torch.testing.assert_close(layer(x), _reference(x, *weights), atol=1e-5, rtol=0)
    assert sorted(layer.state_dict()) == ["bias", "weight_hh", "weight_ih"]
    assert tuple(layer.weight_ih.shape) == (4 * FILTERS, CHANNELS, 3, 3)
    np.testing.assert_array_equal(layer.kernel.detach().numpy(), weights[0])


def test_per_gate_dropout_masks_match_reference(rng, monkeypatch):
    weights = _weights(rng)
    x = _x(rng)
    drawn = []

    def fixed_masks(like, rate, count, generator):
        masks = torch.from_numpy(rng.integers(0, 2, (count,) + tuple(like.shape))).float() * 2
        drawn.append(masks)
        return masks

    monkeypatch.setattr(loop, "dropout_masks", fixed_masks)
    layer = ConvLSTM2D(FILTERS, 3, padding="same", dropout=0.5, recurrent_dropout=0.5)
    layer(x)
    layer.set_weights(weights)
    drawn.clear()
    out = layer(x, training=True)
    expected = _reference(x, *weights, masks=drawn[0], recurrent_masks=drawn[1])
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(layer(x), _reference(x, *weights), atol=1e-5, rtol=0)


def test_1x1_conv_lstm_is_an_lstm(rng):
    lstm = LSTM(FILTERS, return_sequences=True)
    x = torch.from_numpy(rng.standard_normal((2, STEPS, CHANNELS)).astype("float32"))
    lstm(x)
    conv = ConvLSTM1D(FILTERS, 1, return_sequences=True)
    conv(x[:, :, None, :])
    conv.set_weights([w.reshape((1,) * (w.ndim - 1) + w.shape) if w.ndim == 2 else w
                      for w in lstm.get_weights()])
    torch.testing.assert_close(conv(x[:, :, None, :])[:, :, 0], lstm(x), atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (ConvLSTM2D(4, 3), (None, STEPS, 7, 6, 2), (None, 5, 4, 4)),
        (ConvLSTM2D(4, 3, padding="same", strides=2, return_sequences=True),
         (None, STEPS, 7, 6, 2), (None, STEPS, 4, 3, 4)),
        (ConvLSTM2D(4, 2, data_format="channels_first"), (None, STEPS, 2, 7, 6), (None, 4, 6, 5)),
        (ConvLSTM1D(4, 3, dilation_rate=2), (None, STEPS, 9, 2), (None, 5, 4)),
        (ConvLSTM3D(2, 2, padding="same"), (None, STEPS, 3, 4, 5, 1), (None, 3, 4, 5, 2)),
    ],
)
def test_shapes_symbolic_and_eager(layer, input_shape, expected):
    assert layer(keras.Input(batch_shape=input_shape)).shape == expected
    concrete = (2,) + input_shape[1:]
    out = layer(torch.zeros(concrete))
    assert tuple(out.shape) == (2,) + expected[1:]


def test_return_state_stateful_and_masks(rng):
    weights = _weights(rng, k=2)
    x = _x(rng)
    layer = ConvLSTM2D(FILTERS, 2, padding="same", return_state=True, stateful=True)
    layer.build((2, STEPS, 5, 6, CHANNELS))
    layer.set_weights(weights)
    output, h, c = layer(x)
    torch.testing.assert_close(output, h)
    assert tuple(c.shape) == (2, 5, 6, FILTERS)
    torch.testing.assert_close(layer.states[1], c)
    second, _, _ = layer(x)
    assert (second - output).abs().max() > 1e-4
    layer.reset_states()
    torch.testing.assert_close(layer(x)[0], output)
    mask = torch.tensor([[True, True, False, False]] * 2)
    masked = ConvLSTM2D.from_config({**layer.get_config(), "stateful": False})
    masked.build((2, STEPS, 5, 6, CHANNELS))
    masked.set_weights(weights)
    torch.testing.assert_close(masked(x, mask=mask)[0], masked(x[:, :2])[0])


def test_config_and_errors():
    layer = ConvLSTM2D(4, (3, 2), strides=2, padding="same", data_format="channels_first",
                       recurrent_activation="hard_sigmoid", dropout=0.1, seed=3)
    config = layer.get_config()
    assert config["kernel_size"] == (3, 2) and config["seed"] == 3
    assert ConvLSTM2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="static input shapes"):
        ConvLSTM2D(2, 3)(keras.Input((STEPS, None, 5, 1)))
    with pytest.raises(ValueError, match="ndim=5"):
        ConvLSTM2D(2, 3)(keras.Input((STEPS, 5, 1)))
    with pytest.raises(ValueError, match="dilation_rate"):
        ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="zero or negative"):
        ConvLSTM2D(2, 5)(keras.Input((STEPS, 3, 3, 1)))
