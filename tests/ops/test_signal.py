"""kerasish.ops.signal (stft, istft) without real Keras."""

import numpy as np
import pytest
import torch

from kerasish import ops


def test_stft_uncentred_is_the_dft_of_windowed_frames(rng):
    x = rng.standard_normal((2, 50))
    window = np.hamming(12)
    real, imag = ops.stft(x, 12, 5, 16, window=window, center=False)
    # torch (and Keras) frame fft_length samples and centre the window in them
    left = (16 - 12) // 2
    padded_window = np.pad(window, (left, 16 - 12 - left))
    frames = np.stack([x[:, i : i + 16] for i in range(0, 50 - 16 + 1, 5)], axis=1) * padded_window
    expected = np.fft.rfft(frames, axis=-1)
    assert real.shape == (2, 7, 9) and real.dtype == torch.float64
    np.testing.assert_allclose(real.numpy(), expected.real, atol=1e-10)
    np.testing.assert_allclose(imag.numpy(), expected.imag, atol=1e-10)


def test_stft_keeps_leading_axes_and_refuses_other_dtypes(rng):
    x = rng.standard_normal((2, 3, 40)).astype("float32")
    real, imag = ops.stft(x, 8, 4, 8)
    assert real.shape == imag.shape == (2, 3, 11, 5)
    np.testing.assert_allclose(real[1, 2].numpy(), ops.stft(x[1, 2], 8, 4, 8)[0].numpy(), atol=1e-6)
    with pytest.raises(TypeError, match="Expected `float32` or `float64`. Received: input type=int32"):
        ops.stft(np.ones((2, 40), "int32"), 8, 4, 8)
    with pytest.raises(ValueError, match="`fft_length` must equal or larger"):
        ops.stft(x, 16, 4, 8)
    with pytest.raises(ValueError, match='must be one of `"hann"`, `"hamming"`'):
        ops.stft(x, 8, 4, 8, window="blackman")
    with pytest.raises(ValueError, match=r"window` must be equal to \[sequence_length\]"):
        ops.stft(x, 8, 4, 8, window=np.ones(7))


@pytest.mark.parametrize(
    "length,stride,fft,window,center",
    [(16, 4, 16, "hann", True), (10, 4, 16, "hann", True), (12, 3, 12, "hamming", False), (8, 8, 8, None, True)],
)
def test_istft_inverts_stft(rng, length, stride, fft, window, center):
    x = rng.standard_normal((2, 64))
    spectrum = ops.stft(x, length, stride, fft, window=window, center=center)
    back = ops.istft(spectrum, length, stride, fft, length=None if not center else 64, window=window, center=center)
    # Keras divides by the squared-window sum of a fully overlapped sample, so only samples
    # that every frame position covers come back exactly (all of them on torch.istft's path).
    inner = slice(None) if length == fft and center and window else slice(fft, 48)
    np.testing.assert_allclose(back.numpy()[:, inner], x[:, inner], atol=1e-9)


def test_istft_checks_its_input():
    with pytest.raises(ValueError, match="tuple of two tensors"):
        ops.istft(np.ones((3, 5)), 8, 4, 8)
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.istft((np.ones(5), np.ones(5)), 8, 4, 8)
    with pytest.raises(ValueError, match="`sequence_stride` must equal or less than"):
        ops.istft((np.ones((3, 5)), np.ones((3, 5))), 8, 10, 8, center=False)


def test_stft_on_keras_tensors_builds_a_node():
    import kerasish

    inputs = kerasish.Input((40,))
    real, imag = ops.stft(inputs, 8, 4, 16)
    assert real.shape == imag.shape == (None, 11, 9)
    signal = ops.istft((real, imag), 8, 4, 16, length=40)
    assert signal.shape == (None, 40)
    x = torch.randn(3, 40)
    np.testing.assert_allclose(kerasish.Model(inputs, signal)(x).numpy(), x.numpy(), atol=1e-5)
