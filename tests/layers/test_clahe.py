"""ContrastLimitedAdaptiveHistogramEqualization: contrast stretched per tile, Keras' integer
clip limit, dtypes, layouts and value ranges."""

import numpy as np
import pytest
import torch

import kerasish as keras

CLAHE = keras.layers.ContrastLimitedAdaptiveHistogramEqualization


def test_low_contrast_tiles_are_stretched(rng):
    images = rng.uniform(100, 120, (1, 32, 32, 1)).astype("float32")
    out = CLAHE(tile_grid_size=(2, 2), clip_limit=64.0)(images).numpy()  # limit 64 of 256 px
    assert out.max() - out.min() > 150  # the 20-level range is spread over most of [0, 255]
    order = np.argsort(images.ravel())
    assert np.all(np.diff(out.ravel()[order]) > -40)  # roughly monotone in the input


def test_a_limit_below_one_count_keeps_the_image():
    # 16-pixel tiles: 4 * 16 / 256 = 0.25, truncated to 0 counts as Keras 3.15 on torch does, so
    # every histogram is flat and each map is the identity on the integer levels.
    images = np.random.default_rng(1).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    out = CLAHE(tile_grid_size=(2, 2))(images).numpy()
    np.testing.assert_array_equal(out, np.floor(images))


def test_dtypes_layouts_and_ranges(rng):
    images = rng.uniform(0, 255, (2, 12, 10, 3)).astype("float32")
    layer = CLAHE(tile_grid_size=(3, 2), clip_limit=8.0)
    reference = layer(images).numpy()
    assert layer(images.astype("uint8")).dtype == torch.uint8
    assert layer(images.astype("int32")).dtype == torch.int32
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    cf = CLAHE(tile_grid_size=(3, 2), clip_limit=8.0, data_format="channels_first")(first)
    np.testing.assert_array_equal(cf.numpy().transpose(0, 2, 3, 1), reference)
    np.testing.assert_array_equal(layer(images[0]).numpy(), reference[0])
    unit = CLAHE(value_range=(0, 1), tile_grid_size=(3, 2), clip_limit=8.0)(images / 255)
    np.testing.assert_allclose(unit.numpy() * 255, reference, atol=1e-3)
    np.testing.assert_array_equal(layer(images, training=True).numpy(), reference)


def test_padded_grids_and_config(rng):
    images = rng.uniform(0, 255, (1, 9, 11, 1)).astype("float32")
    out = CLAHE(tile_grid_size=(4, 4), clip_limit=0.0)(images)
    assert out.shape == images.shape and torch.isfinite(out).all()
    layer = CLAHE(value_range=(0, 1), clip_limit=2.0, tile_grid_size=(4, 2))
    config = layer.get_config()
    assert config["clip_limit"] == 2.0 and config["tile_grid_size"] == (4, 2)
    assert CLAHE.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="rank 3"):
        layer(np.zeros((4, 4), "float32"))
