"""ReversibleEmbedding without real Keras: tied/untied reverse projections, soft cap, masks."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish.layers import ReversibleEmbedding


def test_tied_reverse_is_the_transposed_table():
    layer = ReversibleEmbedding(7, 3)
    ids = torch.tensor([[1, 2], [0, 6]])
    embedded = layer(ids)
    assert tuple(embedded.shape) == (2, 2, 3)
    hidden = torch.randn(2, 2, 3)
    logits = layer(hidden, reverse=True)
    torch.testing.assert_close(logits, hidden @ layer.embeddings.t())
    assert [w.shape for w in layer.get_weights()] == [(7, 3)]


def test_untied_reverse_uses_its_own_weight_and_soft_cap():
    layer = ReversibleEmbedding(7, 3, tie_weights=False, logit_soft_cap=0.5)
    layer(torch.tensor([[1]]))
    assert [w.shape for w in layer.get_weights()] == [(7, 3), (3, 7)]
    hidden = torch.randn(4, 3) * 10
    logits = layer(hidden, reverse=True)
    expected = torch.tanh(hidden @ layer.reverse_embeddings / 0.5) * 0.5
    torch.testing.assert_close(logits, expected)
    assert logits.abs().max() <= 0.5


def test_reverse_dtype_casts_the_projection():
    layer = ReversibleEmbedding(5, 2, dtype="float16", reverse_dtype="float32")
    layer(torch.tensor([1]))
    assert layer(torch.tensor([1])).dtype == torch.float16
    assert layer(torch.randn(3, 2).half(), reverse=True).dtype == torch.float32


def test_functional_shapes_and_masks():
    tokens = kerasish.Input((4,), dtype="int32")
    layer = ReversibleEmbedding(9, 3, mask_zero=True)
    hidden = layer(tokens)
    assert tuple(hidden.shape) == (None, 4, 3)
    assert getattr(hidden, "_keras_mask", None) is not None
    logits = layer(hidden, reverse=True)
    assert tuple(logits.shape) == (None, 4, 9)
    assert getattr(logits, "_keras_mask", None) is None
    assert layer.compute_output_shape((2, 4, 3), reverse=True) == (2, 4, 9)
    model = kerasish.Model(tokens, logits)
    out = model.predict(np.array([[1, 2, 0, 0]], "int32"), verbose=0)
    assert out.shape == (1, 4, 9)


def test_config_round_trip_and_keras_file(tmp_path):
    layer = ReversibleEmbedding(9, 3, tie_weights=False, reverse_dtype="float32", logit_soft_cap=3.0)
    clone = ReversibleEmbedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    tokens = kerasish.Input((4,), dtype="int32")
    emb = ReversibleEmbedding(9, 3, tie_weights=False, name="e")
    model = kerasish.Model(tokens, emb(emb(tokens), reverse=True))
    model.save(tmp_path / "m.keras")
    loaded = kerasish.models.load_model(tmp_path / "m.keras")
    x = np.array([[1, 2, 3, 4]], "int32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_bad_dims_raise():
    with pytest.raises(ValueError, match="input_dim"):
        ReversibleEmbedding(0, 3)
