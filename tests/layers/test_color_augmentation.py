"""Colour augmentation layers: inference identity, fresh draws in training, seeds, arithmetic."""

import numpy as np
import pytest
import torch

import kerasish as keras

LAYERS = [
    lambda **kw: keras.layers.RandomGrayscale(0.5, **kw),
    lambda **kw: keras.layers.RandomInvert(0.5, **kw),
    lambda **kw: keras.layers.Solarization(0.5, 0.5, **kw),
    lambda **kw: keras.layers.RandomPosterization((1, 8), **kw),
    lambda **kw: keras.layers.RandomHue(0.5, **kw),
    lambda **kw: keras.layers.RandomSaturation(0.5, **kw),
    lambda **kw: keras.layers.RandomColorDegeneration(0.5, **kw),
    lambda **kw: keras.layers.RandomSharpness(0.5, **kw),
    lambda **kw: keras.layers.RandomShear(0.4, 0.4, **kw),
    lambda **kw: keras.layers.RandomGaussianBlur(0.8, 3, (0.3, 2.0), **kw),
    lambda **kw: keras.layers.RandomErasing(0.8, **kw),
]
JITTER = lambda **kw: keras.layers.RandomColorJitter(  # noqa: E731
    brightness_factor=0.2, contrast_factor=0.3, saturation_factor=0.4, hue_factor=0.2, **kw
)
KEEPS_INPUT = LAYERS[:2] + LAYERS[3:-4] + [JITTER]
LAYERS = LAYERS + [JITTER]  # Solarization casts at inference too, as in Keras 3


@pytest.fixture
def images():
    return torch.rand(4, 6, 7, 3, generator=torch.Generator().manual_seed(0)) * 255


@pytest.mark.parametrize("make", KEEPS_INPUT)
def test_inference_returns_input(make, images):
    layer = make()
    assert layer(images) is images
    assert layer(images, training=False) is images
    ints = images.to(torch.uint8)
    assert layer(ints, training=False) is ints
    assert layer(images.double()).dtype == torch.float32
    assert isinstance(layer, torch.nn.Module)


@pytest.mark.parametrize("make", [LAYERS[2], *LAYERS[-5:-1]])
def test_inference_casts_only(make, images):
    layer = make()
    ints = images.to(torch.uint8)
    out = layer(ints)
    assert out.dtype == torch.float32 and torch.equal(out, ints.float())


@pytest.mark.parametrize("make", LAYERS)
def test_training_draws_fresh_parameters_each_call(make, images):
    layer = make()
    batch = images.repeat(8, 1, 1, 1)
    outs = [layer(batch, training=True) for _ in range(2)]
    assert outs[0].shape == batch.shape
    assert not torch.equal(outs[0], outs[1])
    copies = outs[0][0::4]  # eight copies of the first image, each drawn on its own
    assert any(not torch.equal(copies[0], copy) for copy in copies[1:])


@pytest.mark.parametrize("make", LAYERS)
def test_seed_makes_draws_reproducible(make, images):
    batch = images.repeat(4, 1, 1, 1)
    a, b = make(seed=7), make(seed=7)
    first = a(batch, training=True)
    assert torch.equal(first, b(batch, training=True))
    assert not torch.equal(first, a(batch, training=True))


@pytest.mark.parametrize("make", LAYERS)
def test_module_train_mode_turns_augmentation_on(make, images):
    layer = make(seed=1)
    layer.train()
    batch = images.repeat(4, 1, 1, 1)
    assert not torch.equal(layer(batch), batch)


def test_arithmetic():
    pixel = torch.tensor([[[100.0, 50.0, 200.0]]])  # one 1x1 RGB image
    grey = keras.layers.RandomGrayscale(1.0)(pixel, training=True)
    expected = 0.2989 * 100 + 0.587 * 50 + 0.114 * 200
    torch.testing.assert_close(grey, torch.full((1, 1, 3), expected))
    inverted = keras.layers.RandomInvert((1.0, 1.0))(pixel, training=True)
    assert inverted.flatten().tolist() == [155.0, 205.0, 55.0]
    # Threshold 0: every pixel is inverted; addition 0.5 * 255 would then move it, so use 0.
    solar = keras.layers.Solarization(0.0, 0.0)(pixel, training=True)
    assert solar.flatten().tolist() == [155.0, 205.0, 55.0]
    poster = keras.layers.RandomPosterization((2, 2))(pixel, training=True)
    assert poster.flatten().tolist() == [64.0, 0.0, 192.0]  # top two bits kept
    first = keras.layers.RandomGrayscale(1.0, data_format="channels_first")
    planes = torch.tensor([[[10.0]], [[10.0]], [[10.0]]])
    torch.testing.assert_close(first(planes, training=True), planes * (0.2989 + 0.587 + 0.114))


