"""RandomCrop side by side with Keras 3.15.1 (whose code, not docstring, is the reference)."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs

# Training cases where Keras' window is deterministic: input not larger on both axes (centred
# window start, then a resize when the slice is smaller than the target).
DETERMINISTIC = [
    ((2, 5, 6, 3), 5, 4, "channels_last"),
    ((2, 5, 6, 3), 3, 6, "channels_last"),
    ((2, 5, 6, 1), 6, 6, "channels_last"),
    ((2, 5, 6, 2), 7, 3, "channels_last"),
    ((2, 2, 5, 6), 4, 8, "channels_first"),
    ((2, 3, 5, 6), 5, 2, "channels_first"),
    ((5, 6, 3), 8, 8, "channels_last"),
    ((3, 5, 6), 5, 5, "channels_first"),
]


@pytest.mark.parametrize("shape, height, width, data_format", DETERMINISTIC)
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_training_deterministic_window_matches_keras(shape, height, width, data_format, dtype, rng):
    x = torch.from_numpy((rng.random(shape) * 255).astype(dtype))
    theirs = keras.layers.RandomCrop(height, width, data_format=data_format)
    ours = kerasish.layers.RandomCrop(height, width, data_format=data_format)
    expected = keras.ops.convert_to_numpy(theirs(x, training=True))
    received = ours(x, training=True).numpy()
    assert received.dtype == expected.dtype
    np.testing.assert_allclose(received, expected, atol=1e-4, rtol=1e-6)
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_training_random_window_is_one_keras_window_per_batch(data_format, rng):
    shape = (3, 7, 8, 2) if data_format == "channels_last" else (3, 2, 7, 8)
    x = torch.from_numpy(rng.standard_normal(shape).astype("float32"))
    ours = kerasish.layers.RandomCrop(3, 4, seed=5, data_format=data_format)
    theirs = keras.layers.RandomCrop(3, 4, data_format=data_format)
    seen = set()
    for _ in range(60):
        received = ours(x, training=True).numpy()
        assert received.shape == tuple(keras.ops.shape(theirs(x, training=True)))
        matches = [
            (top, left)
            for top in range(5)
            for left in range(5)
            if np.array_equal(
                received,
                x.numpy()[:, top:top + 3, left:left + 4]
                if data_format == "channels_last"
                else x.numpy()[:, :, top:top + 3, left:left + 4],
            )
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 15  # offsets cover Keras' range [0, n] on both axes


@pytest.mark.parametrize("dtype", ["uint8", "float64", "float32"])
def test_inference_returns_the_input_like_keras(dtype, rng):
    x = torch.from_numpy((rng.random((2, 5, 6, 3)) * 9).astype(dtype))
    expected = keras.layers.RandomCrop(3, 4)(x, training=False)
    received = kerasish.layers.RandomCrop(3, 4)(x, training=False)
    assert received.dtype == expected.dtype and received.shape == expected.shape
    np.testing.assert_array_equal(received.numpy(), keras.ops.convert_to_numpy(expected))
    array = x.numpy()  # numpy inputs keep their dtype too (no input autocast in Keras)
    expected = keras.layers.RandomCrop(3, 4)(array, training=False)
    received = kerasish.layers.RandomCrop(3, 4)(array, training=False)
    assert received.dtype == expected.dtype and received.shape == expected.shape


def test_config_cross_loads():
    theirs = keras.layers.RandomCrop(3, 4, seed=7, data_format="channels_first", name="crop")
    ours = kerasish.layers.RandomCrop.from_config(theirs.get_config())
    assert ours.get_config() == {**theirs.get_config(), "dtype": "float32"}
    back = keras.layers.RandomCrop.from_config(ours.get_config())
    assert back.get_config() == theirs.get_config()
    unseeded = kerasish.layers.RandomCrop(3, 4).get_config()["seed"]
    assert isinstance(unseeded, int) and 1 <= unseeded <= 1e9  # Keras records a drawn seed


def _model(module):
    inputs = module.Input((5, 6, 2))
    hidden = module.layers.RandomCrop(5, 4, name="crop")(inputs)
    hidden = module.layers.Conv2D(3, 2, name="conv")(hidden)
    # Pooled: at inference the crop is skipped (Keras 3.15), so a Flatten would change size.
    hidden = module.layers.GlobalAveragePooling2D()(hidden)
    outputs = module.layers.Dense(2, name="head")(hidden)
    return module.Model(inputs, outputs)


def test_model_with_crop_fits_like_keras(rng):
    x = rng.standard_normal((8, 5, 6, 2)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    theirs, ours = _model(keras), _model(kerasish)
    assert ours.output_shape == theirs.output_shape
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    theirs.compile(optimizer="sgd", loss="mse")
    ours.compile(optimizer="sgd", loss="mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    assert_same_outputs(theirs, ours, x)


def test_keras_files_load_both_ways(tmp_path):
    inputs = keras.Input((5, 6, 2))
    reference = keras.Model(inputs, keras.layers.RandomCrop(3, 4, seed=3, name="crop")(inputs))
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    crop = ours.get_layer("crop")
    assert (crop.height, crop.width, crop.seed) == (3, 4, 3)
    assert ours.output_shape == reference.output_shape
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("crop").get_config() == reference.get_layer("crop").get_config()
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 2)).astype("float32")
    assert_same_outputs(back, ours, x)  # predict: inference, the input unchanged in both
