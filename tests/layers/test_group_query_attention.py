"""GroupQueryAttention without real Keras: head sharing, masks, shapes, config, saving."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish.layers import GroupQueryAttention, MultiHeadAttention


def _inputs(batch=2, t=5, s=4, dim=6):
    gen = torch.Generator().manual_seed(0)
    return torch.randn(batch, t, dim, generator=gen), torch.randn(batch, s, dim, generator=gen)


def test_weights_follow_keras_layout():
    layer = GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    query, value = _inputs()
    output = layer(query, value)
    assert tuple(output.shape) == (2, 5, 6)
    assert [tuple(w.shape) for w in layer.get_weights()] == [
        (6, 4, 3), (4, 3), (6, 2, 3), (2, 3), (6, 2, 3), (2, 3), (4, 3, 6), (6,)
    ]
    assert layer.name.startswith("grouped_query_attention")


def test_equal_heads_is_multi_head_attention():
    """With as many key/value heads as query heads the layer is MultiHeadAttention."""
    query, value = _inputs()
    gqa = GroupQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=2)
    mha = MultiHeadAttention(num_heads=2, key_dim=3)
    gqa(query, value)
    mha(query, value)
    mha.set_weights(gqa.get_weights())
    mask = torch.rand(2, 5, 4) > 0.3
    for kwargs in ({}, {"use_causal_mask": True}, {"attention_mask": mask}):
        torch.testing.assert_close(gqa(query, value, **kwargs), mha(query, value, **kwargs))


def test_key_value_heads_are_shared_by_query_head_groups():
    query, value = _inputs()
    layer = GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    layer(query, value)
    weights = layer.get_weights()
    weights[0][:, 1] = weights[0][:, 0]  # query heads 0 and 1 read key/value head 0
    weights[1][1] = weights[1][0]
    layer.set_weights(weights)
    _, scores = layer(query, value, return_attention_scores=True)
    assert tuple(scores.shape) == (2, 4, 5, 4)
    torch.testing.assert_close(scores[:, 0], scores[:, 1])
    assert not torch.allclose(scores[:, 1], scores[:, 2])


def test_causal_mask_and_query_mask():
    query, value = _inputs(s=5)
    layer = GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    _, scores = layer(query, value, use_causal_mask=True, return_attention_scores=True)
    assert torch.all(scores.triu(1) == 0)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 2, 5))
    value_mask = torch.tensor([[1, 1, 0, 1, 1]] * 2, dtype=torch.bool)
    _, scores = layer(query, value, value_mask=value_mask, return_attention_scores=True)
    assert torch.all(scores[..., 2] == 0)


def test_symbolic_call_and_output_shapes():
    query = kerasish.Input((5, 6))
    value = kerasish.Input((4, 6))
    output, scores = GroupQueryAttention(2, 4, 2)(query, value, return_attention_scores=True)
    assert tuple(output.shape) == (None, 5, 6)
    assert tuple(scores.shape) == (None, 4, 5, 4)
    layer = GroupQueryAttention(2, 4, 2)
    with pytest.raises(ValueError, match="last dimension of `query_shape` and `value_shape`"):
        layer.compute_output_shape((None, 5, 6), (None, 4, 3))


def test_bad_arguments():
    with pytest.raises(ValueError, match="must be divisible by `num_key_value_heads`"):
        GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        GroupQueryAttention(2, 2, 1, sliding_window=0)
    with pytest.raises(ValueError, match="Dropout is not supported when flash attention"):
        GroupQueryAttention(2, 2, 1, dropout=0.1, flash_attention=True)
    with pytest.raises(ValueError, match="expects `query` of rank 3"):
        GroupQueryAttention(2, 2, 1).build((None, 2, 3, 6), (None, 4, 6))


def test_config_round_trip_and_keras_file(tmp_path):
    layer = GroupQueryAttention(4, 6, 3, dropout=0.1, use_gate=True, sliding_window=2, seed=3)
    clone = GroupQueryAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    query = kerasish.Input((5, 6))
    model = kerasish.Model(query, GroupQueryAttention(2, 2, 1, name="g")(query, query))
    model.save(tmp_path / "m.keras")
    loaded = kerasish.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).standard_normal((2, 5, 6)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
