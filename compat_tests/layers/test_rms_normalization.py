"""RMSNormalization and ops.rms_normalization side by side with Keras 3."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs

CASES = [
    ({}, (4, 6)),
    ({"epsilon": 0.1}, (3, 5)),
    ({"axis": [1, 2]}, (2, 3, 4)),
    ({"axis": (-1, -2), "epsilon": 1e-3}, (2, 3, 4)),
]




@pytest.mark.parametrize("kwargs, shape", CASES)
def test_layer_matches_keras(kwargs, shape, rng):
    theirs = keras.layers.RMSNormalization(**kwargs)
    theirs.build(shape)
    theirs.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in theirs.weights])
    ours = kerasish.layers.RMSNormalization(**kwargs)
    ours.build(shape)
    ours.set_weights(theirs.get_weights())
    assert [(w.path, w.shape) for w in ours.weights] == [
        (w.path, tuple(w.shape)) for w in theirs.weights
    ]
    assert ours.get_config() == {**theirs.get_config(), "dtype": "float32"}
    x = rng.standard_normal(shape).astype("float32")
    expected = keras.ops.convert_to_numpy(theirs(x))
    received = ours(x).detach().numpy()
    np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))


@pytest.mark.parametrize("dtype", ["float64", "float16", "int64"])
def test_layer_output_dtype_matches_keras(dtype, rng):
    x = torch.from_numpy((rng.standard_normal((2, 3)) * 3).astype(dtype))
    expected = keras.layers.RMSNormalization()(x)
    received = kerasish.layers.RMSNormalization()(x)
    assert received.dtype == expected.dtype
    np.testing.assert_allclose(
        received.detach().float().numpy(), expected.detach().float().numpy(), atol=1e-6
    )


@pytest.mark.parametrize(
    "x_shape, kwargs, scale_shape",
    [
        ((2, 5), {}, (5,)),
        ((2, 3, 4), {"axis": [-2, -1], "epsilon": 1e-2}, (3, 4)),
        ((2, 3, 4), {"axis": [2]}, (4,)),
    ],
)
def test_op_matches_keras(x_shape, kwargs, scale_shape, rng):
    x = rng.standard_normal(x_shape)
    scale = rng.uniform(0.5, 1.5, scale_shape).astype("float32")
    for extra in ({}, {"scale": scale}):
        expected = keras.ops.convert_to_numpy(keras.ops.rms_normalization(x, **kwargs, **extra))
        received = kerasish.ops.rms_normalization(x, **kwargs, **extra).numpy()
        assert received.dtype == expected.dtype == np.float64
        np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)


def test_config_from_keras_builds_the_same_layer():
    theirs = keras.layers.RMSNormalization(axis=[1, 2], epsilon=1e-4, name="rms")
    ours = kerasish.layers.RMSNormalization.from_config(theirs.get_config())
    assert (ours.axis, ours.epsilon, ours.name) == ([1, 2], 1e-4, "rms")
    back = keras.layers.RMSNormalization.from_config(ours.get_config())
    assert (back.axis, back.epsilon, back.name) == ([1, 2], 1e-4, "rms")


def _model(module):
    inputs = module.Input((5,))
    hidden = module.layers.Dense(6, name="dense")(inputs)
    hidden = module.layers.RMSNormalization(name="rms")(hidden)
    outputs = module.layers.Dense(2, name="head")(hidden)
    return module.Model(inputs, outputs)


def test_functional_model_fits_like_keras(rng):
    x = rng.standard_normal((16, 5)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")
    theirs, ours = _model(keras), _model(kerasish)
    weights = [rng.uniform(-0.5, 1.5, w.shape).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert_same_outputs(theirs, ours, x, atol=1e-6)
    theirs.compile(optimizer="adam", loss="mse")
    ours.compile(optimizer="adam", loss="mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    assert_same_outputs(theirs, ours, x, atol=1e-5)


def test_keras_files_load_both_ways(rng, tmp_path):
    x = rng.standard_normal((4, 5)).astype("float32")
    reference = _model(keras)
    reference.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in reference.weights])
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(ours.get_layer("rms"), kerasish.layers.RMSNormalization)
    assert_same_outputs(reference, ours, x, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("rms").get_config()["axis"] == [-1]
    assert_same_outputs(back, ours, x, atol=1e-6)
    ours.save_weights(tmp_path / "ours.weights.h5")
    fresh = _model(keras)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    assert_same_outputs(fresh, ours, x, atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_policy_matches_keras(policy, rng):
    x = (rng.standard_normal((2, 5)) * 3).astype("float32")
    scale = [np.linspace(0.5, 1.7, 5).astype("float32")]
    theirs = keras.layers.RMSNormalization(dtype=policy)
    ours = kerasish.layers.RMSNormalization(dtype=policy)
    theirs.build((2, 5))
    ours.build((2, 5))
    theirs.set_weights(scale)
    ours.set_weights(scale)
    expected, received = theirs(x), ours(x)
    assert received.dtype == expected.dtype
    np.testing.assert_array_equal(received.float().detach().numpy(), expected.float().detach().numpy())


def test_keras_rms_norm_operation_node_loads_as_the_op(rng, tmp_path):
    inputs = keras.Input((4,))
    reference = keras.Model(inputs, keras.ops.rms_normalization(inputs, axis=-1, epsilon=1e-3))
    reference.save(tmp_path / "op.keras")
    ours = kerasish.models.load_model(tmp_path / "op.keras")
    assert_same_outputs(reference, ours, rng.standard_normal((3, 4)).astype("float32"), atol=1e-6)
