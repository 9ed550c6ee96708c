"""ConvLSTM1D/2D/3D side by side with Keras 3."""

import numpy as np
import pytest

import kerasish

STEPS = 3


def _check(rng, name, input_shape, **kwargs):
    import keras

    x = rng.standard_normal(input_shape).astype("float32")
    reference = getattr(keras.layers, name)(**kwargs)
    expected = keras.tree.flatten(reference(x))
    ours = getattr(kerasish.layers, name)(**kwargs)
    ours.build(x.shape)
    ours.set_weights(reference.get_weights())
    received = kerasish.utils.tree.flatten(ours(x))
    assert ours.count_params() == reference.count_params()
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        np.testing.assert_allclose(r.detach().numpy(), keras.ops.convert_to_numpy(e), atol=1e-5, rtol=0)
    symbolic = (None,) + tuple(input_shape[1:])
    assert _shapes(ours.compute_output_shape(symbolic)) == _shapes(
        reference.compute_output_shape(symbolic)
    )


def _shapes(value):
    """A shape as a tuple, a structure of shapes as a list of them."""
    if all(d is None or isinstance(d, int) for d in value):
        return tuple(value)
    return [_shapes(v) for v in value]

@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, padding="same"),
        dict(kernel_size=3, strides=2, return_sequences=True),
        dict(kernel_size=2, padding="same", return_state=True, go_backwards=True),
        dict(kernel_size=(3, 2), padding="same", strides=2, data_format="channels_first",
             return_sequences=True),
        dict(kernel_size=3, dilation_rate=2, activation="relu", use_bias=False),
    ],
)
def test_conv_lstm2d(rng, kwargs):
    shape = (2, STEPS, 3, 7, 6) if kwargs.get("data_format") == "channels_first" else (2, STEPS, 7, 6, 3)
    _check(rng, "ConvLSTM2D", shape, filters=4, **kwargs)


def test_conv_lstm1d_and_3d(rng):
    _check(rng, "ConvLSTM1D", (2, STEPS, 8, 3), filters=4, kernel_size=3, padding="same",
           return_sequences=True)
    _check(rng, "ConvLSTM3D", (1, STEPS, 4, 5, 3, 2), filters=2, kernel_size=2, padding="same")


def test_masked_conv_lstm_in_a_model(rng):
    import keras

    def build(lib):
        inputs = lib.Input((STEPS, 5, 5, 2))
        x = lib.layers.Masking()(inputs)
        return lib.Model(inputs, lib.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(x))

    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    x = rng.standard_normal((2, STEPS, 5, 5, 2)).astype("float32")
    x[0, 1] = 0.0  # a fully zero step: masked
    np.testing.assert_allclose(ours.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5)


def test_stateful_conv_lstm(rng):
    import keras

    def build(lib):
        inputs = lib.Input(batch_shape=(2, STEPS, 4, 4, 2))
        return lib.Model(inputs, lib.layers.ConvLSTM2D(3, 2, padding="same", stateful=True)(inputs))

    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    batches = [rng.standard_normal((2, STEPS, 4, 4, 2)).astype("float32") for _ in range(2)]
    for x in batches:
        np.testing.assert_allclose(ours.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5)
    reference.layers[1].reset_states()
    ours.layers[1].reset_states()
    np.testing.assert_allclose(
        ours.predict(batches[1], verbose=0), reference.predict(batches[1], verbose=0), atol=1e-5
    )