def test_grayscale_rejects_two_channels():
    with pytest.raises(ValueError, match="RandomGrayscale.*expected 3"):
        keras.layers.RandomGrayscale(1.0)(torch.zeros(1, 2, 2, 2), training=True)


def test_rank_error_names_layer():
    with pytest.raises(ValueError, match="RandomInvert"):
        keras.layers.RandomInvert()(torch.zeros(2, 2), training=True)


def test_sequential_with_colour_augmentation_trains_with_fit():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 2, (16,))
    augment = keras.Sequential([
        keras.layers.RandomGrayscale(0.5),
        keras.layers.RandomInvert(0.5, value_range=(0, 1)),
        keras.layers.Solarization(0.1, 0.5, value_range=(0, 1)),
        keras.layers.RandomPosterization(4, value_range=(0, 1)),
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
        seen.append(not torch.equal(out, inputs))
        return out

    augment.layers[1].call = spy
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert seen and any(seen)
    seen.clear()
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))
    assert seen and not any(seen)


def test_auto_contrast_applies_at_inference_and_stretches():
    image = torch.tensor([[[10.0], [20.0]], [[30.0], [50.0]]])  # 2x2, one channel
    layer = keras.layers.AutoContrast()
    expected = [0.0, 63.75, 127.5, 255.0]
    assert layer(image).flatten().tolist() == expected
    assert layer(image, training=False).flatten().tolist() == expected
    flat = torch.full((2, 2, 1), 5.0)
    assert torch.equal(layer(flat), flat)  # 0/0 gives the input back


def test_equalization_training_only_and_batch_histogram():
    layer = keras.layers.Equalization(bins=4)
    image = torch.tensor([0.0, 0.0, 100.0, 255.0]).view(1, 2, 2, 1)
    assert layer(image) is image
    # bins of width 85: counts 2, 1, 0, 1 -> cdf 2, 3, 3, 4; (cdf - 2) * 255 / 2, rounded.
    out = layer(image, training=True).flatten().tolist()
    assert out == [0.0, 0.0, 128.0, 255.0]
    # One histogram for the batch: a second image changes the first one's result.
    pair = torch.cat([image, torch.full((1, 2, 2, 1), 255.0)])
    assert layer(pair, training=True)[0].flatten().tolist() != out


def test_hsv_and_blend_arithmetic():
    pixel = torch.tensor([[[200.0, 100.0, 50.0]]]) / 255  # hue 1/18 of a turn
    half_turn = keras.layers.RandomHue((1.0, 1.0), value_range=(0, 1))(pixel, training=True)
    torch.testing.assert_close(half_turn, torch.tensor([[[50.0, 150.0, 200.0]]]) / 255)
    keep = keras.layers.RandomSaturation((0.5, 0.5), value_range=(0, 1))(pixel, training=True)
    torch.testing.assert_close(keep, pixel, atol=1e-5, rtol=0)
    grey = keras.layers.RandomSaturation((0.0, 0.0))(pixel, training=True)
    torch.testing.assert_close(grey, torch.full((1, 1, 3), 200.0 / 255))  # the value, V
    blend = keras.layers.RandomColorDegeneration((0.5, 0.5))(pixel * 255, training=True)
    luma = 0.2989 * 200 + 0.587 * 100 + 0.114 * 50
    torch.testing.assert_close(blend, (pixel * 255 + luma) / 2)


def test_saturation_rejects_integer_images():
    with pytest.raises(ValueError, match="RandomSaturation.*expected float"):
        keras.layers.RandomSaturation(0.5)(torch.zeros(1, 2, 2, 3, dtype=torch.uint8),
                                           training=True)


def test_sharpness_arithmetic():
    image = torch.zeros(1, 3, 3, 1)
    image[0, 1, 1, 0] = 13.0
    keep = keras.layers.RandomSharpness((0.5, 0.5))(image, training=True)
    torch.testing.assert_close(keep, image)
    smooth = keras.layers.RandomSharpness((0.0, 0.0))(image, training=True)  # the blurred copy
    expected = torch.ones(1, 3, 3, 1)
    expected[0, 1, 1, 0] = 5.0
    torch.testing.assert_close(smooth, expected)


