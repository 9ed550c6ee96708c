"""GroupQueryAttention side by side with Keras 3: Keras' weights copied in, same outputs and
attention scores out, with masks and causal masks; configs, `.keras` files and fit."""

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


T, S = 5, 4


def _model(lib, key_input=False, mask_input=False, call_kwargs=None, **layer_kwargs):
    query = lib.Input((T, 6))
    value = lib.Input((S, 6))
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
    layer_kwargs = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, **layer_kwargs}
    outputs = lib.layers.GroupQueryAttention(name="gqa", **layer_kwargs)(query, value, **kwargs)
    return lib.Model(inputs, outputs)


def _inputs(rng, key_input=False, mask_input=False, batch=3):
    arrays = [
        rng.standard_normal((batch, T, 6)).astype("float32"),
        rng.standard_normal((batch, S, 6)).astype("float32"),
    ]
    if key_input:
        arrays.append(rng.standard_normal((batch, S, 3)).astype("float32"))
    if mask_input:
        mask = rng.random((batch, T, S)) > 0.4
        mask[0, 1] = False  # one fully masked query row
        arrays.append(mask)
    return arrays


def _shapes(shape):
    if shape and isinstance(shape[0], (tuple, list)):
        return [tuple(s) for s in shape]
    return tuple(shape)


@pytest.mark.parametrize(
    "layer_kwargs, key_input, mask_input, call_kwargs",
    [
        ({}, False, False, {}),
        ({"num_key_value_heads": 1, "use_bias": False}, True, False, {}),
        ({"num_key_value_heads": 4}, False, True, {}),
        ({}, False, True, {"use_causal_mask": True}),
        ({}, False, False, {"use_causal_mask": True}),
        ({}, True, True, {"return_attention_scores": True}),
        ({}, False, False, {"return_attention_scores": True, "use_causal_mask": True}),
        ({"dropout": 0.3}, False, True, {}),
        ({"use_gate": True}, False, True, {}),
        ({"sliding_window": 2}, False, False, {"use_causal_mask": True}),
    ],
)
def test_group_query_attention(rng, layer_kwargs, key_input, mask_input, call_kwargs):
    import keras

    reference = _model(keras, key_input, mask_input, call_kwargs, **layer_kwargs)
    ours = _model(kerasish, key_input, mask_input, call_kwargs, **layer_kwargs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    assert [w.path.split("/")[-2:] for w in ours.get_layer("gqa").weights] == [
        w.path.split("/")[-2:] for w in reference.get_layer("gqa").weights
    ]
    copy_weights(reference, ours)
    assert ours.count_params() == reference.count_params()
    assert _shapes(ours.output_shape) == _shapes(reference.output_shape)
    assert_same_outputs(reference, ours, _inputs(rng, key_input, mask_input))


def test_eager_calls_with_keras_masks(rng):
    import keras
    import torch

    theirs = keras.layers.GroupQueryAttention(2, 4, 2)
    ours = kerasish.layers.GroupQueryAttention(2, 4, 2)
    query, value = _inputs(rng)
    query_mask = np.array([[1, 1, 1, 0, 0]] * 3, bool)
    value_mask = np.array([[1, 0, 1, 1]] * 3, bool)
    kwargs = {"query_mask": query_mask, "value_mask": value_mask, "return_attention_scores": True}
    expected = theirs(query, value, **kwargs)
    ours(query, value)
    ours.set_weights(theirs.get_weights())
    received = ours(torch.tensor(query), torch.tensor(value), **{
        k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()
    })
    for got, want in zip(received, expected):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().cpu().numpy(), atol=1e-5)


def test_masks_from_embeddings(rng):
    import keras

    def model(lib):
        tokens = lib.Input((T,), dtype="int32")
        embedded = lib.layers.Embedding(7, 6, mask_zero=True)(tokens)
        outputs = lib.layers.GroupQueryAttention(3, 2, 1)(embedded, embedded, use_causal_mask=True)
        return lib.Model(tokens, outputs)

    reference, ours = model(keras), model(kerasish)
    copy_weights(reference, ours)
    tokens = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], "int32")
    assert_same_outputs(reference, ours, tokens)


def test_config_cross_loads():
    import keras

    theirs = keras.layers.GroupQueryAttention(
        4, 6, 3, dropout=0.1, use_bias=False, use_gate=True, sliding_window=3, seed=5, name="g"
    )
    ours = kerasish.layers.GroupQueryAttention.from_config(theirs.get_config())
    assert kerasish.saving.serialize_keras_object(ours)["class_name"] == "GroupQueryAttention"
    assert kerasish.layers.GroupQueryAttention(2, 2, 1).name.startswith("grouped_query_attention")
    config = ours.get_config()
    expected = theirs.get_config()
    assert set(config) == set(expected)
    for key in ("name", "head_dim", "num_query_heads", "num_key_value_heads", "use_bias",
                "use_gate", "sliding_window", "dropout", "seed", "kernel_regularizer"):
        assert config[key] == expected[key], key
    back = keras.layers.GroupQueryAttention.from_config(
        keras.saving.deserialize_keras_object(kerasish.saving.serialize_keras_object(ours)).get_config()
    )
    assert (back.name, back.num_query_heads, back.num_key_value_heads, back.sliding_window) == ("g", 6, 3, 3)
    with pytest.raises(ValueError, match="must be divisible"):
        kerasish.layers.GroupQueryAttention(2, 3, 2)


def test_model_fits_like_keras(rng):
    import keras

    x = _inputs(rng, batch=8)
    y = rng.standard_normal((8, T, 6)).astype("float32")
    theirs = _model(keras, call_kwargs={"use_causal_mask": True})
    ours = _model(kerasish, call_kwargs={"use_causal_mask": True})
    weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    theirs.compile(optimizer="sgd", loss="mse")
    ours.compile(optimizer="sgd", loss="mse")
    expected = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_keras_files_load_both_ways(rng, tmp_path):
    import keras

    x = _inputs(rng, mask_input=True)
    reference = _model(keras, mask_input=True, call_kwargs={"use_causal_mask": True})
    reference.set_weights([rng.standard_normal(w.shape).astype("float32") for w in reference.get_weights()])
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(ours.get_layer("gqa"), kerasish.layers.GroupQueryAttention)
    for got, want in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(reference, ours, x)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("gqa").num_key_value_heads == 2
    for got, want in zip(back.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert_same_outputs(back, ours, x)
