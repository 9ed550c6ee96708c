"""Masks travel through the graph as in Keras 3: produced by Embedding(mask_zero=True), passed
through layers that support masking without taking a ``mask`` argument, consumed downstream."""

import numpy as np
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, copy_weights


def _model(lib):
    L = lib.layers
    tokens = lib.Input((5,), dtype="int32")
    x = L.Embedding(9, 3, mask_zero=True)(tokens)
    x = L.Dense(2)(x)  # supports masking, has no `mask` argument: the mask passes through
    return lib.Model(tokens, L.GlobalAveragePooling1D()(x))


def test_mask_passes_through_dense(rng):
    import keras

    reference, ours = _model(keras), _model(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(1, 9, size=(6, 5)).astype("int32")
    tokens[:, 3:] = 0
    assert_same_outputs(reference, ours, tokens)
    # The same layers without the mask give a different answer, so the mask really mattered.
    unmasked = ours.layers[2](ours.layers[1](torch.from_numpy(tokens))).mean(1)
    assert not np.allclose(unmasked.detach().numpy(), ours.predict(tokens, verbose=0), atol=1e-3)


def test_embedding_lstm_sequential(rng):
    import keras

    def build(lib):
        L = lib.layers
        return lib.Sequential([lib.Input((7,), dtype="int32"), L.Embedding(20, 4, mask_zero=True),
                               L.LSTM(3, return_sequences=True), L.LSTM(2)])

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(1, 20, size=(4, 7)).astype("int32")
    tokens[0, 4:] = 0
    tokens[2, 1:] = 0
    assert_same_outputs(reference, ours, tokens)
