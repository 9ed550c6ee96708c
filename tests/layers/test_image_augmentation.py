"""Augmentation layers: inference identity, fresh draws in training, seeds, the affine helper."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers.image_augmentation import affine_transform

LAYERS = [
    lambda **kw: keras.layers.RandomFlip(**kw),
    lambda **kw: keras.layers.RandomRotation(0.3, **kw),
    lambda **kw: keras.layers.RandomZoom(0.3, **kw),
    lambda **kw: keras.layers.RandomTranslation(0.3, 0.3, **kw),
]
COLOUR_LAYERS = [
    lambda **kw: keras.layers.RandomContrast(0.5, **kw),
    lambda **kw: keras.layers.RandomBrightness(0.5, **kw),
]


@pytest.fixture
def images():
    return torch.rand(4, 6, 7, 3, generator=torch.Generator().manual_seed(0)) * 255


@pytest.mark.parametrize("make", LAYERS)
def test_inference_returns_input(make, images):
    layer = make()
    assert layer(images) is images
    assert layer(images, training=False) is images
    out = layer(images.to(torch.uint8), training=False)
    assert out.dtype == torch.float32
    assert torch.equal(out, images.to(torch.uint8).float())
    assert isinstance(layer, torch.nn.Module)


@pytest.mark.parametrize("make", LAYERS + COLOUR_LAYERS)
def test_training_draws_fresh_parameters_each_call(make, images):
    layer = make()
    batch = images.repeat(8, 1, 1, 1)
    outs = [layer(batch, training=True) for _ in range(2)]
    assert outs[0].shape == batch.shape
    assert not torch.equal(outs[0], outs[1])
    copies = outs[0][0::4]  # eight copies of the first image, each drawn on its own
    assert any(not torch.equal(copies[0], copy) for copy in copies[1:])


@pytest.mark.parametrize("make", LAYERS + COLOUR_LAYERS)
def test_seed_makes_draws_reproducible(make, images):
    a, b = make(seed=7), make(seed=7)
    first = a(images, training=True)
    assert torch.equal(first, b(images, training=True))
    assert not torch.equal(first, a(images, training=True))


@pytest.mark.parametrize("make", LAYERS + COLOUR_LAYERS)
def test_module_train_mode_turns_augmentation_on(make, images):
    layer = make(seed=1)
    layer.train()
    assert not torch.equal(layer(images.repeat(4, 1, 1, 1)), images.repeat(4, 1, 1, 1))


@pytest.mark.parametrize("make", COLOUR_LAYERS)
def test_colour_inference_keeps_integer_images(make, images):
    layer = make()
    assert layer(images) is images
    ints = images.to(torch.uint8)
    assert layer(ints) is ints
    assert layer(images.double()).dtype == torch.float32


def test_contrast_and_brightness_arithmetic():
    image = torch.tensor([[[0.0], [10.0]], [[20.0], [30.0]]])  # 2x2, one channel, mean 15
    contrast = keras.layers.RandomContrast((-1.0, 1.0), value_range=(0, 40))  # factor 2
    assert contrast(image, training=True).flatten().tolist() == [0.0, 5.0, 25.0, 40.0]
    brightness = keras.layers.RandomBrightness((0.5, 0.5), value_range=(0, 40))  # +20
    assert brightness(image, training=True).flatten().tolist() == [20.0, 30.0, 40.0, 40.0]
    first = keras.layers.RandomContrast((-1.0, 1.0), data_format="channels_first")
    planes = torch.tensor([[[0.0, 2.0]], [[4.0, 4.0]]])  # two channels, 1x2 each
    assert first(planes, training=True).flatten().tolist() == [0.0, 3.0, 4.0, 4.0]


def test_zero_factors_are_identity(images):
    for layer in (
        keras.layers.RandomRotation(0.0),
        keras.layers.RandomZoom((0.0, 0.0)),
        keras.layers.RandomTranslation(0.0, 0.0),
    ):
        torch.testing.assert_close(layer(images, training=True), images, atol=1e-4, rtol=0)


def test_translation_by_whole_pixels_shifts(images):
    layer = keras.layers.RandomTranslation(
        (1 / 6, 1 / 6), (0.0, 0.0), fill_mode="constant", fill_value=-1.0,
        interpolation="nearest",
    )
    out = layer(images, training=True)
    assert torch.equal(out[:, 1:], images[:, :-1])
    assert torch.all(out[:, 0] == -1.0)


def test_affine_transform_helper_fill_modes():
    row = torch.arange(4.0).view(1, 1, 4, 1)  # channels_last, one row: a b c d
    shift = torch.tensor([1.0, 0, -3, 0, 1, 0, 0, 0])  # output x reads input x - 3

    def fill(mode):
        return affine_transform(row, shift, "nearest", mode, 9.0).flatten().tolist()

    assert fill("constant") == [9, 9, 9, 0]
    assert fill("nearest") == [0, 0, 0, 0]
    assert fill("wrap") == [1, 2, 3, 0]
    assert fill("reflect") == [2, 1, 0, 0]  # (d c b a | a b c d)
    assert fill("mirror") == [3, 2, 1, 0]  # (d c b | a b c d)


def test_affine_transform_projective_and_integers():
    image = torch.arange(12, dtype=torch.int32).view(3, 4, 1)
    identity = torch.tensor([1.0, 0, 0, 0, 1, 0, 0, 0])
    assert torch.equal(affine_transform(image, identity), image)
    half = affine_transform(image, torch.tensor([1.0, 0, 0.5, 0, 1, 0, 0, 0]), "bilinear", "nearest")
    assert half.dtype == torch.int32
    # Projective: k = 0.5 * x + 1 shrinks the x sampled for columns further right.
    out = affine_transform(
        image.float(), torch.tensor([1.0, 0, 0, 0, 1, 0, 0.5, 0]), "nearest"
    )
    assert out[0, :, 0].tolist() == [0.0, 1.0, 1.0, 1.0]  # x / (0.5 x + 1) rounds to 0, 1, 1, 1


def test_affine_transform_rejects_bad_arguments():
    with pytest.raises(ValueError, match="interpolation"):
        affine_transform(torch.zeros(1, 2, 2, 1), torch.zeros(8), "bicubic")
    with pytest.raises(ValueError, match="fill_mode"):
        affine_transform(torch.zeros(1, 2, 2, 1), torch.zeros(8), fill_mode="edge")
    with pytest.raises(ValueError, match="transform.shape"):
        affine_transform(torch.zeros(1, 2, 2, 1), torch.zeros(6))


def test_bad_rank_mode_and_unsupported_inputs():
    with pytest.raises(ValueError, match="rank 3"):
        keras.layers.RandomZoom(0.1)(torch.zeros(2, 3), training=True)
    with pytest.raises(ValueError, match="mode"):
        keras.layers.RandomFlip("diagonal")
    with pytest.raises(NotImplementedError, match="bounding_box_format"):
        keras.layers.RandomFlip(bounding_box_format="xyxy")
    with pytest.raises(NotImplementedError, match="dict inputs"):
        keras.layers.RandomFlip()({"images": torch.zeros(1, 2, 2, 1)}, training=True)


def test_compute_output_shape():
    for make in LAYERS + COLOUR_LAYERS:
        assert make().compute_output_shape((None, 5, 6, 3)) == (None, 5, 6, 3)


def test_sequential_with_augmentation_trains_with_fit():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 2, (16,))
    augment = keras.Sequential([
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.1),
        keras.layers.RandomZoom(0.1),
        keras.layers.RandomTranslation(0.1, 0.1),
        keras.layers.RandomContrast(0.1, value_range=(0, 1)),
        keras.layers.RandomBrightness(0.1, value_range=(0, 1)),
    ])
    model = keras.Sequential([
        keras.Input((8, 8, 3)),
        augment,
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2),
    ])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    seen = []
    original = augment.layers[1].call

    def spy(inputs, training=None):
        out = original(inputs, training=training)
        seen.append(bool(training if training is not None else augment.layers[1].training))
        return out

    augment.layers[1].call = spy
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert seen and all(seen)
    seen.clear()
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))
    assert seen and not any(seen)


def test_tf_keras_2_configs_without_data_format_load():
    configs = {
        "RandomFlip": {"mode": "horizontal", "seed": None},
        "RandomRotation": {
            "factor": 0.2, "fill_mode": "nearest", "fill_value": 0.0,
            "interpolation": "bilinear", "seed": 3,
        },
        "RandomZoom": {
            "height_factor": 0.2, "width_factor": None, "fill_mode": "reflect",
            "fill_value": 0.0, "interpolation": "bilinear", "seed": None,
        },
        "RandomTranslation": {
            "height_factor": 0.2, "width_factor": 0.1, "fill_mode": "reflect",
            "fill_value": 0.0, "interpolation": "bilinear", "seed": None,
        },
        "RandomContrast": {"factor": 0.2, "seed": None},
        "RandomBrightness": {"factor": 0.2, "value_range": (0, 255), "seed": None},
    }
    for name, config in configs.items():
        layer = getattr(keras.layers, name).from_config(
            {"name": name.lower(), "trainable": True, "dtype": "float32", **config}
        )
        assert layer.data_format == "channels_last"
        assert layer(torch.zeros(1, 4, 4, 3), training=True).shape == (1, 4, 4, 3)
