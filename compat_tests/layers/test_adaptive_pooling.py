"""Adaptive pooling layers and ops side by side with Keras 3 (torch backend)."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs

CASES = [
    ("AdaptiveAveragePooling1D", (2, 7, 3), 3),
    ("AdaptiveMaxPooling1D", (2, 7, 3), (4,)),
    ("AdaptiveAveragePooling2D", (2, 5, 7, 3), (3, 2)),
    ("AdaptiveMaxPooling2D", (2, 5, 7, 3), 3),
    ("AdaptiveAveragePooling3D", (1, 5, 4, 7, 2), (2, 3, 4)),
    ("AdaptiveMaxPooling3D", (1, 5, 4, 7, 2), 3),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("name, shape, output_size", CASES)
def test_layer_matches_keras(name, shape, output_size, data_format, rng):
    theirs = getattr(keras.layers, name)(output_size, data_format=data_format)
    ours = getattr(kerasish.layers, name)(output_size, data_format=data_format)
    assert ours.get_config() == {**theirs.get_config(), "dtype": "float32"}
    x = rng.standard_normal(shape).astype("float32")
    expected = keras.ops.convert_to_numpy(theirs(x))
    received = ours(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)
    symbolic = (None,) + shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))
    assert ours(kerasish.Input(batch_shape=symbolic)).shape == (None,) + expected.shape[1:]


@pytest.mark.parametrize("op", ["adaptive_average_pool", "adaptive_max_pool"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "shape, output_size, data_format",
    [((2, 9, 3), 4, "channels_last"), ((2, 3, 6, 5), (4, 2), "channels_first"),
     ((1, 5, 6, 4, 2), 2, None)],
)
def test_ops_match_keras(op, dtype, shape, output_size, data_format, rng):
    x = rng.standard_normal(shape).astype(dtype)
    expected = keras.ops.convert_to_numpy(
        getattr(keras.ops, op)(x, output_size, data_format=data_format)
    )
    received = getattr(kerasish.ops, op)(x, output_size, data_format=data_format).numpy()
    assert received.dtype == expected.dtype
    np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "name, size, error",
    [
        ("AdaptiveAveragePooling1D", (2, 3), ValueError),
        ("AdaptiveMaxPooling1D", "a", TypeError),
        ("AdaptiveAveragePooling2D", (2, 3, 4), TypeError),
        ("AdaptiveMaxPooling3D", (2, 3), TypeError),
    ],
)
def test_bad_output_size_raises_like_keras(name, size, error):
    with pytest.raises(error) as theirs:
        getattr(keras.layers, name)(size)
    with pytest.raises(error) as ours:
        getattr(kerasish.layers, name)(size)
    assert str(ours.value) == str(theirs.value)


def test_bad_data_format_raises_like_keras():
    with pytest.raises(ValueError) as theirs:
        keras.layers.AdaptiveMaxPooling2D(2, data_format="NHWC")
    with pytest.raises(ValueError) as ours:
        kerasish.layers.AdaptiveMaxPooling2D(2, data_format="NHWC")
    assert str(ours.value) == str(theirs.value)


def _model(module):
    inputs = module.Input((6, 5, 2))
    hidden = module.layers.Conv2D(3, 2, name="conv")(inputs)
    hidden = module.layers.AdaptiveMaxPooling2D((2, 3), name="amax")(hidden)
    hidden = module.layers.AdaptiveAveragePooling2D(1, name="aavg")(hidden)
    outputs = module.layers.Dense(2, name="head")(module.layers.Flatten()(hidden))
    return module.Model(inputs, outputs)


def test_model_fits_like_keras(rng):
    x = rng.standard_normal((8, 6, 5, 2)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    theirs, ours = _model(keras), _model(kerasish)
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert_same_outputs(theirs, ours, x)
    theirs.compile(optimizer="sgd", loss="mse")
    ours.compile(optimizer="sgd", loss="mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
    assert_same_outputs(theirs, ours, x)


def test_keras_files_load_both_ways(rng, tmp_path):
    x = rng.standard_normal((3, 6, 5, 2)).astype("float32")
    reference = _model(keras)
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert ours.get_layer("amax").output_size == (2, 3)
    assert_same_outputs(reference, ours, x)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert isinstance(back.get_layer("aavg"), keras.layers.AdaptiveAveragePooling2D)
    assert_same_outputs(back, ours, x)
