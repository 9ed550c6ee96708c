"""RandomPerspective and RandomElasticTransform: inference identity, draws, seeds, the
homography and the warps' fixed points."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers.warp_augmentation import (
    elastic_transform_nchw,
    homography_matrix,
    perspective_transform_nchw,
)


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, (3, 9, 11, 3)).astype("float32")


def _project(transform, points):
    a0, a1, a2, b0, b1, b2, c0, c1 = transform
    x, y = points[:, 0], points[:, 1]
    k = c0 * x + c1 * y + 1
    return np.stack([(a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k], -1)


def test_homography_maps_end_points_back_to_start_points():
    start = torch.tensor([[[0.0, 0.0], [10.0, 0.0], [0.0, 8.0], [10.0, 8.0]]])
    end = torch.tensor([[[1.0, 0.5], [9.0, -1.0], [0.5, 7.0], [11.0, 9.0]]])
    transform = homography_matrix(start, end)
    assert transform.shape == (1, 8) and transform.dtype == torch.float32
    np.testing.assert_allclose(_project(transform[0].numpy(), end[0].numpy()), start[0],
                               atol=1e-4)
    assert homography_matrix(start.double(), end.double()).dtype == torch.float32  # as Keras
    assert homography_matrix(start.half(), end.half()).dtype == torch.float16


def test_identity_homography_keeps_images(images):
    x = torch.from_numpy(images).movedim(-1, 1)
    corners = torch.tensor([[[0.0, 0.0], [10.0, 0.0], [0.0, 8.0], [10.0, 8.0]]])
    out = perspective_transform_nchw(x, homography_matrix(corners, corners))
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-3)


def test_perspective_layer_is_identity_at_inference_and_casts(images):
    layer = keras.layers.RandomPerspective()
    out = layer(images.astype("uint8"))
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(out.numpy(), images.astype("uint8"))


def test_perspective_layer_warps_in_training_and_keeps_the_origin(images):
    layer = keras.layers.RandomPerspective(scale=0.8, seed=3)
    out = layer(images, training=True).numpy()
    assert out.shape == images.shape and not np.allclose(out, images)
    # The top-left corner is at the origin, which Keras' corner shifts never move.
    np.testing.assert_allclose(out[:, 0, 0], images[:, 0, 0], atol=1e-3)
    again = keras.layers.RandomPerspective(scale=0.8, seed=3)(images, training=True).numpy()
    np.testing.assert_array_equal(out, again)
    assert not np.array_equal(layer(images, training=True).numpy(), out)  # fresh draws


def test_perspective_factor_zero_and_module_mode(images):
    layer = keras.layers.RandomPerspective(factor=0.0)
    np.testing.assert_array_equal(layer(images, training=True).numpy(), images)
    layer = keras.layers.RandomPerspective(seed=1).train()
    assert not np.allclose(layer(images).numpy(), images)  # torch's train mode means training


def test_perspective_channels_first_and_single_images(images):
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    out = keras.layers.RandomPerspective(seed=2, data_format="channels_first")(
        first, training=True)
    assert out.shape == first.shape
    single = keras.layers.RandomPerspective(seed=2)(images[0], training=True)
    assert single.shape == images[0].shape


def test_perspective_arguments_are_checked():
    with pytest.raises(ValueError, match="scale"):
        keras.layers.RandomPerspective(scale=-0.1)
    with pytest.raises(NotImplementedError, match="interpolation"):
        keras.layers.RandomPerspective(interpolation="bicubic")
    with pytest.raises(NotImplementedError, match="bounding_box_format"):
        keras.layers.RandomPerspective(bounding_box_format="xyxy")
    with pytest.raises(NotImplementedError, match="dict inputs"):
        keras.layers.RandomPerspective()({"images": np.zeros((1, 4, 4, 3), "float32")})
    with pytest.raises(ValueError, match="rank 3"):
        keras.layers.RandomPerspective()(np.zeros((4, 3), "float32"))


def test_elastic_core_without_displacement_is_identity(images):
    x = torch.from_numpy(images).movedim(-1, 1)
    np.testing.assert_array_equal(elastic_transform_nchw(x, 0.0, 1.0).numpy(), x.numpy())
    with pytest.raises(NotImplementedError, match="integer images"):
        elastic_transform_nchw(x.to(torch.uint8), 1.0, 1.0)


def test_elastic_layer_draws_clips_and_seeds(images):
    layer = keras.layers.RandomElasticTransform(scale=(0.5, 1.0), value_range=(10, 200), seed=4)
    out = layer(images, training=True).numpy()
    assert out.min() >= 10 and out.max() <= 200
    assert not np.allclose(out, np.clip(images, 10, 200))
    again = keras.layers.RandomElasticTransform(scale=(0.5, 1.0), value_range=(10, 200), seed=4)
    np.testing.assert_array_equal(again(images, training=True).numpy(), out)
    np.testing.assert_array_equal(layer(images).numpy(), images)  # inference: unchanged


def test_elastic_layer_skips_when_nothing_can_apply(images):
    for kwargs in ({"factor": 0.0}, {"scale": 0.0}):
        layer = keras.layers.RandomElasticTransform(value_range=(0, 100), **kwargs)
        np.testing.assert_array_equal(layer(images, training=True).numpy(), images)
    apply = torch.tensor([False, False, False])
    layer = keras.layers.RandomElasticTransform(value_range=(0, 100))
    out = layer._transform(torch.from_numpy(images).movedim(-1, 1), apply, 0.5)
    np.testing.assert_array_equal(out.movedim(1, -1).numpy(), np.clip(images, 0, 100))


def test_elastic_layer_arguments_and_config():
    layer = keras.layers.RandomElasticTransform(0.5, (0.2, 0.4), "nearest", "mirror", 2.0,
                                                (0, 1), 7, "channels_first")
    config = layer.get_config()
    assert config["factor"] == (0, 0.5) and config["scale"] == (0.2, 0.4)
    assert config["fill_mode"] == "mirror" and config["seed"] == 7
    clone = keras.layers.RandomElasticTransform.from_config(config)
    assert clone.get_config() == config
    with pytest.raises(ValueError, match="`scale` argument"):
        keras.layers.RandomElasticTransform(scale=1.5)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        keras.layers.RandomElasticTransform(fill_mode="edge")
