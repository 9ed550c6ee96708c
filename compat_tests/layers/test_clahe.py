"""ContrastLimitedAdaptiveHistogramEqualization against Keras 3: deterministic, so the layer's
outputs must equal Keras' bit for bit, in training and inference, for both data formats,
padded and unpadded tile grids, clipped and unclipped histograms, and every input dtype."""

import numpy as np
import pytest

import kerasish
from compat_tests.layers.augmentation_helpers import (
    assert_configs_load_both_ways,
    assert_same,
    both,
    to_layout,
)

NAME = "ContrastLimitedAdaptiveHistogramEqualization"
RNG = np.random.default_rng(51)
IMAGES = RNG.uniform(0, 255, (2, 9, 11, 3)).astype("float32")


@pytest.mark.parametrize("kwargs", [
    {},                                               # 8x8 tiles of 2x2 pixels, padded
    {"tile_grid_size": (2, 3)},                       # padded by one row and column
    {"tile_grid_size": (4, 4), "clip_limit": 0.0},    # no clipping; padded by three rows
    {"tile_grid_size": (3, 5), "clip_limit": 1.5},
    {"tile_grid_size": (1, 1), "clip_limit": 40.0},   # one tile: a clipped global equaliser
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_outputs_match_keras(kwargs, data_format):
    images = to_layout(IMAGES, data_format)
    theirs, ours = both(NAME, data_format=data_format, **kwargs)
    inputs = [images, images[0], images.astype("uint8")]
    if data_format == "channels_last":
        inputs += [images.astype("int32"), images.astype("float64")]
    for x in inputs:
        expected = theirs(x)  # Keras applies CLAHE whatever `training` says
        assert_same(expected, ours(x, training=True))
        assert_same(expected, ours(x, training=False))


def test_value_range_matches_keras():
    theirs, ours = both(NAME, value_range=(0, 1), tile_grid_size=(3, 3))
    assert_same(theirs(IMAGES / 255), ours(IMAGES / 255))
    theirs, ours = both(NAME, value_range=(-1, 2), tile_grid_size=(2, 2), clip_limit=2.0)
    x = (IMAGES / 85 - 1).astype("float32")
    assert_same(theirs(x), ours(x))


def test_constant_and_large_images_match_keras():
    theirs, ours = both(NAME)
    constant = np.full((1, 16, 16, 1), 7.0, "float32")
    assert_same(theirs(constant), ours(constant))
    large = RNG.integers(0, 256, (1, 64, 48, 2)).astype("uint8")  # 8x6-pixel tiles, limit 3
    assert_same(theirs(large), ours(large))


def test_configs_load_both_ways():
    assert_configs_load_both_ways(NAME)
    assert_configs_load_both_ways(NAME, value_range=(0, 1), clip_limit=2.5,
                                  tile_grid_size=(4, 2), data_format="channels_first")


def test_dict_inputs_are_refused_by_name():
    with pytest.raises(NotImplementedError, match="dict inputs"):
        kerasish.layers.ContrastLimitedAdaptiveHistogramEqualization()({"images": IMAGES})
