"""CutMix: pasted rectangles from other images of the batch, label weights, dicts, seeds."""

import numpy as np
import pytest
import torch

import kerasish as keras


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, (6, 10, 12, 3)).astype("float32")


def _source(out, images):
    """For each output pixel, the index of the input image it came from."""
    matches = (out[:, None] == images[None]).all(-1)  # (out image, source image, h, w)
    assert matches.any(1).all()
    return matches.argmax(1)


def test_pixels_come_from_one_rectangle_of_another_image(images):
    layer = keras.layers.CutMix(seed=3)
    out = layer(images, training=True).numpy()
    source = _source(out, images)
    for i in range(len(images)):
        pasted = source[i] != i
        if pasted.any():
            assert len(set(source[i][pasted].tolist())) == 1
            rows, cols = np.nonzero(pasted)
            block = pasted[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            assert block.all()  # one rectangle


def test_label_weights_follow_the_pasted_area(images):
    draws = keras.layers.CutMix(seed=1)._draw(torch.from_numpy(images).movedim(-1, 1))
    masks = draws["masks"].float()
    area = masks.mean((1, 2, 3))
    # The weight is 1 - (continuous box area); the mask counts whole pixels inside it.
    assert torch.all((draws["mix_weight"] - (1 - area)).abs() < 0.35)
    assert torch.all((draws["mix_weight"] >= 0) & (draws["mix_weight"] <= 1))
    labels = torch.eye(6)
    mixed = keras.layers.CutMix._mix_labels(labels, draws)
    np.testing.assert_allclose(mixed.sum(1).numpy(), 1.0, atol=1e-6)


def test_dicts_mix_images_and_labels(images):
    labels = np.eye(6, dtype="float32")
    out = keras.layers.CutMix(seed=2)({"images": images, "labels": labels}, training=True)
    assert set(out) == {"images", "labels"}
    np.testing.assert_allclose(out["labels"].sum(1).numpy(), 1.0, atol=1e-6)
    assert out["images"].shape == images.shape
    with pytest.raises(NotImplementedError, match="bounding boxes"):
        keras.layers.CutMix()({"images": images, "bounding_boxes": {}}, training=True)


def test_inference_single_images_and_dtypes(images):
    layer = keras.layers.CutMix(seed=0)
    out = layer(images.astype("uint8"))
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(out.numpy(), images.astype("uint8"))
    np.testing.assert_array_equal(layer(images[0], training=True).numpy(), images[0])
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    out = keras.layers.CutMix(seed=5, data_format="channels_first")(first, training=True)
    assert out.shape == first.shape


def test_seeds_reproduce_and_calls_differ(images):
    a = keras.layers.CutMix(seed=9)
    b = keras.layers.CutMix(seed=9)
    first = a(images, training=True).numpy()
    np.testing.assert_array_equal(first, b(images, training=True).numpy())
    assert not np.array_equal(first, a(images, training=True).numpy())


def test_config_round_trip():
    layer = keras.layers.CutMix(factor=(0.2, 0.7), seed=4, data_format="channels_first")
    config = layer.get_config()
    assert config["factor"] == (0.2, 0.7) and config["seed"] == 4
    assert keras.layers.CutMix.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="factor"):
        keras.layers.CutMix(factor=2.0)
