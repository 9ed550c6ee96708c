"""MultiHeadAttention, Attention, AdditiveAttention: weights, shapes, masks, configs, errors."""

import json
import math

import numpy as np
import pytest
import torch

import kerasish as keras

L = keras.layers


def _reference_mha(layer, query, value, mask=None, causal=False):
    """Multi-head attention written out from the layer's Keras-layout weights."""
    wq, bq, wk, bk, wv, bv, wo, bo = (torch.from_numpy(w) for w in layer.get_weights())
    q = torch.einsum("btd,dnh->btnh", query, wq) + bq
    k = torch.einsum("bsd,dnh->bsnh", value, wk) + bk
    v = torch.einsum("bsd,dnh->bsnh", value, wv) + bv
    scores = torch.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(q.shape[-1])
    if causal:
        keep = torch.ones(scores.shape[-2:], dtype=torch.bool).tril()
        mask = keep if mask is None else mask & keep
    if mask is not None:
        scores = scores.masked_fill(~mask.unsqueeze(-3), -1e9)
    out = torch.einsum("bnts,bsnh->btnh", scores.softmax(-1), v)
    return torch.einsum("btnh,nho->bto", out, wo) + bo, scores.softmax(-1)


def _layer(**kwargs):
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3, **kwargs)
    layer.build((None, 5, 8), (None, 6, 4))
    with torch.no_grad():
        for variable in layer.weights:
            variable.assign(np.random.default_rng(0).standard_normal(variable.shape).astype("float32"))
    return layer


def test_weights_have_keras_layouts_and_order():
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5)
    layer.build((None, 5, 8), (None, 6, 4), (None, 6, 7))
    assert [tuple(w.shape) for w in layer.get_weights()] == [
        (8, 2, 3), (2, 3), (7, 2, 3), (2, 3), (4, 2, 5), (2, 5), (2, 5, 8), (8,)
    ]
    assert [name for name in layer.state_dict()] == [
        "query_dense.kernel", "query_dense.bias", "key_dense.kernel", "key_dense.bias",
        "value_dense.kernel", "value_dense.bias", "output_dense.kernel", "output_dense.bias",
    ]


@pytest.mark.parametrize("causal", [False, True])
def test_outputs_and_scores_match_the_formula(causal):
    layer = _layer()
    query, value = torch.randn(3, 5, 8), torch.randn(3, 6, 4)
    mask = torch.rand(3, 5, 6) > 0.3
    mask[..., 0] = True
    expected, expected_scores = _reference_mha(layer, query, value, mask, causal)
    fused = layer(query, value, attention_mask=mask, use_causal_mask=causal)
    explicit, scores = layer(
        query, value, attention_mask=mask, use_causal_mask=causal, return_attention_scores=True
    )
    torch.testing.assert_close(fused, expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(explicit, expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(scores, expected_scores, atol=1e-5, rtol=1e-4)


def test_dropout_only_in_training():
    layer = _layer(dropout=0.5)
    query, value = torch.randn(2, 5, 8), torch.randn(2, 6, 4)
    torch.testing.assert_close(layer(query, value), layer(query, value))
    assert not torch.allclose(layer(query, value, training=True), layer(query, value))


def test_symbolic_call_shapes_and_masks_from_embeddings():
    tokens = keras.Input((7,), dtype="int32")
    x = L.Embedding(20, 8, mask_zero=True)(tokens)
    output, scores = L.MultiHeadAttention(num_heads=4, key_dim=2, output_shape=(3, 2))(
        x, x, return_attention_scores=True
    )
    assert output.shape == (None, 7, 3, 2)
    assert scores.shape == (None, 4, 7, 7)
    assert output._keras_mask is not None  # the query's mask carries over
    model = keras.Model(tokens, output)
    node = model.layers[-1].inbound_nodes[0]
    assert set(node.call_kwargs) >= {"query_mask", "value_mask", "return_attention_scores"}
    inbound = model.get_config()["layers"][-1]["inbound_nodes"]
    saved_kwargs = inbound[0][0][3]
    assert "query_mask" not in saved_kwargs and saved_kwargs["value"] == ["embedding", 0, 0]

    # Masked (padding) keys are ignored: the first three positions attend as if the sequence
    # had only its three tokens.
    padded = model.predict(np.array([[3, 4, 5, 0, 0, 0, 0]]), verbose=0)
    embedding, attention = model.layers[1], model.layers[2]
    short = embedding(torch.tensor([[3, 4, 5]]))
    np.testing.assert_allclose(padded[:, :3], attention(short, short).detach().numpy(), atol=1e-5)


def test_config_round_trip_builds_from_the_tf_keras_shapes():
    query, value = keras.Input((5, 8)), keras.Input((6, 4))
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, dropout=0.1, attention_axes=1)
    model = keras.Model([query, value], layer(query, value, use_causal_mask=True))
    config = layer.get_config()
    assert config["query_shape"] == [None, 5, 8] and config["value_shape"] == [None, 6, 4]
    assert config["attention_axes"] == (1,)
    assert "use_gate" not in config and "seed" not in config
    clone = L.MultiHeadAttention.from_config(json.loads(json.dumps(config)))
    assert clone.built and [w.shape for w in clone.get_weights()] == [w.shape for w in layer.get_weights()]
    rebuilt = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    rebuilt.set_weights(model.get_weights())
    data = [np.random.rand(2, 5, 8).astype("float32"), np.random.rand(2, 6, 4).astype("float32")]
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="num_heads"):
        L.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="key_dim"):
        L.MultiHeadAttention(num_heads=2, key_dim=None)
    with pytest.raises(ValueError, match="attention_axes"):
        L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes="x")
    layer = L.MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="except the last one"):
        layer(keras.Input((3, 4)), keras.Input((5, 4)), key=keras.Input((6, 4)))
    with pytest.raises(ValueError, match="flash attention"):
        L.MultiHeadAttention(num_heads=2, key_dim=2, dropout=0.5, flash_attention=True)


