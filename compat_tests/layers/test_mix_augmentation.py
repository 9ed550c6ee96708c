"""CutMix against Keras 3: the paste and label mix for given draws, the draws' shapes and
distribution, inference, dicts, configs and argument errors."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.layers.augmentation_helpers import (
    assert_configs_load_both_ways,
    assert_inference_matches,
    assert_same,
    both,
    to_layout,
)

RNG = np.random.default_rng(31)
IMAGES = RNG.uniform(0, 255, (4, 9, 11, 3)).astype("float32")
LABELS = np.eye(4, dtype="float32")


def _fixed(theirs, ours, images, data_format):
    transformation = theirs.get_random_transformation(images, training=True)
    masks = transformation["batch_masks"]
    masks = masks[..., :1].movedim(-1, 1) if data_format == "channels_last" else masks[:, :1]
    draws = {"permutation_order": transformation["permutation_order"].long(), "masks": masks,
             "mix_weight": transformation["mix_weight"].reshape(-1)}
    ours._draw = lambda _: draws
    return transformation


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cut_mix_for_given_draws_matches(data_format):
    images = to_layout(IMAGES, data_format)
    theirs, ours = both("CutMix", factor=(0.3, 0.9), seed=5, data_format=data_format)
    transformation = _fixed(theirs, ours, images, data_format)
    expected = theirs.transform_images(keras.ops.convert_to_tensor(images), transformation)
    assert not np.array_equal(keras.ops.convert_to_numpy(expected), images)  # something pasted
    assert_same(expected, ours(images, training=True))
    expected = theirs({"images": images, "labels": LABELS}, training=False)
    received = ours({"images": images, "labels": LABELS}, training=False)
    assert_same(expected["images"], received["images"])
    assert_same(expected["labels"], received["labels"])


def test_cut_mix_labels_for_given_draws_match():
    theirs, ours = both("CutMix", seed=2)
    transformation = _fixed(theirs, ours, IMAGES, "channels_last")
    expected = theirs.transform_labels(keras.ops.convert_to_tensor(LABELS), transformation)
    received = ours({"images": IMAGES, "labels": LABELS}, training=True)
    assert_same(expected, received["labels"])
    assert_same(theirs.transform_images(keras.ops.convert_to_tensor(IMAGES), transformation),
                received["images"])


def test_cut_mix_draws_match_keras_shapes_and_distribution():
    batch = np.zeros((2000, 8, 8, 1), "float32")
    theirs, ours = both("CutMix", factor=(0.5, 0.5), seed=1)
    expected = theirs.get_random_transformation(batch, training=True)
    received = ours._draw(torch.from_numpy(batch).movedim(-1, 1))
    assert tuple(received["permutation_order"].shape) == (2000,)
    assert sorted(received["permutation_order"].tolist()) == list(range(2000))
    assert tuple(received["masks"].shape) == (2000, 1, 8, 8)
    keras_weight = keras.ops.convert_to_numpy(expected["mix_weight"]).reshape(-1)
    our_weight = received["mix_weight"].numpy()
    for weights in (keras_weight, our_weight):
        assert weights.min() >= 0.0 and weights.max() <= 1.0
    # lambda ~ Beta(0.5, 0.5); the kept share 1 - (sqrt(1 - lambda))^2 has its mean 1/2.
    assert abs(keras_weight.mean() - our_weight.mean()) < 0.04
    assert abs(keras_weight.std() - our_weight.std()) < 0.04
    keras_area = keras.ops.convert_to_numpy(expected["batch_masks"])[..., 0].mean((1, 2))
    our_area = received["masks"].float().mean((1, 2, 3)).numpy()
    assert abs(keras_area.mean() - our_area.mean()) < 0.04


def test_cut_mix_inference_single_images_and_configs_match():
    assert_inference_matches("CutMix", IMAGES)
    theirs, ours = both("CutMix")
    for x in (IMAGES[0], IMAGES[0].astype("uint8")):
        assert_same(theirs(x, training=True), ours(x, training=True))
    assert_configs_load_both_ways("CutMix", factor=0.4, seed=3)
    assert_configs_load_both_ways("CutMix", factor=(0.2, 0.6), data_format="channels_first")


@pytest.mark.parametrize("factor", [1.5, -0.2, (0.1, 0.2, 0.3), "a"])
def test_cut_mix_bad_factor_raises_like_keras(factor):
    with pytest.raises(ValueError) as theirs:
        keras.layers.CutMix(factor=factor)
    with pytest.raises(ValueError) as ours:
        kerasish.layers.CutMix(factor=factor)
    assert str(ours.value) == str(theirs.value)
