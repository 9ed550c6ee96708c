"""keras.initializers: Keras 3's STFT kernel, the compatibility aliases and ``deserialize``."""

import math

import numpy as np
import pytest
import torch

from kerasish import initializers


def test_stft_kernel_is_the_dft_basis_times_the_normalised_window():
    frames, bins = 8, 5
    kernel = initializers.STFT("imag", "hann", "spectrum", periodic=True)((frames, 1, bins))
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frames) / frames)  # periodic Hann
    t = np.arange(frames)[:, None]
    f = np.arange(bins)[None, :]
    expected = np.sin(-2 * np.pi * t * f / ((bins - 1) * 2)) * window[:, None] / window.sum()
    np.testing.assert_allclose(kernel[:, 0].numpy(), expected, atol=1e-6)
    assert kernel.dtype == torch.float32


def test_stft_density_scaling_is_the_l2_norm_and_none_keeps_the_basis():
    kernel = initializers.STFT("real", [1.0, 1.0, 1.0, 1.0], "density")((4, 1, 3))
    np.testing.assert_allclose(kernel[:, 0, 0].numpy(), np.full(4, 0.5), atol=1e-7)
    plain = initializers.STFT("real", None)((4, 2, 3), dtype="float64")
    assert plain.dtype == torch.float64 and plain.shape == (4, 1, 3)
    np.testing.assert_allclose(plain[1, 0].numpy(), np.cos(-2 * math.pi * np.arange(3) / 4))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"side": "both"}, "side should be 'real' or 'imag', not both"),
        ({"scaling": "energy"}, "Scaling is invalid"),
    ],
)
def test_stft_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.STFT(**kwargs)


def test_stft_rejects_a_window_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"must be equal to \[frame_length\]"):
        initializers.STFT(window=[1.0, 2.0])((3, 1, 4))


def test_stft_config_round_trip():
    initializer = initializers.STFT("imag", [0.5, 1.0], None, True)
    config = initializer.get_config()
    assert config == {"side": "imag", "window": [0.5, 1.0], "periodic": True, "scaling": None}
    again = initializers.get({"class_name": "STFTInitializer", "config": config})
    assert isinstance(again, initializers.STFT) and again.get_config() == config


def test_keras3_aliases():
    assert initializers.IdentityInitializer is initializers.Identity
    assert initializers.OrthogonalInitializer is initializers.Orthogonal
    assert initializers.STFTInitializer is initializers.STFT is initializers.stft
    assert isinstance(initializers.get("stft"), initializers.STFT)
    assert isinstance(initializers.get("OrthogonalInitializer"), initializers.Orthogonal)


def test_identity_error_names_the_shape():
    with pytest.raises(ValueError, match=r"only be used for 2D matrices. Received: shape=\(2, 2, 2\) of rank 3"):
        initializers.Identity()((2, 2, 2))


def test_deserialize_names_dicts_and_unknown_names():
    assert isinstance(initializers.deserialize("he_normal"), initializers.HeNormal)
    identity = initializers.deserialize({"class_name": "IdentityInitializer", "config": {"gain": 3.0}})
    assert isinstance(identity, initializers.Identity) and identity.gain == 3.0
    assert initializers.deserialize("nothing_known") == "nothing_known"
