"""``ops.image.perspective_transform``/``elastic_transform``/``scale_and_translate``: fixed
points, Keras' documented example, seeds, argument checks."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish.ops import image

CORNERS = np.array([[0, 0], [7, 0], [0, 5], [7, 5]], "float32")


def test_perspective_identity_and_shift(rng):
    images = rng.uniform(0, 1, (2, 6, 8, 3)).astype("float32")
    out = image.perspective_transform(images, CORNERS, CORNERS)
    np.testing.assert_allclose(out.numpy(), images, atol=1e-5)
    # Output (x, y) samples input (x + 1, y): the image moves one pixel left, zeros enter.
    shifted = image.perspective_transform(images, CORNERS + [1, 0], CORNERS,
                                          interpolation="nearest")
    np.testing.assert_array_equal(shifted[:, :, :-1].numpy(), images[:, :, 1:])
    np.testing.assert_array_equal(shifted[:, :, -1].numpy(), 0)
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    out = image.perspective_transform(first, CORNERS + [1, 0], CORNERS, "nearest",
                                      data_format="channels_first")
    np.testing.assert_array_equal(out.numpy().transpose(0, 2, 3, 1), shifted.numpy())


def test_perspective_checks_points():
    images = np.zeros((2, 6, 8, 3), "float32")
    with pytest.raises(ValueError, match="start_points shape"):
        image.perspective_transform(images, CORNERS[:3], CORNERS)
    with pytest.raises(ValueError, match="same shape"):
        image.perspective_transform(images, CORNERS, np.stack([CORNERS] * 2))
    with pytest.raises(ValueError, match="one per image"):
        image.perspective_transform(images, np.stack([CORNERS] * 3), np.stack([CORNERS] * 3))


def test_elastic_seeds_and_identity(rng):
    images = rng.uniform(0, 1, (2, 8, 9, 3)).astype("float32")
    a = image.elastic_transform(images, alpha=4.0, sigma=1.5, seed=3)
    b = image.elastic_transform(images, alpha=4.0, sigma=1.5, seed=3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), images)
    same = image.elastic_transform(images, alpha=0.0, sigma=1.5, seed=3)
    np.testing.assert_array_equal(same.numpy(), images)
    generator = torch.Generator().manual_seed(3)
    np.testing.assert_array_equal(
        image.elastic_transform(images, alpha=4.0, sigma=1.5, seed=generator).numpy(), a.numpy())
    with pytest.raises(ValueError, match="seed"):
        image.elastic_transform(images, seed="x")
    with pytest.raises(NotImplementedError, match="integer images"):
        image.elastic_transform(images.astype("uint8"))


def test_scale_and_translate_keras_docstring_example():
    images = np.arange(9, dtype="float32").reshape((3, 3))
    scale = np.array([2.0, 2.0], "float32")
    out = image.scale_and_translate(images, (5, 5), scale, -(scale / 2.0 - 0.5), (0, 1),
                                    "linear")
    expected = np.array([[0.0, 0.5, 1.0, 1.5, 2.0], [1.5, 2.0, 2.5, 3.0, 3.5],
                         [3.0, 3.5, 4.0, 4.5, 5.0], [4.5, 5.0, 5.5, 6.0, 6.5],
                         [6.0, 6.5, 7.0, 7.5, 8.0]], "float32")
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)


def test_scale_and_translate_identity_integers_and_methods(rng):
    images = rng.uniform(0, 1, (2, 5, 6, 3)).astype("float32")
    for method in ("bilinear", "tricubic", "lanczos3"):
        out = image.scale_and_translate(images, images.shape, [1.0, 1.0], [0.0, 0.0], (1, 2),
                                        method)
        np.testing.assert_allclose(out.numpy(), images, atol=1e-5)
    ints = (images * 200).astype("uint8")
    out = image.scale_and_translate(ints, (2, 3, 3, 3), [0.5, 0.5], [0.0, 0.0], (1, 2),
                                    "cubic")
    assert out.dtype == torch.uint8
    assert image.scale_and_translate(images, images.shape, [], [], (), "linear") is not None
    with pytest.raises(ValueError, match="method"):
        image.scale_and_translate(images, images.shape, [1.0, 1.0], [0.0, 0.0], (1, 2), "area")


def test_ops_are_registered_in_the_image_namespace():
    from kerasish.ops.dispatch import symbol_of

    for name in ("perspective_transform", "elastic_transform", "scale_and_translate", "ssim"):
        assert symbol_of(getattr(kerasish.ops.image, name)) == f"keras.ops.image.{name}"
