"""Core layers side by side with Keras 3: EinsumDense, Identity, Masking (and the masks it
feeds downstream), ActivityRegularization and layer.losses."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

EINSUM_CASES = [
    ("ab,bc->ac", 4, "c", (6,)),
    ("ab,bc->ac", 4, None, (6,)),
    ("abc,cd->abd", (None, 4), "d", (3, 6)),
    ("abc,cde->abde", (None, 2, 3), "de", (3, 6)),
    ("abc,cde->abde", (None, 2, 3), "e", (3, 6)),
    ("abcd,cde->abe", (3, 5), "e", (3, 2, 4)),
    ("...b,bc->...c", 4, "c", (2, 3, 6)),
    ("...cd,cde->...e", 5, "e", (3, 4)),
    ("ab...,bc->ac...", 4, "c", (6, 2)),
    ("abc,cde->abde", (None, 2, 3), None, (3, 6)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", EINSUM_CASES)
def test_einsum_dense(rng, equation, output_shape, bias_axes, shape):
    import keras

    def build(lib):
        inputs = lib.Input(shape)
        layer = lib.layers.EinsumDense(
            equation, output_shape, bias_axes=bias_axes, activation="tanh"
        )
        return lib.Model(inputs, layer(inputs))

    reference, ours = build(keras), build(kerasish)
    reference.set_weights([rng.standard_normal(w.shape).astype("float32") for w in reference.weights])
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert [(w.name, w.shape) for w in ours.weights] == [
        (w.name, tuple(w.shape)) for w in reference.weights
    ]
    assert_same_outputs(reference, ours, rng.standard_normal((4,) + shape).astype("float32"))
    config = reference.layers[-1].get_config()
    rebuilt = kerasish.layers.EinsumDense.from_config(config)
    assert rebuilt.compute_output_shape((None,) + shape) == reference.output_shape
    back = keras.layers.EinsumDense.from_config(rebuilt.get_config())
    assert back.compute_output_shape((None,) + shape) == reference.output_shape


def test_einsum_dense_initializer_uses_einsum_fans():
    """Keras 3 gives the kernel initializer the input and output axes; glorot's limit follows."""
    import keras

    ours = kerasish.layers.EinsumDense("abc,cde->abde", (None, 8, 16), bias_axes="de")
    ours.build((None, 3, 32))
    reference = keras.layers.EinsumDense("abc,cde->abde", (None, 8, 16), bias_axes="de")
    reference.build((None, 3, 32))
    limit = np.sqrt(6 / (32 + 8 * 16))
    for kernel in (ours.get_weights()[0], reference.get_weights()[0]):
        assert kernel.shape == (32, 8, 16)
        assert np.abs(kernel).max() <= limit
        assert np.abs(kernel).max() > 0.9 * limit
    np.testing.assert_array_equal(ours.get_weights()[1], np.zeros((8, 16), "float32"))


def test_einsum_dense_errors_match_keras():
    import keras

    for args, bias_axes, shape in [
        (("ab,bc->ad", 4), None, (None, 3)),
        (("abc,cd->abd", (5, 4)), None, (None, 3, 6)),
        (("ab,bc->ac", 4), "d", (None, 3)),
        (("a-b,bc->ac", 4), None, (None, 3)),
    ]:
        with pytest.raises(ValueError) as expected:
            keras.layers.EinsumDense(*args, bias_axes=bias_axes).build(shape)
        with pytest.raises(ValueError) as received:
            kerasish.layers.EinsumDense(*args, bias_axes=bias_axes).build(shape)
        assert str(received.value) == str(expected.value)


def test_identity_keeps_values_dtype_and_masks(rng):
    import keras

    def build(lib):
        L = lib.layers
        tokens = lib.Input((5,), dtype="int32")
        x = L.Identity()(L.Embedding(7, 3, mask_zero=True)(tokens))
        return lib.Model(tokens, L.GlobalAveragePooling1D()(x))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    tokens = rng.integers(0, 7, size=(4, 5)).astype("int32")
    tokens[:, 0] = 1
    assert_same_outputs(reference, ours, tokens)
    assert kerasish.layers.Identity()(kerasish.Input((3,), dtype="int32")).dtype == "int32"


def test_masking_values_and_mask(rng):
    import keras

    x = rng.standard_normal((3, 6, 4)).astype("float32")
    x[0, 2:4] = 0.0
    x[1, 5] = 0.0
    x[2, 1, :2] = 0.0  # partly equal to the mask value: not masked
    reference, ours = keras.layers.Masking(), kerasish.layers.Masking()
    expected = reference(x)
    received = ours(torch.from_numpy(x))
    np.testing.assert_array_equal(received.numpy(), keras.ops.convert_to_numpy(expected))
    np.testing.assert_array_equal(
        ours.compute_mask(torch.from_numpy(x)).numpy(),
        keras.ops.convert_to_numpy(expected._keras_mask),
    )


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_feeds_downstream_layers(rng, mask_value):
    import keras

    def build(lib):
        L = lib.layers
        inputs = lib.Input((6, 3))
        x = L.Masking(mask_value=mask_value)(inputs)
        x = L.Dense(4)(x)
        return lib.Model(inputs, L.GlobalAveragePooling1D()(x))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    x[0, 3:] = mask_value
    x[2, :2] = mask_value
    assert_same_outputs(reference, ours, x)
    config = reference.layers[1].get_config()
    assert kerasish.layers.Masking.from_config(config).mask_value == mask_value
    assert keras.layers.Masking.from_config(ours.layers[1].get_config()).mask_value == mask_value


# ------------------------------------------------------------------------------ losses


def _regularized(lib):
    L = lib.layers
    inputs = lib.Input((4,))
    x = L.Dense(3, activity_regularizer="l2", kernel_regularizer=lib.regularizers.L1(0.1))(inputs)
    x = L.ActivityRegularization(l1=0.01, l2=0.02)(x)
    return lib.Model(inputs, L.Dense(2)(x))


def test_activity_losses_match_keras(rng):
    import keras

    reference, ours = _regularized(keras), _regularized(kerasish)
    copy_weights(reference, ours)
    x = rng.standard_normal((5, 4)).astype("float32")
    reference(x)
    ours(torch.from_numpy(x))
    expected = sorted(float(keras.ops.convert_to_numpy(v)) for v in reference.losses)
    received = sorted(float(v.detach()) for v in ours.losses)
    assert len(received) == len(expected) == 3
    np.testing.assert_allclose(received, expected, rtol=1e-5)
    # A new call replaces the previous call's activity losses, as in Keras.
    reference(x[:2])
    ours(torch.from_numpy(x[:2]))
    assert len(ours.losses) == len(reference.losses) == 3
    np.testing.assert_allclose(
        sorted(float(v.detach()) for v in ours.losses),
        sorted(float(keras.ops.convert_to_numpy(v)) for v in reference.losses),
        rtol=1e-5,
    )


def test_activity_regularization_config():
    import keras

    config = keras.layers.ActivityRegularization(l1=0.5, l2=0.25).get_config()
    ours = kerasish.layers.ActivityRegularization.from_config(config)
    assert (ours.l1, ours.l2) == (0.5, 0.25)
    assert "activity_regularizer" not in ours.get_config()
    back = keras.layers.ActivityRegularization.from_config(ours.get_config())
    assert (back.l1, back.l2) == (0.5, 0.25)
