"""ReversibleEmbedding side by side with Keras 3: lookups and reversed logits, tied and untied,
soft-capped, masks, configs, fit and `.keras` files both ways."""

import numpy as np
import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, copy_weights


@pytest.fixture(autouse=True)
def _fresh_sessions():
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


def _model(lib, **layer_kwargs):
    """A tiny language model head: embed, mix, project back onto the vocabulary."""
    tokens = lib.Input((5,), dtype="int32")
    embedding = lib.layers.ReversibleEmbedding(11, 4, name="emb", **layer_kwargs)
    hidden = embedding(tokens)
    hidden = lib.layers.Dense(4, activation="tanh", name="mix")(hidden)
    logits = embedding(hidden, reverse=True)
    return lib.Model(tokens, logits)


def _tokens(rng, batch=4):
    tokens = rng.integers(0, 11, (batch, 5)).astype("int32")
    tokens[:, -1] = 0
    return tokens


@pytest.mark.parametrize(
    "layer_kwargs",
    [
        {},
        {"tie_weights": False},
        {"logit_soft_cap": 1.5, "tie_weights": False},
        {"reverse_dtype": "float32", "mask_zero": True},
    ],
)
def test_reversible_embedding(rng, layer_kwargs):
    import keras

    reference, ours = _model(keras, **layer_kwargs), _model(kerasish, **layer_kwargs)
    assert [w.path.split("/")[-1] for w in ours.get_layer("emb").weights] == [
        w.path.split("/")[-1] for w in reference.get_layer("emb").weights
    ]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    copy_weights(reference, ours)
    assert tuple(ours.output_shape) == tuple(reference.output_shape) == (None, 5, 11)
    assert_same_outputs(reference, ours, _tokens(rng))


def test_lookup_mask_reaches_later_layers(rng):
    import keras

    def model(lib):
        tokens = lib.Input((5,), dtype="int32")
        hidden = lib.layers.ReversibleEmbedding(11, 4, mask_zero=True)(tokens)
        return lib.Model(tokens, lib.layers.GlobalAveragePooling1D()(hidden))

    reference, ours = model(keras), model(kerasish)
    copy_weights(reference, ours)
    assert_same_outputs(reference, ours, _tokens(rng))


def test_config_cross_loads():
    import keras

    theirs = keras.layers.ReversibleEmbedding(
        9, 3, tie_weights=False, reverse_dtype="float32", logit_soft_cap=30.0, mask_zero=True, name="r"
    )
    ours = kerasish.layers.ReversibleEmbedding.from_config(theirs.get_config())
    config, expected = ours.get_config(), theirs.get_config()
    for key in ("name", "input_dim", "output_dim", "tie_weights", "reverse_dtype", "logit_soft_cap",
                "mask_zero", "embeddings_regularizer", "embeddings_constraint"):
        assert config[key] == expected[key], key
    back = keras.saving.deserialize_keras_object(kerasish.saving.serialize_keras_object(ours))
    assert isinstance(back, keras.layers.ReversibleEmbedding)
    assert (back.tie_weights, back.reverse_dtype, back.logit_soft_cap) == (False, "float32", 30.0)


def test_model_fits_like_keras(rng):
    import keras

    x = _tokens(rng, 8)
    y = rng.integers(0, 11, (8, 5))
    theirs, ours = _model(keras, tie_weights=False), _model(kerasish, tie_weights=False)
    copy_weights(theirs, ours)
    for model in (theirs, ours):
        model.compile(optimizer="sgd", loss=model_loss(model))
    expected = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def model_loss(model):
    lib = kerasish if isinstance(model, kerasish.Model) else __import__("keras")
    return lib.losses.SparseCategoricalCrossentropy(from_logits=True)


def test_keras_files_load_both_ways(rng, tmp_path):
    import keras

    x = _tokens(rng)
    reference = _model(keras, tie_weights=False, logit_soft_cap=2.0)
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(ours.get_layer("emb"), kerasish.layers.ReversibleEmbedding)
    for got, want in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(reference, ours, x)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("emb").logit_soft_cap == 2.0
    for got, want in zip(back.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(back, ours, x)
