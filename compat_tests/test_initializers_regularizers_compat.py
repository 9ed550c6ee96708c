"""Keras 3's STFT initializer, OrthogonalRegularizer, the compatibility aliases and the
``deserialize`` functions of initializers, regularizers and constraints, side by side."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import signal_windows


def _hann(length, periodic):
    # NumPy's Hann window is SciPy's symmetric one; a periodic window is one point longer, cut.
    return np.hanning(length + 1)[:-1] if periodic else np.hanning(length)


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_kernel_matches_keras(side, scaling, periodic):
    """Keras needs SciPy for a window name; the same window given as values gives its kernel."""
    import keras

    shape = (16, 1, 9)
    window = _hann(16, periodic)
    expected = keras.initializers.STFT(side, window, scaling, periodic)(shape)
    by_values = kerasish.initializers.STFT(side, window, scaling, periodic)(shape)
    by_name = kerasish.initializers.STFT(side, "hann", scaling, periodic)(shape)
    np.testing.assert_allclose(by_values.numpy(), keras.ops.convert_to_numpy(expected), atol=1e-6, rtol=0)
    np.testing.assert_allclose(by_name.numpy(), by_values.numpy(), atol=1e-7, rtol=0)


def test_stft_without_window_and_its_config_match_keras():
    import keras

    shape = (6, 2, 4)
    reference = keras.initializers.STFT("imag", None, None)
    ours = kerasish.initializers.STFT("imag", None, None)
    np.testing.assert_allclose(
        ours(shape).numpy(), keras.ops.convert_to_numpy(reference(shape)), atol=1e-6, rtol=0
    )
    assert ours.get_config() == reference.get_config()
    config = keras.initializers.serialize(keras.initializers.STFT("real", [1.0, 2.0, 1.0], "spectrum", True))
    ours = kerasish.initializers.get(config)
    assert isinstance(ours, kerasish.initializers.STFT)
    assert ours.get_config() == config["config"]


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "boxcar"])
def test_windows_equal_numpys_symmetric_windows(name):
    numpy_window = {"hann": np.hanning, "hamming": np.hamming, "blackman": np.blackman,
                    "bartlett": np.bartlett, "boxcar": np.ones}[name]
    for length in (1, 2, 7, 16):
        np.testing.assert_allclose(
            signal_windows.get_window(name, length), numpy_window(length), atol=1e-15
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [({"side": "left", "window": None}, "side should be"),
     ({"window": None, "scaling": "energy"}, "Scaling is invalid")],
)
def test_stft_argument_errors_match_keras(kwargs, message):
    import keras

    with pytest.raises(ValueError, match=message) as reference:
        keras.initializers.STFT(**kwargs)
    with pytest.raises(ValueError, match=message) as ours:
        kerasish.initializers.STFT(**kwargs)
    assert str(ours.value) == str(reference.value)


def test_stft_window_shape_error_matches_keras():
    import keras

    with pytest.raises(ValueError, match="must be equal to") as reference:
        keras.initializers.STFT(window=[1.0, 2.0])((3, 1, 4))
    with pytest.raises(ValueError, match="must be equal to"):
        kerasish.initializers.STFT(window=[1.0, 2.0])((3, 1, 4))
    assert "Received: window shape=" in str(reference.value)


@pytest.mark.parametrize("name", ["IdentityInitializer", "OrthogonalInitializer", "STFTInitializer", "stft"])
def test_compatibility_aliases_are_the_same_classes_as_in_keras(name):
    import keras

    reference = getattr(keras.initializers, name)
    ours = getattr(kerasish.initializers, name)
    assert ours.__name__ == reference.__name__
    assert type(kerasish.initializers.deserialize(name)).__name__ == reference.__name__
    if "STFT" not in reference.__name__:  # Keras' default STFT needs SciPy for its Hann window
        assert type(keras.initializers.deserialize(name)) is reference


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_orthogonal_regularizer_matches_keras(rng, mode, shape):
    import keras

    x = rng.standard_normal(shape).astype("float32")
    x[1] = 0.0  # an all-zero row: Keras' normalisation caps 1/norm at 1/epsilon
    expected = keras.regularizers.OrthogonalRegularizer(0.3, mode)(keras.ops.convert_to_tensor(x))
    received = kerasish.regularizers.OrthogonalRegularizer(0.3, mode)(torch.from_numpy(x))
    np.testing.assert_allclose(received.numpy(), keras.ops.convert_to_numpy(expected), atol=1e-6, rtol=0)


def test_orthogonal_regularizer_config_and_errors_match_keras():
    import keras

    reference = keras.regularizers.OrthogonalRegularizer(0.1, "columns")
    ours = kerasish.regularizers.OrthogonalRegularizer(0.1, "columns")
    assert ours.get_config() == reference.get_config()
    assert kerasish.regularizers.serialize(ours)["class_name"] == "OrthogonalRegularizer"
    for make in (
        lambda lib: lib.regularizers.OrthogonalRegularizer(-1.0),
        lambda lib: lib.regularizers.OrthogonalRegularizer(mode="diagonal"),
    ):
        with pytest.raises(ValueError) as expected:
            make(keras)
        with pytest.raises(ValueError) as received:
            make(kerasish)
        assert str(received.value) == str(expected.value)


def test_keras3_model_with_orthogonal_regularizer_loads_with_the_same_penalty(rng, tmp_path):
    import keras

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(
        6, kernel_regularizer=keras.regularizers.OrthogonalRegularizer(0.2, "columns")
    )(inputs)
    outputs = keras.layers.Dense(3, kernel_regularizer="orthogonal_regularizer")(hidden)
    reference = keras.Model(inputs, outputs)
    path = tmp_path / "ortho.keras"
    reference.save(path)
    ours = kerasish.models.load_model(path)
    expected = [float(keras.ops.convert_to_numpy(loss)) for loss in reference.losses]
    received = [float(loss.detach()) for loss in ours.losses]
    np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)

    ours_path = tmp_path / "ours.keras"
    ours.save(ours_path)
    back = keras.models.load_model(ours_path)
    np.testing.assert_allclose(
        [float(keras.ops.convert_to_numpy(loss)) for loss in back.losses], expected, atol=1e-6
    )


@pytest.mark.parametrize(
    "module, config",
    [
        ("initializers", "orthogonal"),
        ("initializers", {"class_name": "RandomNormal", "config": {"stddev": 0.2, "seed": 3}}),
        ("regularizers", "l1l2"),
        ("regularizers", {"class_name": "L2", "config": {"l2": 0.5}}),
        ("constraints", "max_norm"),
        ("constraints", {"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 2.0,
                                                               "rate": 1.0, "axis": 0}}),
    ],
)
def test_deserialize_matches_keras(module, config):
    import keras

    reference = getattr(keras, module).deserialize(config)
    ours = getattr(kerasish, module).deserialize(config)
    assert type(ours).__name__ == type(reference).__name__
    assert ours.get_config() == pytest.approx(reference.get_config())


@pytest.mark.parametrize("module", ["initializers", "regularizers", "constraints"])
def test_deserialize_returns_unknown_names_as_keras_does(module):
    import keras

    assert getattr(kerasish, module).deserialize("nothing") == getattr(keras, module).deserialize("nothing")