def test_attention_dot_and_causal():
    layer = L.Attention(use_scale=True)
    query, value = torch.randn(2, 4, 3), torch.randn(2, 5, 3)
    layer.build([query.shape, value.shape])
    layer.set_weights([np.array(0.5, "float32")])
    scores = 0.5 * query @ value.transpose(1, 2)
    keep = torch.ones(4, 5, dtype=torch.bool).tril()
    expected = scores.masked_fill(~keep, -1e9).softmax(-1) @ value
    out, weights = layer([query, value], use_causal_mask=True, return_attention_scores=True)
    torch.testing.assert_close(out, expected)
    assert weights.shape == (2, 4, 5)


def test_additive_attention_masks_and_weights():
    layer = L.AdditiveAttention()
    query, value = torch.randn(2, 4, 3), torch.randn(2, 5, 3)
    q_mask = torch.tensor([[True, True, False, True]] * 2)
    v_mask = torch.tensor([[True, False, True, True, False]] * 2)
    out = layer([query, value], mask=[q_mask, v_mask])
    assert [tuple(w.shape) for w in layer.get_weights()] == [(3,)]
    assert torch.all(out[:, 2] == 0)
    scale = layer.scale
    scores = (scale * torch.tanh(query.unsqueeze(2) + value.unsqueeze(1))).sum(-1)
    expected = scores.masked_fill(~v_mask.unsqueeze(1), -1e9).softmax(-1) @ value
    torch.testing.assert_close(out[:, :2], expected[:, :2])
    assert "score_mode" not in layer.get_config()


def test_attention_input_validation_names_the_layer():
    layer = L.Attention(name="att")
    with pytest.raises(ValueError, match="'att' must be called on a list"):
        layer(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([torch.randn(2, 3, 4)])
    with pytest.raises(ValueError, match="score_mode"):
        L.Attention(score_mode="bad")


def test_attention_concat_mode_and_tf_keras_causal_flag():
    layer = L.Attention(score_mode="concat", causal=True)
    query = torch.randn(1, 3, 2)
    out = layer([query, query])
    assert [tuple(w.shape) for w in layer.get_weights()] == [()]
    torch.testing.assert_close(out[:, 0], query[:, 0])  # the first step sees only itself
    assert layer.get_config()["causal"] is True


@pytest.mark.parametrize("filename", ["model.keras", "model.h5"])
def test_masked_attention_model_survives_saving(tmp_path, filename):
    tokens = keras.Input((6,), dtype="int32")
    x = L.Embedding(10, 8, mask_zero=True)(tokens)
    model = keras.Model(tokens, L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x))
    path = str(tmp_path / filename)
    model.save(path)
    loaded = keras.models.load_model(path)
    data = np.array([[1, 2, 3, 0, 0, 0], [4, 0, 0, 0, 0, 0]])
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)
