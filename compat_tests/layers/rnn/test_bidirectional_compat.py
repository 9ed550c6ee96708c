"""Bidirectional side by side with Keras 3: every merge mode, states, masks, backward_layer."""

import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

STEPS, FEATURES = 6, 4


def _model(lib, layer_name, merge_mode, **kwargs):
    inputs = lib.Input((STEPS, FEATURES))
    layer = lib.layers.Bidirectional(getattr(lib.layers, layer_name)(3, **kwargs), merge_mode=merge_mode)
    return lib.Model(inputs, layer(inputs))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_merge_modes(rng, merge_mode, return_sequences):
    import keras

    reference = _model(keras, "LSTM", merge_mode, return_sequences=return_sequences)
    ours = _model(kerasish, "LSTM", merge_mode, return_sequences=return_sequences)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((3, STEPS, FEATURES)).astype("float32"))


@pytest.mark.parametrize(
    "layer_name, merge_mode, kwargs",
    [
        ("LSTM", "concat", {"return_state": True}),
        ("GRU", None, {"return_state": True, "return_sequences": True}),
        ("GRU", "sum", {"return_state": True, "reset_after": False}),
        ("SimpleRNN", "ave", {"return_state": True}),
    ],
)
def test_return_state(rng, layer_name, merge_mode, kwargs):
    import keras

    reference = _model(keras, layer_name, merge_mode, **kwargs)
    ours = _model(kerasish, layer_name, merge_mode, **kwargs)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((3, STEPS, FEATURES)).astype("float32"))


@pytest.mark.parametrize("layer_name", ["LSTM", "GRU"])
def test_masked_sequences(rng, layer_name):
    import keras

    def build(lib):
        tokens = lib.Input((STEPS,), dtype="int32")
        x = lib.layers.Embedding(10, FEATURES, mask_zero=True)(tokens)
        x = lib.layers.Bidirectional(getattr(lib.layers, layer_name)(3, return_sequences=True))(x)
        x = lib.layers.Bidirectional(getattr(lib.layers, layer_name)(2), merge_mode="sum")(x)
        return lib.Model(tokens, x)

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(1, 10, size=(4, STEPS)).astype("int32")
    tokens[0, 4:] = 0
    tokens[1, :3] = 0
    tokens[2, 2:4] = 0
    assert_same_outputs(reference, ours, tokens)


def test_explicit_backward_layer_and_config(rng):
    import keras

    def build(lib):
        inputs = lib.Input((STEPS, FEATURES))
        backward = lib.layers.GRU(3, go_backwards=True, reset_after=False, return_sequences=True)
        layer = lib.layers.Bidirectional(
            lib.layers.LSTM(3, return_sequences=True), backward_layer=backward
        )
        return lib.Model(inputs, layer(inputs))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    # A Keras 3 config builds the same layer.
    config = reference.layers[1].get_config()
    clone = kerasish.layers.Bidirectional.from_config(config)
    assert type(clone.backward_layer).__name__ == "GRU"
    assert clone.forward_layer.name == reference.layers[1].forward_layer.name


def test_stateful_bidirectional(rng):
    import keras

    def build(lib):
        inputs = lib.Input(batch_shape=(2, STEPS, FEATURES))
        layer = lib.layers.Bidirectional(lib.layers.GRU(3, stateful=True, return_sequences=True))
        return lib.Model(inputs, layer(inputs))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    batches = [rng.standard_normal((2, STEPS, FEATURES)).astype("float32") for _ in range(2)]
    for x in batches:
        assert_same_outputs(reference, ours, x)
    reference.layers[1].reset_states()
    ours.layers[1].reset_states()
    assert_same_outputs(reference, ours, batches[1])
