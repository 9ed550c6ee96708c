"""MultiHeadAttention, Attention and AdditiveAttention side by side with Keras 3: Keras' weights
copied in, same outputs (and attention scores) out, with and without masks."""

import numpy as np
import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """conftest's fixture without Keras' per-test ``gc.collect()`` (0.4 s each)."""
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield

T, S = 5, 6


def _mha_model(lib, key_input=False, mask_input=False, call_kwargs=None, **layer_kwargs):
    query = lib.Input((T, 8))
    value = lib.Input((S, 4))
    inputs = [query, value]
    kwargs = dict(call_kwargs or {})
    if key_input:
        key = lib.Input((S, 3))
        inputs.append(key)
        kwargs["key"] = key
    if mask_input:
        mask = lib.Input((T, S), dtype="bool")
        inputs.append(mask)
        kwargs["attention_mask"] = mask
    outputs = lib.layers.MultiHeadAttention(**layer_kwargs)(query, value, **kwargs)
    return lib.Model(inputs, outputs)


def _mha_inputs(rng, key_input=False, mask_input=False):
    arrays = [
        rng.standard_normal((3, T, 8)).astype("float32"),
        rng.standard_normal((3, S, 4)).astype("float32"),
    ]
    if key_input:
        arrays.append(rng.standard_normal((3, S, 3)).astype("float32"))
    if mask_input:
        mask = rng.random((3, T, S)) > 0.4
        mask[0, 1] = False  # one fully masked query row
        arrays.append(mask)
    return arrays


@pytest.mark.parametrize(
    "layer_kwargs, key_input, mask_input, call_kwargs",
    [
        ({"num_heads": 2, "key_dim": 3}, False, False, {}),
        ({"num_heads": 3, "key_dim": 2, "value_dim": 5}, True, False, {}),
        ({"num_heads": 2, "key_dim": 4, "output_shape": 7, "use_bias": False}, False, False, {}),
        ({"num_heads": 2, "key_dim": 4, "output_shape": (2, 3)}, False, False, {}),
        ({"num_heads": 2, "key_dim": 3}, False, True, {}),
        ({"num_heads": 2, "key_dim": 3}, True, True, {"use_causal_mask": True}),
        ({"num_heads": 2, "key_dim": 3}, False, False, {"use_causal_mask": True}),
        ({"num_heads": 2, "key_dim": 3, "dropout": 0.3}, False, True, {}),
        ({"num_heads": 2, "key_dim": 3}, False, True, {"return_attention_scores": True}),
        ({"num_heads": 2, "key_dim": 3}, True, False, {"return_attention_scores": True, "use_causal_mask": True}),
        ({"num_heads": 2, "key_dim": 3, "use_gate": True}, False, True, {}),
        ({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, False, False, {"use_causal_mask": True}),
    ],
)
def test_multi_head_attention(rng, layer_kwargs, key_input, mask_input, call_kwargs):
    import keras

    reference = _mha_model(keras, key_input, mask_input, call_kwargs, **layer_kwargs)
    ours = _mha_model(kerasish, key_input, mask_input, call_kwargs, **layer_kwargs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    copy_weights(reference, ours)
    assert ours.count_params() == reference.count_params()
    assert_same_outputs(reference, ours, _mha_inputs(rng, key_input, mask_input))


def test_multi_head_attention_symbolic_shapes():
    import keras

    for lib in (keras, kerasish):
        query, value = lib.Input((T, 8)), lib.Input((S, 4))
        layer = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=(2, 5))
        output, scores = layer(query, value, return_attention_scores=True)
        if lib is keras:
            expected_output = tuple(output.shape)
        else:
            assert output.shape == expected_output
            # Keras 3 reports (B, heads, T, T) here; the scores really are (B, heads, T, S).
            assert scores.shape == (None, 2, T, S)


def test_multi_head_attention_takes_masks_from_embeddings(rng):
    import keras

    def model(lib):
        tokens = lib.Input((T,), dtype="int32")
        other = lib.Input((S,), dtype="int32")
        q = lib.layers.Embedding(10, 8, mask_zero=True)(tokens)
        v = lib.layers.Embedding(10, 8, mask_zero=True)(other)
        attended = lib.layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, v)
        return lib.Model([tokens, other], lib.layers.GlobalAveragePooling1D()(attended))

    reference, ours = model(keras), model(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(1, 10, (4, T))
    tokens[:, -2:] = 0
    other = rng.integers(1, 10, (4, S))
    other[:, 3:] = 0
    assert_same_outputs(reference, ours, [tokens, other])


def test_multi_head_attention_eager_call_with_scores(rng):
    import keras

    query = rng.standard_normal((2, T, 8)).astype("float32")
    value = rng.standard_normal((2, S, 8)).astype("float32")
    mask = rng.random((2, T, S)) > 0.3
    reference = keras.layers.MultiHeadAttention(num_heads=4, key_dim=2)
    ours = kerasish.layers.MultiHeadAttention(num_heads=4, key_dim=2)
    expected_out, expected_scores = reference(query, value, attention_mask=mask, return_attention_scores=True)
    ours.build((2, T, 8), (2, S, 8))
    ours.set_weights(reference.get_weights())
    import torch

    out, scores = ours(
        torch.from_numpy(query), torch.from_numpy(value), attention_mask=torch.from_numpy(mask),
        return_attention_scores=True,
    )
    np.testing.assert_allclose(out.detach().numpy(), keras.ops.convert_to_numpy(expected_out), atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), keras.ops.convert_to_numpy(expected_scores), atol=1e-6)


