"""Preprocessing layers that models embed, side by side with Keras 3: Rescaling, Normalization
(given statistics and adapt), CenterCrop, Resizing."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

IMAGE_CASES = [
    ("Resizing", {"height": 4, "width": 3}, (2, 7, 9, 3)),
    ("Resizing", {"height": 10, "width": 13}, (2, 7, 9, 3)),
    ("Resizing", {"height": 4, "width": 6, "interpolation": "nearest"}, (2, 7, 9, 3)),
    ("Resizing", {"height": 5, "width": 6, "interpolation": "bicubic"}, (2, 7, 9, 3)),
    ("Resizing", {"height": 4, "width": 3, "crop_to_aspect_ratio": True}, (2, 7, 9, 3)),
    ("Resizing", {"height": 4, "width": 3, "pad_to_aspect_ratio": True, "fill_value": 0.5}, (2, 7, 9, 3)),
    ("Resizing", {"height": 3, "width": 4, "antialias": True}, (2, 7, 9, 3)),
    ("Resizing", {"height": 4, "width": 3, "data_format": "channels_first"}, (2, 3, 7, 9)),
    ("CenterCrop", {"height": 3, "width": 4}, (2, 6, 7, 3)),
    ("CenterCrop", {"height": 4, "width": 4}, (2, 7, 8, 2)),
    ("CenterCrop", {"height": 8, "width": 9}, (2, 6, 7, 3)),
    ("CenterCrop", {"height": 3, "width": 9}, (2, 6, 7, 3)),
    ("CenterCrop", {"height": 3, "width": 4, "data_format": "channels_first"}, (2, 3, 6, 7)),
    ("Rescaling", {"scale": 1 / 255.0}, (2, 4, 4, 3)),
    ("Rescaling", {"scale": 2.0, "offset": -1.0}, (3, 5)),
    ("Rescaling", {"scale": [1.0, 2.0, 0.5], "offset": [0.0, 1.0, -1.0]}, (2, 4, 3)),
    ("Normalization", {"mean": 2.0, "variance": 4.0}, (3, 5)),
    ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, (2, 4, 3)),
    ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0], "invert": True}, (2, 3)),
    ("Normalization", {"axis": 1, "mean": [1.0, 2.0], "variance": [0.5, 2.0]}, (3, 2, 4)),
]


@pytest.mark.parametrize("name, kwargs, shape", IMAGE_CASES)
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
    x = (rng.random(shape) * 4 - 1).astype("float32")
    assert_same_outputs(reference, ours, x)
    back = getattr(keras.layers, name).from_config(ours_layer.get_config())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(back(x)), ours_layer(torch.from_numpy(x)).numpy(), atol=1e-5
    )


@pytest.mark.parametrize("name, kwargs", [("Resizing", {"height": 4, "width": 3}), ("CenterCrop", {"height": 3, "width": 4})])
def test_unbatched_image(rng, name, kwargs):
    import keras

    x = rng.random((6, 7, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(x))
    received = getattr(kerasish.layers, name)(**kwargs)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(received, expected, atol=1e-6)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "nearest"])
def test_resizing_integer_images_round_and_keep_dtype(rng, interpolation):
    import keras

    x = (rng.random((2, 7, 9, 3)) * 255).astype("uint8")
    expected = keras.layers.Resizing(5, 4, interpolation=interpolation)(x)
    received = kerasish.layers.Resizing(5, 4, interpolation=interpolation)(torch.from_numpy(x))
    assert received.dtype == expected.dtype == torch.uint8
    np.testing.assert_array_equal(received.numpy(), keras.ops.convert_to_numpy(expected))


def test_resizing_interpolations_torch_cannot_do_are_refused():
    with pytest.raises(NotImplementedError, match="lanczos3"):
        kerasish.layers.Resizing(4, 4, interpolation="lanczos3")
    with pytest.raises(ValueError, match="interpolation"):
        kerasish.layers.Resizing(4, 4, interpolation="cubic-ish")


@pytest.mark.parametrize(
    "axis, shape",
    [(-1, (30, 4)), (-1, (12, 5, 3)), ((1, 2), (12, 5, 3)), (None, (20, 3)), (1, (10, 4, 2))],
)
def test_normalization_adapt_and_weights(rng, axis, shape):
    import keras

    data = (rng.standard_normal(shape) * 3 + 1).astype("float32")
    reference = keras.layers.Normalization(axis=axis)
    reference.adapt(data)
    for adapt_with in (data, torch.from_numpy(data)):
        ours = kerasish.layers.Normalization(axis=axis)
        ours.adapt(adapt_with)
        assert [(w.name, w.shape, w.dtype) for w in ours.weights] == [
            (w.name, tuple(w.shape), w.dtype) for w in reference.weights
        ]
        for received, expected in zip(ours.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)
        assert ours.count_params() == reference.count_params()
        x = rng.standard_normal(shape).astype("float32")
        np.testing.assert_allclose(
            ours(torch.from_numpy(x)).numpy(),
            keras.ops.convert_to_numpy(reference(x)),
            atol=1e-5,
        )


def test_normalization_adapt_from_batches_equals_adapt_on_all(rng):
    """Keras needs TensorFlow to adapt on an iterable; the merged statistics must equal the
    whole-array ones, which are checked against Keras above."""
    data = (rng.standard_normal((25, 3)) * 2 + 5).astype("float32")
    whole = kerasish.layers.Normalization()
    whole.adapt(data)
    batched = kerasish.layers.Normalization()
    batched.adapt([data[:7], (data[7:20], None), torch.from_numpy(data[20:])])
    for a, b in zip(batched.get_weights()[:2], whole.get_weights()[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_normalization_weights_load_into_a_model(rng):
    """A preprocessing stack as saved by Keras: Normalization weights travel with the model."""
    import keras

    def build(lib):
        L = lib.layers
        inputs = lib.Input((6, 6, 3))
        x = L.Rescaling(1 / 255.0)(inputs)
        x = L.Normalization()(x)
        x = L.Conv2D(2, 3)(x)
        return lib.Model(inputs, L.GlobalAveragePooling2D()(x))

    reference, ours = build(keras), build(kerasish)
    images = (rng.random((8, 6, 6, 3)) * 255).astype("float32")
    reference.layers[2].adapt(images / 255.0)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, images)
