"""GRU side by side with Keras 3: same weights in, same outputs out, both reset_after."""

import numpy as np
import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

STEPS, FEATURES = 7, 5


def _gru_model(lib, **kwargs):
    inputs = lib.Input(shape=(STEPS, FEATURES))
    return lib.Model(inputs, lib.layers.GRU(6, **kwargs)(inputs))


CASES = {
    "last": {},
    "sequences": {"return_sequences": True},
    "state": {"return_state": True},
    "backwards_all": {"return_sequences": True, "return_state": True, "go_backwards": True},
    "reset_before": {"reset_after": False, "return_sequences": True},
    "reset_before_backwards_state": {"reset_after": False, "go_backwards": True, "return_state": True},
    "keras2_style": {"reset_after": False, "recurrent_activation": "hard_sigmoid"},
    "relu_nobias": {"activation": "relu", "use_bias": False},
    "nobias_reset_before": {"use_bias": False, "reset_after": False},
}


@pytest.mark.parametrize("kwargs", CASES.values(), ids=CASES.keys())
def test_gru_predictions(rng, kwargs):
    import keras

    reference, ours = _gru_model(keras, **kwargs), _gru_model(kerasish, **kwargs)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    x = rng.standard_normal((4, STEPS, FEATURES)).astype("float32")
    assert_same_outputs(reference, ours, x)


def _masked_stack(lib, reset_after, go_backwards):
    L = lib.layers
    tokens = lib.Input(shape=(STEPS,), dtype="int32")
    x = L.Embedding(20, FEATURES, mask_zero=True)(tokens)
    x = L.GRU(6, return_sequences=True, reset_after=reset_after, go_backwards=go_backwards)(x)
    x = L.GRU(4, reset_after=reset_after)(x)
    return lib.Model(tokens, x)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masks_from_embedding(rng, reset_after, go_backwards):
    import keras

    reference = _masked_stack(keras, reset_after, go_backwards)
    ours = _masked_stack(kerasish, reset_after, go_backwards)
    copy_weights(reference, ours)
    tokens = rng.integers(1, 20, size=(5, STEPS)).astype("int32")
    tokens[0, 3:] = 0  # right padding
    tokens[1, :4] = 0  # left padding
    tokens[2, 2:5] = 0  # holes
    tokens[3, :] = 0  # fully masked
    assert_same_outputs(reference, ours, tokens)


@pytest.mark.parametrize("reset_after", [True, False])
def test_stateful_consecutive_batches(rng, reset_after):
    import keras

    reference = keras.Sequential([
        keras.Input(batch_shape=(3, STEPS, FEATURES)),
        keras.layers.GRU(6, stateful=True, reset_after=reset_after),
    ])
    ours = kerasish.Sequential([
        kerasish.layers.GRU(6, stateful=True, reset_after=reset_after,
                            batch_input_shape=(3, STEPS, FEATURES)),
    ])
    copy_weights(reference, ours)
    first, second = (rng.standard_normal((3, STEPS, FEATURES)).astype("float32") for _ in range(2))
    assert_same_outputs(reference, ours, first)
    assert_same_outputs(reference, ours, second)
    reference.layers[0].reset_states()
    ours.layers[0].reset_states()
    assert_same_outputs(reference, ours, second)


def test_symbolic_initial_state(rng):
    import keras

    def build(lib):
        sequence = lib.Input((STEPS, FEATURES))
        context = lib.Input((3,))
        h0 = lib.layers.Dense(6, activation="tanh")(context)
        return lib.Model([sequence, context], lib.layers.GRU(6)(sequence, initial_state=[h0]))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    inputs = [rng.standard_normal((4, STEPS, FEATURES)).astype("float32"),
              rng.standard_normal((4, 3)).astype("float32")]
    assert_same_outputs(reference, ours, inputs)


def test_fresh_weights_configs_and_layout(rng):
    import keras

    for reset_after in (True, False):
        reference = keras.layers.GRU(6, reset_after=reset_after)
        reference.build((None, STEPS, FEATURES))
        ours = kerasish.layers.GRU.from_config(reference.get_config())
        ours.build((None, STEPS, FEATURES))
        assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
        assert [w.path.split("/")[-1] for w in ours.weights] == [
            w.path.split("/")[-1] for w in reference.weights
        ]
        rk = ours.get_weights()[1]
        np.testing.assert_allclose(rk @ rk.T, np.eye(6), atol=1e-5)
        ours.set_weights(reference.get_weights())
        x = rng.standard_normal((2, STEPS, FEATURES)).astype("float32")
        expected = keras.ops.convert_to_numpy(reference(x))
        np.testing.assert_allclose(ours(x).detach().numpy(), expected, atol=1e-5, rtol=0)
        back = keras.layers.GRU.from_config(ours.get_config())  # Keras 3 reads ours
        assert back.reset_after == reset_after and back.units == 6
