"""MelSpectrogram without real Keras."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import ops
from kerasish.layers import MelSpectrogram
from kerasish.layers.mel_spectrogram import linear_to_mel_weight_matrix


def test_filters_are_triangles_in_mel_without_the_dc_bin():
    m = linear_to_mel_weight_matrix(8, 65, 16000, 100.0, 7000.0)
    assert m.shape == (65, 8) and m.dtype == torch.float32
    assert torch.all(m[0] == 0) and torch.all(m >= 0) and torch.all(m <= 1)
    peaks = m.argmax(dim=0)
    assert torch.all(peaks[1:] > peaks[:-1])  # band centres rise with frequency


def test_linear_output_is_the_filtered_power_spectrum(rng):
    x = rng.standard_normal((2, 500)).astype("float32")
    layer = MelSpectrogram(fft_length=128, sequence_stride=32, num_mel_bins=10, power_to_db=False)
    real, imag = ops.stft(x, 128, 32, 128)
    expected = torch.tensordot(real**2 + imag**2, layer.mel_weights, dims=1).transpose(-1, -2)
    torch.testing.assert_close(layer(x), expected, rtol=1e-4, atol=1e-5)


def test_decibels_are_clipped_top_db_below_the_batch_maximum(rng):
    x = np.stack([rng.standard_normal(400), 1e-3 * rng.standard_normal(400)]).astype("float32")
    out = MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=6, top_db=30.0)(x)
    assert torch.isclose(out.max() - out.min(), torch.tensor(30.0), atol=1e-4)
    assert torch.all(out[1] == out.min())  # the quiet example sits on the shared floor


def test_shapes_dtypes_config_and_no_state():
    layer = MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=5, dtype="float64")
    assert layer(np.ones(160)).shape == (5, 11) and layer(np.ones((3, 160))).dtype == torch.float64
    # Keras 3.15 states (n + stride + 1) // stride frames, one too many when n + 1 is a
    # multiple of the stride; kerasish states the frames it computes.
    inputs = kerasish.Input((159,))
    assert layer(inputs).shape == (None, 5, 10) and layer(torch.zeros(1, 159)).shape == (1, 5, 10)
    assert not layer.weights and list(layer.state_dict()) == []
    config = layer.get_config()
    assert config["sequence_length"] == 64 and config["max_freq"] == 8000
    assert MelSpectrogram.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="`fft_length` must be greater than or equal to `sequence_length`"):
        MelSpectrogram(fft_length=32, sequence_length=64)