def test_shear_by_whole_pixels_shifts_rows():
    image = torch.arange(12.0).view(1, 3, 4, 1)
    layer = keras.layers.RandomShear((1.0, 1.0), interpolation="nearest", fill_mode="constant",
                                     fill_value=-1.0)
    out = layer(image.repeat(8, 1, 1, 1), training=True)
    # x' = x + y (or x - y): row y moves by y pixels one way or the other.
    right = torch.tensor([[0, 1, 2, 3], [5, 6, 7, -1], [10, 11, -1, -1]], dtype=torch.float32)
    left = torch.tensor([[0, 1, 2, 3], [-1, 4, 5, 6], [-1, -1, 8, 9]], dtype=torch.float32)
    for sheared in out[..., 0]:
        assert torch.equal(sheared, right) or torch.equal(sheared, left)


def test_gaussian_blur_kernel_sums_to_one_inside():
    image = torch.zeros(1, 5, 5, 1)
    image[0, 2, 2, 0] = 1.0
    layer = keras.layers.RandomGaussianBlur((1.0, 1.0), 3, (1.0, 1.0), value_range=(0, 1))
    out = layer(image, training=True)[0, ..., 0]
    torch.testing.assert_close(out.sum(), torch.tensor(1.0))
    g = torch.exp(torch.tensor(-0.5 / (1 + 1e-6) ** 2))
    torch.testing.assert_close(out[2, 1] / out[2, 2], g)  # one step: exp(-1/2 sigma^2)
    torch.testing.assert_close(out[1, 1] / out[2, 2], g * g)
    assert out[0].abs().sum() == 0  # a 3x3 kernel reaches one pixel


def test_erasing_fills_one_rectangle_of_the_drawn_size():
    images = torch.rand(6, 8, 8, 2, generator=torch.Generator().manual_seed(1)) + 1
    layer = keras.layers.RandomErasing((1.0, 1.0), (0.25, 0.25), fill_value=0.0, seed=3)
    out = layer(images, training=True)
    for image in out:
        erased = (image == 0).all(-1)
        assert erased.sum() == 16  # sides sqrt(0.25) * 8 = 4 pixels
        rows, cols = erased.any(1).nonzero(), erased.any(0).nonzero()
        assert rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3
    noise = keras.layers.RandomErasing((1.0, 1.0), (1.0, 1.0), value_range=(0, 1))
    filled = noise(images, training=True)
    assert filled.min() >= 0 and filled.max() <= 1 and not torch.equal(filled, images)


def test_color_jitter_without_factors_only_casts():
    layer = keras.layers.RandomColorJitter()
    ints = torch.arange(12, dtype=torch.uint8).view(2, 2, 3)
    out = layer(ints, training=True)
    assert out.dtype == torch.float32 and torch.equal(out, ints.float())
    assert layer(ints) is ints


def test_mix_up_draws_seeds_and_dicts():
    images = torch.rand(8, 4, 4, 3, generator=torch.Generator().manual_seed(2))
    labels = torch.eye(8)
    a, b = keras.layers.MixUp(seed=5), keras.layers.MixUp(seed=5)
    first = a({"images": images, "labels": labels}, training=True)
    second = b({"images": images, "labels": labels}, training=True)
    assert torch.equal(first["images"], second["images"])
    assert torch.equal(first["labels"], second["labels"])
    again = a(images, training=True)
    assert not torch.equal(again, first["images"])
    torch.testing.assert_close(first["labels"].sum(1), torch.ones(8))
    # Each mixed image is w x_i + (1 - w) x_j with the same (w, j) as its label.
    for i in range(8):
        row = first["labels"][i]
        j = int(torch.argmax(row * (1 - labels[i])) if row[i] < 1 else i)
        w = row[i] if j != i else torch.tensor(1.0)
        torch.testing.assert_close(first["images"][i], w * images[i] + (1 - w) * images[j])
    assert keras.layers.MixUp()(images) is images
    with pytest.raises(NotImplementedError, match="bounding_boxes"):
        keras.layers.MixUp()({"images": images, "bounding_boxes": {}}, training=True)
