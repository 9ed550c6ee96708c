"""A layer called directly on torch tensors of another float dtype casts them, as Keras 3."""

import keras
import pytest
import torch

import kerasish


@pytest.mark.parametrize(
    "make, inputs",
    [
        (lambda k: k.layers.Dense(3, dtype="float16"), lambda: torch.randn(5, 4)),
        (lambda k: k.layers.Dense(3), lambda: torch.randn(5, 4, dtype=torch.float64)),
        (lambda k: k.layers.Activation("relu", dtype="float64"), lambda: torch.randn(2, 3)),
        (
            lambda k: k.layers.Concatenate(),
            lambda: [torch.randn(2, 2, dtype=torch.float64), torch.randn(2, 2)],
        ),
        (lambda k: k.layers.Embedding(5, 2), lambda: torch.tensor([[1, 2]])),
        (lambda k: k.layers.LayerNormalization(), lambda: torch.randn(3, 5).half()),
        (lambda k: k.layers.BatchNormalization(), lambda: torch.randn(3, 5).half()),
    ],
)
def test_output_dtype_matches_keras3(make, inputs):
    ours = make(kerasish)(inputs())
    theirs = make(keras)(inputs())
    assert ours.dtype == theirs.dtype
