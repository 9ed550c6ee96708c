"""RandAugment and AugMix: operation choices, replayed draws, mixing weights, seeds, configs."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers.policy_augmentation import AUG_MIX_OPS, RAND_AUGMENT_OPS


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, (3, 9, 11, 3)).astype("float32")


def test_rand_augment_holds_keras_operations_as_sublayers():
    layer = keras.layers.RandAugment(factor=0.4, value_range=(0, 1), interpolation="nearest")
    assert [type(getattr(layer, name)).__name__ for name in RAND_AUGMENT_OPS] == [
        "RandomShear", "RandomTranslation", "RandomRotation", "RandomBrightness",
        "RandomColorDegeneration", "RandomContrast", "RandomSharpness", "RandomPosterization",
        "Solarization", "AutoContrast", "Equalization",
    ]
    assert layer.random_rotation.factor == (0, 0.4)
    assert layer.random_translation.interpolation == "nearest"
    assert layer.random_posterization.factor == (1, 3)  # max(1, int(8 * 0.4))
    assert layer.solarization.value_range == [0, 1]


def test_an_operation_chosen_twice_repeats_its_transformation(images):
    layer = keras.layers.RandAugment(factor=0.5, seed=1)
    x = torch.from_numpy(images)
    twice = layer._transform(x, [1, 1], seeds={1: 123})
    translation = layer.random_translation
    expected = x
    for _ in range(2):
        translation._generator(x.device).manual_seed(123)
        expected = translation._augment_images(expected)
    np.testing.assert_array_equal(twice.numpy(), expected.numpy())
    other = layer._transform(x, [1, 1], seeds={1: 124})
    assert not np.array_equal(other.numpy(), twice.numpy())


def test_rand_augment_training_seeds_and_inference(images):
    a = keras.layers.RandAugment(seed=3)
    b = keras.layers.RandAugment(seed=3)
    out = a(images, training=True).numpy()
    assert out.shape == images.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, b(images, training=True).numpy())
    outs = [a(images, training=True).numpy() for _ in range(4)]
    assert any(not np.array_equal(o, out) for o in outs)
    np.testing.assert_array_equal(a(images.astype("uint8")).numpy(), images.astype("uint8"))
    single = a(images[0], training=True)
    assert single.shape == images[0].shape


def test_rand_augment_choices_are_uniform():
    layer = keras.layers.RandAugment(num_ops=4, seed=0)
    seen = []
    layer._apply = lambda name, x, seed: seen.append(name) or x
    for _ in range(300):
        layer(np.zeros((1, 4, 4, 3), "float32"), training=True)
    counts = np.array([seen.count(name) for name in RAND_AUGMENT_OPS])
    assert counts.sum() == 1200 and counts.min() > 70 and counts.max() < 150


def test_aug_mix_with_full_weight_on_the_input_returns_it(images):
    layer = keras.layers.AugMix(seed=2)
    x = torch.from_numpy(images)
    chains = [["random_shear", "solarization"], ["equalization"], []]
    out = layer._mix(x, chains, [0.2, 0.3, 0.5], 1.0)
    np.testing.assert_allclose(out.numpy(), images, atol=1e-4)
    empty = layer._mix(x, [[], [], []], [0.2, 0.3, 0.5], 0.25)  # chains of no operation
    np.testing.assert_allclose(empty.numpy(), images, atol=1e-3)


def test_aug_mix_training_stays_in_range_and_follows_its_seed(images):
    a = keras.layers.AugMix(value_range=(0, 255), seed=5)
    out = a(images, training=True).numpy()
    assert out.min() >= 0 and out.max() <= 255 and not np.allclose(out, images)
    np.testing.assert_array_equal(
        out, keras.layers.AugMix(value_range=(0, 255), seed=5)(images, training=True).numpy())
    assert a(images[0], training=True).shape == images[0].shape
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    cf = keras.layers.AugMix(seed=1, data_format="channels_first")(first, training=True)
    assert cf.shape == first.shape


def test_aug_mix_operation_sets_and_config():
    narrow = keras.layers.AugMix(all_ops=False)
    assert narrow._operations == AUG_MIX_OPS
    assert not hasattr(narrow, "random_brightness")
    config = keras.layers.AugMix(num_chains=2, chain_depth=5, alpha=0.5, seed=1).get_config()
    assert config["num_chains"] == 2 and config["chain_depth"] == 5 and config["alpha"] == 0.5
    assert config["factor"] == (0, 0.3)
    assert keras.layers.AugMix.from_config(config).get_config() == config
    config = keras.layers.RandAugment(num_ops=3, seed=2).get_config()
    assert keras.layers.RandAugment.from_config(config).get_config() == config
    with pytest.raises(NotImplementedError, match="interpolation"):
        keras.layers.RandAugment(interpolation="bicubic")
