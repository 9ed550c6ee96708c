"""SimpleRNN side by side with Keras 3."""

import numpy as np
import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

STEPS, FEATURES = 6, 4

CASES = {
    "last": {},
    "sequences_state_backwards": {"return_sequences": True, "return_state": True, "go_backwards": True},
    "relu": {"activation": "relu", "return_sequences": True},
    "sigmoid_nobias": {"activation": "sigmoid", "use_bias": False},
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_simple_rnn_predictions(rng, kwargs):
    import keras

    def build(lib):
        inputs = lib.Input((STEPS, FEATURES))
        return lib.Model(inputs, lib.layers.SimpleRNN(5, **kwargs)(inputs))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((3, STEPS, FEATURES)).astype("float32"))


@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_sequences(rng, go_backwards):
    import keras

    def build(lib):
        tokens = lib.Input((STEPS,), dtype="int32")
        x = lib.layers.Embedding(10, FEATURES, mask_zero=True)(tokens)
        x = lib.layers.SimpleRNN(5, return_sequences=True, go_backwards=go_backwards)(x)
        return lib.Model(tokens, lib.layers.SimpleRNN(3)(x))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(1, 10, size=(4, STEPS)).astype("int32")
    tokens[0, 4:] = 0
    tokens[1, :2] = 0
    tokens[2, 1:3] = 0
    assert_same_outputs(reference, ours, tokens)


def test_stateful_and_config(rng):
    import keras

    reference = keras.Sequential(
        [keras.Input(batch_shape=(2, STEPS, FEATURES)), keras.layers.SimpleRNN(5, stateful=True)]
    )
    ours = kerasish.Sequential(
        [kerasish.layers.SimpleRNN(5, stateful=True, batch_input_shape=(2, STEPS, FEATURES))]
    )
    copy_weights(reference, ours)
    for _ in range(2):
        assert_same_outputs(reference, ours, rng.standard_normal((2, STEPS, FEATURES)).astype("float32"))
    config = reference.layers[0].get_config()
    clone = kerasish.layers.SimpleRNN.from_config(config)
    assert clone.stateful and clone.units == 5
    assert keras.layers.SimpleRNN.from_config(clone.get_config()).units == 5
    np.testing.assert_allclose(ours.layers[0].states[0].numpy(),
                               keras.ops.convert_to_numpy(reference.layers[0].states[0]), atol=1e-5)
