"""LSTM side by side with Keras 3: same weights in, same outputs out."""

import numpy as np
import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

STEPS, FEATURES = 7, 5


def _lstm_model(lib, **kwargs):
    inputs = lib.Input(shape=(STEPS, FEATURES))
    outputs = lib.layers.LSTM(6, **kwargs)(inputs)
    return lib.Model(inputs, outputs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"return_sequences": True, "return_state": True, "go_backwards": True},
        {"go_backwards": True},
        {"recurrent_activation": "hard_sigmoid", "return_sequences": True},
        {"activation": "relu", "use_bias": False, "unit_forget_bias": False},
    ],
    ids=["last", "sequences", "state", "backwards_all", "backwards", "hard_sigmoid", "relu_nobias"],
)
def test_lstm_predictions(rng, kwargs):
    import keras

    reference = _lstm_model(keras, **kwargs)
    ours = _lstm_model(kerasish, **kwargs)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    x = rng.standard_normal((4, STEPS, FEATURES)).astype("float32")
    assert_same_outputs(reference, ours, x)


def test_fresh_initial_weights_have_keras_layout_and_statistics():
    import keras

    reference = keras.layers.LSTM(6)
    reference.build((None, STEPS, FEATURES))
    ours = kerasish.layers.LSTM(6)
    ours.build((None, STEPS, FEATURES))
    for theirs, mine in zip(reference.get_weights(), ours.get_weights()):
        assert theirs.shape == mine.shape
    np.testing.assert_array_equal(ours.get_weights()[2], reference.get_weights()[2])
    for rk in (reference.get_weights()[1], ours.get_weights()[1]):
        np.testing.assert_allclose(rk @ rk.T, np.eye(6), atol=1e-5)


def _masked_stack(lib, go_backwards=False):
    L = lib.layers
    tokens = lib.Input(shape=(STEPS,), dtype="int32")
    x = L.Embedding(20, FEATURES, mask_zero=True)(tokens)
    x = L.LSTM(6, return_sequences=True, go_backwards=go_backwards)(x)
    x = L.LSTM(4)(x)
    return lib.Model(tokens, L.Dense(2)(x))


@pytest.mark.parametrize("go_backwards", [False, True])
def test_masks_from_embedding_with_padded_inputs(rng, go_backwards):
    import keras

    reference = _masked_stack(keras, go_backwards)
    ours = _masked_stack(kerasish, go_backwards)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    tokens = rng.integers(1, 20, size=(6, STEPS)).astype("int32")
    tokens[0, 3:] = 0  # right padding
    tokens[1, :4] = 0  # left padding
    tokens[2, 2:5] = 0  # holes
    tokens[3, :] = 0  # fully masked
    assert_same_outputs(reference, ours, tokens)


def test_masked_sequential_model(rng):
    import keras

    def build(lib):
        return lib.Sequential(
            [
                lib.Input(shape=(STEPS,), dtype="int32"),
                lib.layers.Embedding(10, 3, mask_zero=True),
                lib.layers.LSTM(4, return_sequences=True),
            ]
        )

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(0, 10, size=(5, STEPS)).astype("int32")
    assert_same_outputs(reference, ours, tokens)


def test_stateful_two_consecutive_batches(rng):
    import keras

    reference = keras.Sequential(
        [keras.Input(batch_shape=(3, STEPS, FEATURES)), keras.layers.LSTM(6, stateful=True)]
    )
    ours = kerasish.Sequential(
        [kerasish.layers.LSTM(6, stateful=True, batch_input_shape=(3, STEPS, FEATURES))]
    )
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    first, second = (rng.standard_normal((3, STEPS, FEATURES)).astype("float32") for _ in range(2))
    assert_same_outputs(reference, ours, first)
    assert_same_outputs(reference, ours, second)  # carries the state of the first batch
    reference.layers[0].reset_states()
    ours.layers[0].reset_states()
    assert_same_outputs(reference, ours, second)


def test_keras3_lstm_config_builds_the_same_layer(rng):
    import keras

    reference = keras.layers.LSTM(
        6, return_sequences=True, recurrent_activation="hard_sigmoid", dropout=0.2, seed=3
    )
    ours = kerasish.layers.LSTM.from_config(reference.get_config())
    assert ours.return_sequences and ours.dropout == 0.2 and ours.seed == 3
    reference.build((None, STEPS, FEATURES))
    ours.build((None, STEPS, FEATURES))
    ours.set_weights(reference.get_weights())
    x = rng.standard_normal((2, STEPS, FEATURES)).astype("float32")
    expected = keras.ops.convert_to_numpy(reference(x))
    np.testing.assert_allclose(ours(x).detach().numpy(), expected, atol=1e-5)
    # ...and Keras 3 reads kerasish's config back.
    assert keras.layers.LSTM.from_config(ours.get_config()).units == 6
