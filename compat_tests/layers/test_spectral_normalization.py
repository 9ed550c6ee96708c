"""SpectralNormalization side by side with Keras 3: power iteration, in-place kernel update in
training, weights order and files."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs


def _dense(module):
    return module.layers.Dense(3)


def _conv(module):
    return module.layers.Conv2D(2, 3, data_format="channels_last")


def _conv_first(module):
    return module.layers.Conv2D(2, (2, 3), data_format="channels_first")


def _embedding(module):
    return module.layers.Embedding(6, 3)


CASES = [
    (_dense, (2, 4), 1),
    (_dense, (2, 3, 4), 3),
    (_conv, (2, 5, 5, 3), 1),
    (_conv_first, (2, 3, 5, 4), 2),
    (_embedding, (2, 4), 1),
]


@pytest.mark.parametrize("make, shape, iterations", CASES)
def test_layer_matches_keras(make, shape, iterations, rng):
    theirs = keras.layers.SpectralNormalization(make(keras), power_iterations=iterations)
    ours = kerasish.layers.SpectralNormalization(make(kerasish), power_iterations=iterations)
    theirs.build(shape)
    ours.build(shape)
    assert [(w.shape, w.trainable) for w in ours.weights] == [
        (tuple(w.shape), w.trainable) for w in theirs.weights
    ]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    weights = [rng.standard_normal(w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    if make is _embedding:
        x = rng.integers(0, 6, shape)
    else:
        x = rng.standard_normal(shape).astype("float32")
    for training in (False, True, True, False):
        expected = keras.ops.convert_to_numpy(theirs(x, training=training))
        received = ours(torch.from_numpy(x), training=training).detach().numpy()
        assert received.dtype == expected.dtype
        np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
        for got, want in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    symbolic = (None,) + shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))


def test_zero_kernel_is_left_alone_like_keras(rng):
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(2))
    ours = kerasish.layers.SpectralNormalization(kerasish.layers.Dense(2))
    theirs.build((1, 3))
    ours.build((1, 3))
    weights = [np.zeros((3, 2), "float32"), rng.standard_normal((1, 2)).astype("float32"),
               np.ones(2, "float32")]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    x = rng.standard_normal((2, 3)).astype("float32")
    theirs(x, training=True)
    ours(torch.from_numpy(x), training=True)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_config_cross_loads():
    theirs = keras.layers.SpectralNormalization(
        keras.layers.Dense(4, name="d"), power_iterations=3, name="sn"
    )
    ours = kerasish.layers.SpectralNormalization.from_config(theirs.get_config())
    assert (ours.name, ours.power_iterations, ours.layer.units, ours.layer.name) == (
        "sn", 3, 4, "d"
    )
    # kerasish configs nest layers in tf.keras' schema; Keras 3's schema is serialize_keras_object's.
    back = keras.saving.deserialize_keras_object(kerasish.saving.serialize_keras_object(ours))
    assert isinstance(back, keras.layers.SpectralNormalization)
    assert (back.name, back.power_iterations, back.layer.units, back.layer.name) == (
        "sn", 3, 4, "d"
    )
    config = dict(ours.get_config())
    expected = dict(theirs.get_config())
    config.pop("layer"), expected.pop("layer")
    assert config == {**expected, "dtype": "float32"}


def test_bad_arguments_raise_like_keras():
    for module in (keras, kerasish):
        with pytest.raises(ValueError, match="`power_iterations` should be greater than zero"):
            module.layers.SpectralNormalization(module.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError) as theirs:
        keras.layers.SpectralNormalization(keras.layers.Flatten()).build((None, 3))
    with pytest.raises(ValueError) as ours:
        kerasish.layers.SpectralNormalization(kerasish.layers.Flatten()).build((None, 3))
    assert str(ours.value) == str(theirs.value)


def _model(module):
    inputs = module.Input((6, 6, 2))
    hidden = module.layers.SpectralNormalization(
        module.layers.Conv2D(3, 3, activation="relu", name="conv"), name="sn_conv"
    )(inputs)
    hidden = module.layers.Flatten()(hidden)
    outputs = module.layers.SpectralNormalization(
        module.layers.Dense(2, name="dense"), power_iterations=2, name="sn_dense"
    )(hidden)
    return module.Model(inputs, outputs)


def test_model_fits_like_keras(rng):
    x = rng.standard_normal((8, 6, 6, 2)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    theirs, ours = _model(keras), _model(kerasish)
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 4
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights) == 2
    assert_same_outputs(theirs, ours, x)
    theirs.compile(optimizer="sgd", loss="mse")
    ours.compile(optimizer="sgd", loss="mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    assert_same_outputs(theirs, ours, x)


def test_keras_files_load_both_ways(rng, tmp_path):
    x = rng.standard_normal((3, 6, 6, 2)).astype("float32")
    reference = _model(keras)
    reference.set_weights([rng.standard_normal(w.shape).astype("float32") for w in reference.weights])
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(ours.get_layer("sn_dense"), kerasish.layers.SpectralNormalization)
    for got, want in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(reference, ours, x)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("sn_dense").power_iterations == 2
    for got, want in zip(back.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(back, ours, x)
    ours.save_weights(tmp_path / "ours.weights.h5")
    fresh = _model(keras)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    assert_same_outputs(fresh, ours, x)
