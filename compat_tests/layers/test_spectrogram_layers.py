"""STFTSpectrogram and MelSpectrogram side by side with Keras 3 (torch backend): outputs,
kernels, shapes, configs, and `.keras` / `.weights.h5` files crossing both ways.

This venv has no SciPy, which Keras needs for named STFTSpectrogram windows; Keras gets those
windows as arrays here (NumPy's symmetric Hann/Hamming/Blackman/Bartlett are SciPy's), so the
kerasish window names are checked against the same values.
"""

import numpy as np
import pytest
import torch

import kerasish


@pytest.fixture(autouse=True)
def _fresh_sessions():
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


RNG = np.random.default_rng(3)
AUDIO = RNG.standard_normal((2, 300, 2)).astype("float32")
MONO = (RNG.standard_normal((2, 1000)) * 3).astype("float32")


def _periodic(fn, n):
    return fn(n + 1)[:-1]


STFT_CASES = [
    ({"mode": "log", "frame_length": 64}, {"window": None}),
    ({"mode": "magnitude", "frame_length": 32, "expand_dims": True}, {"window": None}),
    ({"mode": "psd", "frame_length": 50, "frame_step": 20, "fft_length": 64, "padding": "same", "scaling": "spectrum"},
     {"window": np.hanning(50)}),
    ({"mode": "stft", "frame_length": 32, "data_format": "channels_first", "expand_dims": True, "scaling": None},
     {"window": None}),
    ({"mode": "real", "frame_length": 40, "frame_step": 13}, {"window": np.hamming(40)}),
    ({"mode": "imag", "frame_length": 40, "frame_step": 13, "data_format": "channels_first"}, {"window": np.hamming(40)}),
    ({"mode": "angle", "frame_length": 32}, {"window": None}),
]


@pytest.mark.parametrize("case", STFT_CASES, ids=[c[0]["mode"] + str(i) for i, c in enumerate(STFT_CASES)])
def test_stft_spectrogram_matches_keras(case):
    import keras

    kwargs, window = case
    x = AUDIO if kwargs.get("data_format") != "channels_first" else AUDIO.transpose(0, 2, 1).copy()
    theirs = keras.layers.STFTSpectrogram(**kwargs, **window)
    ours = kerasish.layers.STFTSpectrogram(**kwargs, **window)
    expected = theirs(x).detach().numpy()
    received = ours(x).detach().numpy()
    assert received.shape == expected.shape == tuple(ours.compute_output_shape(x.shape))
    np.testing.assert_allclose(received, expected, atol=1e-5, rtol=1e-5)
    assert [w.path.split("/")[-1] for w in theirs.weights] == [w.name for w in ours.weights]
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)
    config = theirs.get_config()
    ours_config = ours.get_config()
    for key in ("mode", "frame_length", "frame_step", "fft_length", "periodic", "scaling", "padding",
                "data_format", "expand_dims"):
        assert ours_config[key] == config[key]


@pytest.mark.parametrize(
    "name,values",
    [
        ("hann", np.hanning), ("hamming", np.hamming), ("blackman", np.blackman), ("bartlett", np.bartlett),
        ("boxcar", np.ones),
    ],
)
@pytest.mark.parametrize("periodic", [False, True])
def test_named_windows_give_keras_kernels(name, values, periodic):
    """SciPy's get_window(name, n, fftbins=periodic) is NumPy's symmetric window of n (+1) points."""
    import keras

    n = 24
    window = _periodic(values, n) if periodic else values(n)
    theirs = keras.layers.STFTSpectrogram(frame_length=n, window=window, mode="stft")
    ours = kerasish.layers.STFTSpectrogram(frame_length=n, window=name, periodic=periodic, mode="stft")
    theirs.build((None, 100, 1))
    ours.build((None, 100, 1))
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_stft_spectrogram_files_cross_load(tmp_path):
    import keras

    kwargs = {"mode": "log", "frame_length": 32, "frame_step": 8, "window": None}

    def model(lib):
        inputs = lib.Input((300, 2))
        return lib.Model(inputs, lib.layers.Dense(3)(lib.layers.STFTSpectrogram(**kwargs)(inputs)))

    theirs, ours = model(keras), model(kerasish)
    theirs.set_weights([w + 0.01 * RNG.standard_normal(w.shape).astype("float32") for w in theirs.get_weights()])
    theirs.save(tmp_path / "keras.keras")
    theirs.save_weights(tmp_path / "keras.weights.h5")
    expected = theirs.predict(AUDIO, verbose=0)

    loaded = kerasish.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(loaded.predict(AUDIO, verbose=0), expected, atol=1e-5)
    ours.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(ours.predict(AUDIO, verbose=0), expected, atol=1e-5)

    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(back.predict(AUDIO, verbose=0), expected, atol=1e-5)


MEL_CASES = [
    {"fft_length": 256, "sequence_stride": 64, "num_mel_bins": 40},
    {"fft_length": 128, "sequence_length": 100, "sequence_stride": 50, "window": "hamming", "num_mel_bins": 16,
     "power_to_db": False, "mag_exp": 1.0, "max_freq": 6000, "min_freq": 50},
    {"fft_length": 64, "sequence_stride": 32, "window": None, "top_db": 20.0, "ref_power": -2.0,
     "sampling_rate": 8000, "num_mel_bins": 10},
]


@pytest.mark.parametrize("kwargs", MEL_CASES, ids=[str(i) for i in range(len(MEL_CASES))])
def test_mel_spectrogram_matches_keras(kwargs):
    import keras

    theirs = keras.layers.MelSpectrogram(**kwargs)
    ours = kerasish.layers.MelSpectrogram(**kwargs)
    for x in (MONO, MONO[0]):
        expected = theirs(x).detach().numpy()
        received = ours(x).detach().numpy()
        assert received.dtype == expected.dtype and received.shape == expected.shape
        np.testing.assert_allclose(received, expected, atol=1e-4, rtol=1e-5)
    config = theirs.get_config()
    del config["dtype"]
    assert {k: v for k, v in ours.get_config().items() if k != "dtype"} == config
    assert not ours.weights and not list(ours.state_dict())


def test_mel_spectrogram_float64_and_symbolic_shape_match_keras():
    import keras

    theirs = keras.layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8, dtype="float64")
    ours = kerasish.layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8, dtype="float64")
    expected = theirs(MONO.astype("float64"))
    received = ours(MONO.astype("float64"))
    assert received.dtype == expected.dtype == torch.float64
    np.testing.assert_allclose(received.numpy(), expected.numpy(), atol=1e-4)
    for samples in (1000, None):
        k_out = theirs(keras.Input((samples,)))
        o_out = ours(kerasish.Input((samples,)))
        assert tuple(o_out.shape) == tuple(k_out.shape)


def test_mel_spectrogram_model_files_cross_load(tmp_path):
    import keras

    kwargs = {"fft_length": 128, "sequence_stride": 64, "num_mel_bins": 12, "window": "hamming"}

    def model(lib):
        inputs = lib.Input((1000,))
        return lib.Model(inputs, lib.layers.MelSpectrogram(**kwargs)(inputs))

    theirs, ours = model(keras), model(kerasish)
    expected = theirs.predict(MONO, verbose=0)
    theirs.save(tmp_path / "keras.keras")
    np.testing.assert_allclose(kerasish.models.load_model(tmp_path / "keras.keras").predict(MONO, verbose=0),
                               expected, atol=1e-4, rtol=1e-5)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "ours.keras").predict(MONO, verbose=0),
                               expected, atol=1e-4, rtol=1e-5)
