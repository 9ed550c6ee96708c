"""RandAugment and AugMix against Keras 3: with ``factor=0`` every one of their operations is
deterministic, so Keras' ``transform_images`` for chosen operations (a fixed transformation
dict) must equal kerasish's for the same choices; plus inference, configs and ``.keras`` files
with all the new augmentation layers, both ways."""

import json

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
from kerasish.layers.policy_augmentation import AUG_MIX_ALL_OPS, RAND_AUGMENT_OPS

RNG = np.random.default_rng(41)
IMAGES = RNG.uniform(0, 255, (2, 9, 11, 3)).astype("float32")

# Every operation once in each position, and each operation after itself.
PAIRS = [(i, (i + 4) % 11) for i in range(11)] + [(5, 5)]


@pytest.mark.filterwarnings("ignore:Tensor.T is deprecated")  # inside Keras' Equalization
@pytest.mark.parametrize("data_format,pairs", [
    ("channels_last", PAIRS),
    ("channels_first", [(0, 9), (10, 2), (7, 8), (3, 6)]),
])
def test_rand_augment_operations_match_keras(data_format, pairs):
    images = to_layout(IMAGES, data_format)
    theirs, ours = both("RandAugment", factor=0.0, data_format=data_format)
    transformation = theirs.get_random_transformation(images, training=True)
    for first, second in pairs:
        transformation["layer_idxes"] = torch.tensor([first, second])
        expected = theirs.transform_images(keras.ops.convert_to_tensor(images), transformation)
        received = ours._transform(torch.from_numpy(images), [first, second])
        assert_same(expected, received, atol=1e-4)  # 0-255 values: a few float32 ulps


def test_rand_augment_operation_names_are_keras():
    assert list(RAND_AUGMENT_OPS) == keras.layers.RandAugment._AUGMENT_LAYERS


def _aug_mix_transformation(layer, chains, weights, weight_sample, images):
    return {
        "chain_mixing_weights": torch.tensor(weights),
        "weight_sample": torch.tensor(weight_sample),
        "chain_transforms": [
            [{"layer_name": name,
              "transformation": getattr(layer, name).get_random_transformation(
                  images, training=True)} for name in chain]
            for chain in chains
        ],
    }


@pytest.mark.parametrize("chains,weights,weight_sample", [
    ([["random_shear", "equalization", "solarization"], ["auto_contrast", "random_contrast"],
      ["random_sharpness", "random_posterization", "random_color_degeneration"]],
     [0.2, 0.5, 0.3], 0.35),
    ([["random_translation", "random_rotation", "random_brightness"], [], ["equalization"]],
     [0.6, 0.1, 0.3], 0.8),
])
def test_aug_mix_chains_match_keras(chains, weights, weight_sample):
    theirs, ours = both("AugMix", factor=0.0)
    transformation = _aug_mix_transformation(theirs, chains, weights, weight_sample, IMAGES)
    expected = theirs.transform_images(keras.ops.convert_to_tensor(IMAGES), transformation)
    assert_same(expected, ours._mix(torch.from_numpy(IMAGES), chains, weights, weight_sample),
                atol=1e-4)


def test_aug_mix_channels_first_and_operation_sets_match_keras():
    images = to_layout(IMAGES, "channels_first")
    theirs, ours = both("AugMix", factor=0.0, all_ops=False, data_format="channels_first")
    chains = [["auto_contrast", "random_posterization"], ["solarization"]]
    transformation = _aug_mix_transformation(theirs, chains, [0.4, 0.6], 0.5, images)
    expected = theirs.transform_images(keras.ops.convert_to_tensor(images), transformation)
    assert_same(expected, ours._mix(torch.from_numpy(images), chains, [0.4, 0.6], 0.5),
                atol=1e-4)
    assert ours._operations == tuple(theirs._augment_layers)
    assert kerasish.layers.AugMix()._operations == tuple(keras.layers.AugMix()._augment_layers)
    assert set(AUG_MIX_ALL_OPS) == set(RAND_AUGMENT_OPS)


@pytest.mark.parametrize("name,kwargs", [
    ("RandAugment", {}),
    ("RandAugment", {"value_range": (0, 1), "num_ops": 3, "factor": (0.1, 0.4), "seed": 2,
                     "interpolation": "nearest"}),
    ("AugMix", {}),
    ("AugMix", {"value_range": (0, 1), "num_chains": 2, "chain_depth": 4, "factor": 0.6,
                "alpha": 0.5, "all_ops": False, "interpolation": "nearest", "seed": 1}),
])
def test_inference_and_configs_match(name, kwargs):
    assert_inference_matches(name, IMAGES, **kwargs)
    assert_configs_load_both_ways(name, **kwargs)
    assert_configs_load_both_ways(name, data_format="channels_first", **kwargs)


def test_bad_factor_raises_like_keras():
    for name in ("RandAugment", "AugMix"):
        with pytest.raises(ValueError) as theirs:
            getattr(keras.layers, name)(factor=1.5)
        with pytest.raises(ValueError) as ours:
            getattr(kerasish.layers, name)(factor=1.5)
        assert str(ours.value) == str(theirs.value)


def _augmentation_model(lib):
    return lib.Sequential([
        lib.Input((9, 11, 3)),
        lib.layers.CutMix(factor=0.4, seed=2),
        lib.layers.RandAugment(num_ops=3, factor=0.2, seed=4),
        lib.layers.AugMix(chain_depth=2, all_ops=False),
        lib.layers.RandomPerspective(factor=0.5, scale=0.3, fill_value=1.0),
        lib.layers.RandomElasticTransform(scale=(0.2, 0.4), fill_mode="wrap"),
        lib.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 3),
                                                                clip_limit=2.0),
        lib.layers.Conv2D(2, 3),
    ])


def test_saved_models_load_both_ways(tmp_path):
    ours = _augmentation_model(kerasish)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    for mine, keras_layer in zip(ours.layers[:-1], theirs.layers):
        expected = json.loads(json.dumps(mine.get_config()))
        expected["dtype"] = keras_layer.get_config()["dtype"]
        assert json.loads(json.dumps(keras_layer.get_config())) == expected
    predicted = ours.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs.predict(IMAGES, verbose=0)),
                               predicted, atol=1e-4, rtol=0)
    theirs.save(tmp_path / "theirs.keras")
    again = kerasish.models.load_model(tmp_path / "theirs.keras")
    assert [type(layer).__name__ for layer in again.layers] == \
        [type(layer).__name__ for layer in theirs.layers]
    np.testing.assert_array_equal(again.predict(IMAGES, verbose=0), predicted)
