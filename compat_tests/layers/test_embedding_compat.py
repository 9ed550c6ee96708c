"""Embedding side by side with Keras 3."""

import numpy as np
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


def _model(lib, **kwargs):
    tokens = lib.Input(shape=(6,), dtype="int32")
    return lib.Model(tokens, lib.layers.Embedding(30, 4, **kwargs)(tokens))


def test_embedding_lookup(rng):
    import keras

    reference, ours = _model(keras), _model(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.integers(0, 30, size=(5, 6)).astype("int32"))


def test_masks_agree(rng):
    import keras

    reference = keras.layers.Embedding(30, 4, mask_zero=True)
    ours = kerasish.layers.Embedding(30, 4, mask_zero=True)
    tokens = rng.integers(0, 3, size=(4, 6)).astype("int32")
    expected = keras.ops.convert_to_numpy(reference.compute_mask(tokens))
    received = ours.compute_mask(torch.from_numpy(tokens))
    np.testing.assert_array_equal(received.numpy(), expected)
    assert not expected.all() and expected.any()


def test_initializer_and_config_interoperate():
    import keras

    reference = keras.layers.Embedding(30, 4, mask_zero=True)
    ours = kerasish.layers.Embedding.from_config(reference.get_config())
    assert ours.mask_zero and ours.input_dim == 30 and ours.output_dim == 4
    assert ours.get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"
    back = keras.layers.Embedding.from_config(ours.get_config())
    assert back.mask_zero and back.output_dim == 4
