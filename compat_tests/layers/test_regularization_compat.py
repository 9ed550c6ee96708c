"""Noise and dropout layers side by side with Keras 3.

Random draws differ between the two libraries, so inference is compared exactly and training
is compared by what the noise must preserve: which entries are dropped together, the scale of
kept values, and the mean/spread of the outputs, on the same inputs in both libraries.
"""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

CASES = [
    ("SpatialDropout1D", {"rate": 0.4}, (64, 8, 16)),
    ("SpatialDropout2D", {"rate": 0.3}, (64, 4, 5, 16)),
    ("SpatialDropout2D", {"rate": 0.3, "data_format": "channels_first"}, (64, 16, 4, 5)),
    ("SpatialDropout3D", {"rate": 0.5}, (32, 2, 3, 4, 16)),
    ("SpatialDropout3D", {"rate": 0.5, "data_format": "channels_first"}, (32, 16, 2, 3, 4)),
    ("GaussianNoise", {"stddev": 0.5}, (64, 32)),
    ("GaussianDropout", {"rate": 0.3}, (64, 32)),
    ("AlphaDropout", {"rate": 0.2}, (64, 32)),
    ("AlphaDropout", {"rate": 0.2, "noise_shape": (None, 1)}, (64, 32)),
    ("ActivityRegularization", {"l1": 0.1}, (8, 4)),
]


@pytest.mark.parametrize("name, kwargs, shape", CASES)
def test_inference_and_configs_match_keras(rng, name, kwargs, shape):
    """Identity at inference inside a model; configs read and written both ways."""
    import keras

    config = getattr(keras.layers, name)(**kwargs).get_config()
    ours_layer = getattr(kerasish.layers, name).from_config(config)
    assert set(ours_layer.get_config()) == set(config)
    back = getattr(keras.layers, name).from_config(ours_layer.get_config())
    assert back.get_config() == getattr(keras.layers, name).from_config(config).get_config()
    assert ours_layer.compute_output_shape(shape) == tuple(back.compute_output_shape(shape))

    def build(lib, layer):
        inputs = lib.Input(shape[1:])
        return lib.Model(inputs, lib.layers.Dense(3)(layer(inputs)))

    reference, ours = build(keras, back), build(kerasish, ours_layer)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal(shape).astype("float32"))


def _both_training(name, kwargs, x):
    import keras

    reference = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(x, training=True))
    ours = getattr(kerasish.layers, name)(**kwargs)(torch.from_numpy(x), training=True).numpy()
    return reference, ours


@pytest.mark.parametrize("name, kwargs, shape", CASES[:5])
def test_spatial_dropout_drops_whole_channels(name, kwargs, shape):
    x = np.ones(shape, "float32")
    channel_axis = 1 if kwargs.get("data_format") == "channels_first" else -1
    rate = kwargs["rate"]
    for out in _both_training(name, kwargs, x):
        kept = np.moveaxis(out, channel_axis, -1).reshape(shape[0], -1, shape[channel_axis])
        # every (sample, channel) is either all dropped or all kept and scaled by 1/(1-rate)
        assert np.all(kept.min(axis=1) == kept.max(axis=1))
        assert np.all(np.isclose(kept, 0) | np.isclose(kept, 1 / (1 - rate)))
        assert abs((kept[:, 0] == 0).mean() - rate) < 0.1


def test_gaussian_noise_statistics():
    x = np.full((200, 50), 2.0, "float32")
    for out in _both_training("GaussianNoise", {"stddev": 0.5}, x):
        assert abs(out.mean() - 2.0) < 0.02
        assert abs(out.std() - 0.5) < 0.02


def test_gaussian_dropout_statistics():
    x = np.full((200, 50), 2.0, "float32")
    expected_std = 2.0 * np.sqrt(0.3 / 0.7)
    for out in _both_training("GaussianDropout", {"rate": 0.3}, x):
        assert abs(out.mean() - 2.0) < 0.05
        assert abs(out.std() - expected_std) < 0.05


def test_alpha_dropout_keeps_selu_statistics(rng):
    """Kept units become ``a * x + b`` and dropped ones ``a * alpha' + b`` (SELU's saturation
    value moved by the same affine map), with ``a`` and ``b`` restoring mean 0 and variance 1."""
    rate = 0.2
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    x = rng.standard_normal((400, 50)).astype("float32")
    for out in _both_training("AlphaDropout", {"rate": rate}, x):
        kept = np.isclose(out, a * x + b, atol=1e-5)
        dropped = np.isclose(out, a * alpha_p + b, atol=1e-5)
        assert np.all(kept | dropped)
        assert abs(dropped.mean() - rate) < 0.02
        assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05


def test_spatial_dropout_reads_tf_keras_config():
    """tf.keras writes `trainable` and `noise_shape`, which Keras 3 refuses; kerasish reads them
    and writes the keys both accept."""
    import keras

    tf_keras_config = {
        "name": "spatial_dropout1d",
        "trainable": True,
        "dtype": "float32",
        "rate": 0.25,
        "noise_shape": None,
        "seed": None,
    }
    ours = kerasish.layers.SpatialDropout1D.from_config(tf_keras_config)
    assert ours.rate == 0.25
    assert keras.layers.SpatialDropout1D.from_config(ours.get_config()).rate == 0.25
