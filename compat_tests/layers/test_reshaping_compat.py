"""Reshaping layers side by side with Keras 3: Permute, RepeatVector, ZeroPadding, Cropping,
UpSampling (nearest, bilinear, bicubic), both data formats, inside models and as configs."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure

CASES = [
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    ("RepeatVector", {"n": 3}, (2, 4)),
    ("ZeroPadding1D", {}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": (2, 0)}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": 1, "data_format": "channels_first"}, (2, 3, 5)),
    ("ZeroPadding2D", {}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": (2, 1), "data_format": "channels_first"}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": 1}, (2, 2, 3, 4, 2)),
    ("ZeroPadding3D", {"padding": ((0, 1), (1, 0), (2, 1)), "data_format": "channels_first"}, (2, 2, 3, 4, 2)),
    ("Cropping1D", {}, (2, 6, 3)),
    ("Cropping1D", {"cropping": (0, 2)}, (2, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, (2, 5, 4, 3)),
    ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, (2, 3, 5, 4)),
    ("Cropping3D", {}, (2, 3, 4, 5, 2)),
    ("Cropping3D", {"cropping": ((0, 1), (1, 1), (2, 0)), "data_format": "channels_first"}, (2, 2, 3, 4, 5)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling2D", {}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (2, 3), "data_format": "channels_first"}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": 3, "interpolation": "bilinear", "data_format": "channels_first"}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": 2, "interpolation": "bicubic"}, (2, 3, 4, 2)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (2, 2, 3, 2, 2)),
    ("UpSampling3D", {"data_format": "channels_first"}, (2, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("name, kwargs, shape", CASES)
def test_layer_matches_keras(rng, name, kwargs, shape):
    """Outputs inside a model, symbolic shapes, and configs read and written both ways."""
    import keras

    def build(lib, layer):
        inputs = lib.Input(shape[1:])
        return lib.Model(inputs, layer(inputs))

    reference_layer = getattr(keras.layers, name)(**kwargs)
    ours_layer = getattr(kerasish.layers, name).from_config(reference_layer.get_config())
    reference, ours = build(keras, reference_layer), build(kerasish, ours_layer)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal(shape).astype("float32"), atol=1e-6)
    for batch_shape in [(None,) + shape[1:], (None,) * len(shape)]:
        expected = tuple(reference_layer.compute_output_shape(batch_shape))
        assert ours_layer.compute_output_shape(batch_shape) == expected
    back = getattr(keras.layers, name).from_config(ours_layer.get_config())
    x = np.arange(np.prod(shape), dtype="float32").reshape(shape)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(back(x)), ours_layer(torch.from_numpy(x)).numpy()
    )


def test_integer_inputs_keep_their_dtype():
    """Keras computes these on integers as integers; kerasish's symbolic dtype says so too
    (Keras 3's symbolic tensors claim float32 except for Permute)."""
    import keras

    x = np.arange(12, dtype="int32").reshape(1, 6, 2)
    for name, kwargs in [("Cropping1D", {}), ("ZeroPadding1D", {}), ("UpSampling1D", {})]:
        expected = getattr(keras.layers, name)(**kwargs)(x)
        received = getattr(kerasish.layers, name)(**kwargs)(torch.from_numpy(x))
        assert received.dtype == expected.dtype == torch.int32
        np.testing.assert_array_equal(received.numpy(), keras.ops.convert_to_numpy(expected))
        symbolic = getattr(kerasish.layers, name)(**kwargs)(kerasish.Input((6, 2), dtype="int32"))
        assert symbolic.dtype == "int32"


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("Cropping1D", {"cropping": (3, 3)}, (None, 6, 2)),
        ("Cropping2D", {"cropping": ((2, 2), (0, 0))}, (None, 4, 5, 2)),
    ],
)
def test_too_much_cropping_is_refused_like_keras(name, kwargs, shape):
    import keras

    with pytest.raises(ValueError) as expected:
        getattr(keras.layers, name)(**kwargs).compute_output_shape(shape)
    with pytest.raises(ValueError) as received:
        getattr(kerasish.layers, name)(**kwargs).compute_output_shape(shape)
    assert str(received.value) == str(expected.value)


def test_upsampling_into_conv_model(rng):
    """A decoder-style stack: padding, bilinear upsampling and cropping around convolutions."""
    import keras

    def build(lib):
        L = lib.layers
        inputs = lib.Input((5, 6, 2))
        x = L.ZeroPadding2D(((1, 0), (0, 1)))(inputs)
        x = L.Conv2D(3, 3, strides=2, padding="same")(x)
        x = L.UpSampling2D(interpolation="bilinear")(x)
        x = L.Cropping2D(((1, 0), (0, 1)))(x)
        return lib.Model(inputs, L.Permute((3, 1, 2))(x))

    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((3, 5, 6, 2)).astype("float32"))
