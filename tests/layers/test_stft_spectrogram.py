"""STFTSpectrogram without real Keras: the transform, windows, weights, config and files."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish.layers import STFTSpectrogram
from kerasish.layers.stft_spectrogram import scipy_window


def test_stft_mode_is_the_dft_of_each_frame_and_channel(rng):
    x = rng.standard_normal((2, 64, 3)).astype("float32")
    layer = STFTSpectrogram(mode="stft", frame_length=16, frame_step=8, window=None, scaling=None, expand_dims=True)
    out = layer(x).detach()
    assert out.shape == (2, 7, 18, 3)
    frames = torch.tensor(x).transpose(1, 2).unfold(-1, 16, 8)  # (batch, channels, frames, 16)
    spectrum = torch.fft.rfft(frames.double(), dim=-1)
    expected = torch.cat([spectrum.real, spectrum.imag], dim=-1).permute(0, 2, 3, 1)
    torch.testing.assert_close(out.double(), expected, atol=2e-5, rtol=1e-5)


def test_modes_relate_as_magnitude_log_and_power(rng):
    x = rng.standard_normal((1, 80, 1)).astype("float32")
    common = {"frame_length": 20, "frame_step": 10, "fft_length": 32}
    magnitude = STFTSpectrogram(mode="magnitude", **common)(x).detach()
    log = STFTSpectrogram(mode="log", **common)(x).detach()
    psd = STFTSpectrogram(mode="psd", **common)(x).detach()
    torch.testing.assert_close(log, torch.log(magnitude))
    doubled = magnitude**2 * torch.tensor([1.0] + [2.0] * 15 + [1.0])
    torch.testing.assert_close(psd, doubled, rtol=1e-4, atol=1e-6)


def test_windows_are_scipy_get_window():
    np.testing.assert_allclose(scipy_window("hann", 9, False).numpy(), np.hanning(9))
    np.testing.assert_allclose(scipy_window("hamm", 8, True).numpy(), np.hamming(9)[:-1])
    np.testing.assert_allclose(scipy_window("triang", 5, False).numpy(), [1 / 3, 2 / 3, 1, 2 / 3, 1 / 3])
    np.testing.assert_allclose(scipy_window("triang", 4, False).numpy(), [0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(scipy_window("bkh", 5, False).numpy()[[0, 2]], [6e-05, 1.0], atol=1e-9)
    assert scipy_window("boxcar", 1, True).tolist() == [1.0]


def test_window_and_argument_errors():
    with pytest.raises(ValueError, match="Unknown window type"):
        STFTSpectrogram(window="nope")
    with pytest.raises(ValueError, match="'kaiser' window needs one or more parameters"):
        STFTSpectrogram(window="kaiser")
    with pytest.raises(NotImplementedError, match="'parzen' is not implemented"):
        STFTSpectrogram(window="parzen")
    with pytest.raises(ValueError, match="`frame_step` should be a positive integer"):
        STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="Output mode is invalid"):
        STFTSpectrogram(mode="power")
    with pytest.warns(UserWarning, match="power of two"):
        STFTSpectrogram(frame_length=8, fft_length=12)
    with pytest.raises(TypeError, match="Expected `float16`, `float32` or `float64`. Received: input type=int32"):
        STFTSpectrogram(frame_length=8, window=None)(torch.ones(1, 16, 1, dtype=torch.int32))
    with pytest.raises(ValueError, match="expected ndim=3"):
        STFTSpectrogram(frame_length=8)(torch.ones(16, 1))


def test_weights_are_trainable_keras_shaped_and_skipped_per_mode(rng):
    layer = STFTSpectrogram(mode="real", frame_length=16, window=None)
    layer.build((None, 64, 1))
    assert [w.name for w in layer.weights] == ["real_kernel"]
    assert list(layer.state_dict()) == ["real_kernel"] and layer.real_kernel.shape == (16, 1, 9)
    both = STFTSpectrogram(frame_length=16)
    x = torch.tensor(rng.standard_normal((2, 64, 1)).astype("float32"))
    both(x).sum().backward()
    assert both.real_kernel.grad is not None and both.imag_kernel.grad.shape == (16, 1, 9)


def test_symbolic_shapes_config_and_keras_file(tmp_path, rng):
    layer = STFTSpectrogram(frame_length=24, frame_step=6, padding="same", data_format="channels_first",
                            window=np.hamming(24), periodic=True)
    inputs = kerasish.Input((2, 100))
    out = layer(inputs)
    assert out.shape == (None, 2 * 17, 17)
    config = layer.get_config()
    assert config["window"] == pytest.approx(np.hamming(24).tolist()) and config["data_format"] == "channels_first"
    again = STFTSpectrogram.from_config(config)
    assert again.get_config() == config
    model = kerasish.Model(inputs, out)
    x = rng.standard_normal((2, 2, 100)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = kerasish.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