def test_multi_head_attention_over_two_axes(rng):
    import keras

    def model(lib):
        query = lib.Input((3, 4, 6))
        out = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))(query, query)
        return lib.Model(query, out)

    reference, ours = model(keras), model(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((2, 3, 4, 6)).astype("float32"))


def _attention_model(lib, layer_name, with_key, call_kwargs, **layer_kwargs):
    q_tokens = lib.Input((T,), dtype="int32")
    v_tokens = lib.Input((S,), dtype="int32")
    query = lib.layers.Embedding(12, 4, mask_zero=True)(q_tokens)
    value = lib.layers.Embedding(12, 4, mask_zero=True)(v_tokens)
    inputs = [query, value]
    if with_key:
        inputs.append(lib.layers.Dense(4)(value))
    outputs = getattr(lib.layers, layer_name)(**layer_kwargs)(inputs, **call_kwargs)
    return lib.Model([q_tokens, v_tokens], outputs)


@pytest.mark.parametrize("layer_name", ["Attention", "AdditiveAttention"])
@pytest.mark.parametrize(
    "layer_kwargs, with_key, call_kwargs",
    [
        ({}, False, {}),
        ({"use_scale": True}, True, {}),
        ({}, False, {"use_causal_mask": True}),
        ({"use_scale": False}, True, {"return_attention_scores": True}),
        ({"dropout": 0.2}, False, {"use_causal_mask": True, "return_attention_scores": True}),
    ],
)
def test_attention_layers(rng, layer_name, layer_kwargs, with_key, call_kwargs):
    import keras

    reference = _attention_model(keras, layer_name, with_key, call_kwargs, **layer_kwargs)
    ours = _attention_model(kerasish, layer_name, with_key, call_kwargs, **layer_kwargs)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    q = rng.integers(1, 12, (4, T))
    q[:, -1] = 0
    v = rng.integers(1, 12, (4, S))
    v[:2, -2:] = 0
    assert_same_outputs(reference, ours, [q, v])


def test_attention_concat_score_mode(rng):
    import keras

    def model(lib):
        query, value = lib.Input((T, 4)), lib.Input((S, 4))
        return lib.Model([query, value], lib.layers.Attention(use_scale=True, score_mode="concat")([query, value]))

    reference, ours = model(keras), model(kerasish)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    reference.set_weights([np.array(0.7, "float32"), np.array(1.3, "float32")])
    copy_weights(reference, ours)
    inputs = [rng.standard_normal((2, T, 4)).astype("float32"), rng.standard_normal((2, S, 4)).astype("float32")]
    assert_same_outputs(reference, ours, inputs)


def test_attention_explicit_masks(rng):
    import keras
    import torch

    query = rng.standard_normal((2, T, 4)).astype("float32")
    value = rng.standard_normal((2, S, 4)).astype("float32")
    q_mask = rng.random((2, T)) > 0.3
    v_mask = rng.random((2, S)) > 0.3
    v_mask[:, 0] = True
    for layer_name in ("Attention", "AdditiveAttention"):
        reference = getattr(keras.layers, layer_name)()
        ours = getattr(kerasish.layers, layer_name)()
        expected = reference([query, value], mask=[q_mask, v_mask])
        ours.build([(2, T, 4), (2, S, 4)])
        ours.set_weights(reference.get_weights())
        received = ours(
            [torch.from_numpy(query), torch.from_numpy(value)],
            mask=[torch.from_numpy(q_mask), torch.from_numpy(v_mask)],
        )
        np.testing.assert_allclose(received.detach().numpy(), keras.ops.convert_to_numpy(expected), atol=1e-5)
