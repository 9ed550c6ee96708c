"""Pipeline side by side with Keras 3: layers applied in order, config, functional models,
`.keras` files both ways and the `training=True` default."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, copy_weights


@pytest.fixture(autouse=True)
def _fresh_sessions():
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


def _pipeline(lib):
    return lib.layers.Pipeline(
        [
            lib.layers.Rescaling(0.5, offset=1.0),
            lib.layers.Dense(3, name="d"),
            lib.layers.Dropout(0.5),
        ],
        name="pipe",
    )


def _model(lib):
    inputs = lib.Input((4,))
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(_pipeline(lib)(inputs)))


def test_direct_calls_match_keras(rng):
    import keras

    x = rng.standard_normal((3, 4)).astype("float32")
    theirs, ours = _pipeline(keras), _pipeline(kerasish)
    expected = theirs(x, training=False)
    ours(x, training=False)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x, training=False).detach().numpy(), expected.detach().cpu().numpy(), atol=1e-6)
    # `training` defaults to True: the Dropout drops, in both libraries.
    dropped_theirs = theirs(np.ones((64, 4), "float32")).detach().cpu().numpy()
    dropped_ours = ours(torch.ones(64, 4)).detach().numpy()
    assert (dropped_theirs == 0).any() and (dropped_ours == 0).any()


def test_config_cross_loads():
    import keras

    theirs = _pipeline(keras)
    ours = kerasish.layers.Pipeline.from_config(theirs.get_config())
    assert [type(layer).__name__ for layer in ours.layers] == ["Rescaling", "Dense", "Dropout"]
    config, expected = ours.get_config(), theirs.get_config()
    assert set(config) == set(expected) == {"layers", "name"}
    assert [(c["class_name"], c["config"]["name"]) for c in config["layers"]] == [
        (c["class_name"], c["config"]["name"]) for c in expected["layers"]
    ]
    back = keras.layers.Pipeline.from_config(config)
    assert [layer.name for layer in back.layers] == ["rescaling", "d", "dropout"]
    assert back.layers[0].offset == 1.0
    with pytest.raises(ValueError, match="must contain a `layers` key"):
        kerasish.layers.Pipeline.from_config({"name": "p"})


def test_functional_model_and_keras_files(rng, tmp_path):
    import keras

    x = rng.standard_normal((3, 4)).astype("float32")
    reference, ours = _model(keras), _model(kerasish)
    assert tuple(ours.output_shape) == tuple(reference.output_shape) == (None, 2)
    copy_weights(reference, ours)
    assert_same_outputs(reference, ours, x)
    reference.save(tmp_path / "keras.keras")
    loaded = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(loaded.get_layer("pipe"), kerasish.layers.Pipeline)
    assert_same_outputs(reference, loaded, x)
    loaded.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    for got, want in zip(back.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(back, loaded, x)
