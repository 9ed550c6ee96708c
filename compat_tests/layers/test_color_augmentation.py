"""Colour augmentation layers against Keras 3 with deterministic settings."""

import json

import keras
import numpy as np
import pytest

import kerasish


def _both(name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs), getattr(kerasish.layers, name)(
        *args, **kwargs
    )


def _assert_same(name, x, *args, training=True, atol=1e-5, **kwargs):
    theirs, ours = _both(name, *args, **kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x, training=training))
    received = ours(x, training=training).detach().numpy()
    assert received.dtype == expected.dtype
    assert received.shape == expected.shape
    np.testing.assert_allclose(received, expected, atol=atol, rtol=0)


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, (2, 5, 6, 3)).astype("float32")


CASES = [
    ("RandomGrayscale", (1.0,), {}),
    ("RandomGrayscale", (0.0,), {}),
    ("RandomInvert", ((1.0, 1.0),), {}),
    ("RandomInvert", ((0.0, 0.0),), {}),
    ("RandomInvert", ((1.0, 1.0),), {"value_range": (0, 300)}),
    ("Solarization", (), {}),
    ("Solarization", (), {"value_range": (0, 300)}),
    ("Solarization", (0.0, 0.0), {"value_range": (-10, 500)}),
    ("RandomPosterization", ((3, 3),), {}),
    ("RandomPosterization", ((1, 1),), {}),
    ("RandomPosterization", ((8, 8),), {}),
    ("RandomPosterization", ((5, 5),), {"value_range": (0, 300)}),
]


@pytest.mark.parametrize("name,args,kwargs", CASES)
def test_deterministic_settings_match(images, name, args, kwargs):
    _assert_same(name, images, *args, **kwargs)
    _assert_same(name, images[0], *args, **kwargs)
    _assert_same(name, images.astype("uint8"), *args, **kwargs)
    _assert_same(name, images.astype("int32"), *args, **kwargs)
    _assert_same(name, images.astype("float64"), *args, **kwargs)


@pytest.mark.parametrize("name,args,kwargs", CASES)
def test_channels_first_matches(images, name, args, kwargs):
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    _assert_same(name, first, *args, data_format="channels_first", **kwargs)
    _assert_same(name, first[0], *args, data_format="channels_first", **kwargs)
    _assert_same(name, first.astype("uint8"), *args, data_format="channels_first", **kwargs)


@pytest.mark.parametrize("name,args,kwargs", CASES)
def test_inference_matches_keras(images, name, args, kwargs):
    for x in (images, images.astype("uint8"), images.astype("float64"), images[0]):
        _assert_same(name, x, *args, training=False, atol=0, **kwargs)


def test_grayscale_one_channel_and_unit_range(images):
    _assert_same("RandomGrayscale", images[..., :1], 1.0)
    _assert_same("RandomInvert", images / 255, (1.0, 1.0), value_range=(0, 1))
    _assert_same("Solarization", images / 255, value_range=(0, 1))
    _assert_same("RandomPosterization", images / 255, (2, 2), value_range=(0, 1))


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomGrayscale", (0.3,), {"seed": 3}),
    ("RandomGrayscale", (), {"data_format": "channels_first"}),
    ("RandomInvert", (0.4,), {"value_range": (0, 1), "seed": 1}),
    ("RandomInvert", ((0.2, 0.7),), {"data_format": "channels_first"}),
    ("Solarization", (0.2, (0.1, 0.6)), {"value_range": (1, 0), "seed": 5}),
    ("Solarization", (), {}),
    ("RandomPosterization", (4,), {}),
    ("RandomPosterization", ((6, 2),), {"value_range": (0, 1), "seed": 2}),
])
def test_configs_load_both_ways(name, args, kwargs):
    def plain(layer):
        config = json.loads(json.dumps(layer.get_config()))  # JSON: tuples to lists
        config.pop("name")
        config.pop("dtype")
        return config

    theirs, ours = _both(name, *args, **kwargs)
    assert plain(ours) == plain(theirs)
    assert plain(getattr(kerasish.layers, name).from_config(theirs.get_config())) == plain(theirs)
    assert plain(getattr(keras.layers, name).from_config(ours.get_config())) == plain(theirs)


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomGrayscale", (1.5,), {}),
    ("RandomGrayscale", (-0.1,), {}),
    ("RandomInvert", (1.5,), {}),
    ("RandomInvert", ((0.1,),), {}),
    ("Solarization", (1.5,), {}),
    ("Solarization", (0.1, (0.1, 0.2, 0.3)), {}),
    ("Solarization", ("a",), {}),
    ("Solarization", (0.1,), {"value_range": 3}),
    ("RandomPosterization", (9,), {}),
    ("RandomPosterization", (0,), {}),
    ("RandomPosterization", (3,), {"value_range": (0, 1, 2)}),
])
def test_bad_arguments_raise_like_keras(name, args, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(keras.layers, name)(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(kerasish.layers, name)(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name,kwargs", [
    ("AutoContrast", {}),
    ("AutoContrast", {"value_range": (0, 300)}),
    ("Equalization", {}),
    ("Equalization", {"bins": 16}),
    ("Equalization", {"value_range": (-10, 300), "bins": 64}),
])
@pytest.mark.parametrize("training", [True, False])
def test_deterministic_layers_match(images, name, kwargs, training):
    low_contrast = images * 0.3 + 40
    for x in (low_contrast, low_contrast[0], low_contrast.astype("uint8"),
              low_contrast.astype("float64"), images.astype("int32")):
        _assert_same(name, x, training=training, atol=1e-4, **kwargs)
    first = np.ascontiguousarray(low_contrast.transpose(0, 3, 1, 2))
    _assert_same(name, first, training=training, data_format="channels_first", atol=1e-4,
                 **kwargs)
    _assert_same(name, first[0].astype("uint8"), training=training,
                 data_format="channels_first", atol=1e-4, **kwargs)


def test_constant_images_match(images):
    flat = np.full((2, 3, 4, 3), 7.0, "float32")
    _assert_same("AutoContrast", flat)
    _assert_same("Equalization", flat)
    _assert_same("Equalization", images / 255, value_range=(0, 1))
    _assert_same("AutoContrast", images / 255, value_range=(0, 1))


@pytest.mark.parametrize("name,kwargs", [
    ("AutoContrast", {"value_range": (1, 0)}),
    ("AutoContrast", {}),
    ("Equalization", {"bins": 32, "data_format": "channels_first"}),
    ("Equalization", {"value_range": (0, 1)}),
])
def test_deterministic_configs_load_both_ways(name, kwargs):
    test_configs_load_both_ways(name, (), kwargs)


def test_bad_value_range_raises_like_keras():
    # Keras 3.15's Equalization raises AttributeError here (it lacks the message attribute);
    # kerasish raises AutoContrast's ValueError for both.
    test_bad_arguments_raise_like_keras("AutoContrast", (), {"value_range": 3})
    with pytest.raises(ValueError, match="value_range=3"):
        kerasish.layers.Equalization(value_range=3)


HSV_CASES = [
    ("RandomHue", ((1.0, 1.0),), {}),  # +-1/2 turn: the same hue either way
    ("RandomHue", ((0.0, 0.0),), {"value_range": (0, 300)}),
    ("RandomHue", ((1.0, 1.0),), {"value_range": (255, 0)}),
    ("RandomSaturation", ((0.5, 0.5),), {}),
    ("RandomSaturation", ((0.8, 0.8),), {"value_range": (0, 1)}),
    ("RandomSaturation", ((0.0, 0.0),), {}),
    ("RandomSaturation", ((-0.3, -0.3),), {}),
    ("RandomColorDegeneration", ((0.4, 0.4),), {}),
    ("RandomColorDegeneration", ((1.0, 1.0),), {"value_range": (0, 200)}),
    ("RandomColorDegeneration", ((-0.5, -0.5),), {}),
    ("RandomSharpness", ((0.9, 0.9),), {}),
    ("RandomSharpness", ((0.1, 0.1),), {"value_range": (0, 1)}),
    ("RandomSharpness", ((0.0, 0.0),), {"value_range": (-5, 300)}),
    ("RandomGaussianBlur", ((1.0, 1.0), 3, (1.0, 1.0)), {}),
    ("RandomGaussianBlur", ((1.0, 1.0), 5, (0.7, 0.7)), {"value_range": (0, 1)}),
    ("RandomGaussianBlur", ((0.0, 0.0), 3, (0.5, 0.5)), {}),
    ("RandomGaussianBlur", ((1.0, 1.0), 3, (0.3, 0.3)), {"value_range": (0, 100)}),
    ("RandomErasing", ((1.0, 1.0), (1.0, 1.0), 7.0), {}),  # the whole image
    ("RandomErasing", ((1.0, 1.0), (1.0, 1.0), 500), {"value_range": (0, 300)}),
    ("RandomErasing", ((0.0, 0.0), (0.1, 0.5), 7.0), {}),
    ("RandomErasing", ((1.0, 1.0), (0.0, 0.0), 7.0), {}),  # an empty rectangle
]


@pytest.mark.parametrize("name,args,kwargs", HSV_CASES)
def test_hsv_and_blend_layers_match(images, name, args, kwargs):
    # A half-turn hue shift is drawn as +0.5 or -0.5 (different signs in the two libraries):
    # the same hue up to float32 rounding, a few 1e-6 relative on the 0-255 scale.
    atol = 1e-3 if name == "RandomHue" and args == ((1.0, 1.0),) else 1e-4
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    with_grey = images.copy()
    with_grey[0, 0, 0] = 80.0  # r == g == b: zero saturation, hue 0
    with_grey[0, 0, 1] = 0.0
    for x in (with_grey, images[0], images.astype("float64"), images / 255):
        _assert_same(name, x, *args, atol=atol, **kwargs)
    _assert_same(name, first, *args, data_format="channels_first", atol=atol, **kwargs)
    _assert_same(name, first[0], *args, data_format="channels_first", atol=atol, **kwargs)
    if name != "RandomSaturation":  # Keras' rgb_to_hsv rejects integer images
        _assert_same(name, images.astype("uint8"), *args, atol=atol, **kwargs)
    for x in (images, images.astype("uint8"), images.astype("float64")):
        _assert_same(name, x, *args, training=False, atol=0, **kwargs)


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomHue", (0.3,), {"seed": 3}),
    ("RandomHue", ((0.1, 0.5),), {"value_range": (1, 0), "data_format": "channels_first"}),
    ("RandomSaturation", (0.4,), {"value_range": (0, 1)}),
    ("RandomSaturation", ((0.6, 0.2),), {"seed": 9}),
    ("RandomColorDegeneration", (0.3,), {}),
    ("RandomColorDegeneration", ((0.1, 0.9),), {"value_range": (1, 0), "seed": 1}),
    ("RandomSharpness", (0.3,), {"data_format": "channels_first"}),
    ("RandomSharpness", ((0.2, 0.7),), {"value_range": (1, 0), "seed": 1}),
    ("RandomGaussianBlur", (), {}),
    ("RandomErasing", (), {}),
    ("RandomErasing", (0.5, (0.1, 0.4), (1, 2, 3)), {"value_range": (0, 1), "seed": 3,
                                                     "data_format": "channels_first"}),
    ("RandomGaussianBlur", (0.5, (3, 5), (0.2, 0.9)), {"value_range": (0, 1), "seed": 3,
                                                      "data_format": "channels_first"}),
])
def test_hsv_configs_load_both_ways(name, args, kwargs):
    test_configs_load_both_ways(name, args, kwargs)


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomHue", (1.5,), {}),
    ("RandomHue", ((0.1,),), {}),
    ("RandomSaturation", (1.5,), {}),
    ("RandomSaturation", (0.5,), {"value_range": 3}),
    ("RandomColorDegeneration", (-1.5,), {}),
    ("RandomColorDegeneration", (0.5,), {"value_range": (0, 1, 2)}),
    ("RandomSharpness", (1.5,), {}),
    ("RandomSharpness", (0.5,), {"value_range": "a"}),
    ("RandomGaussianBlur", (1.5,), {}),
    ("RandomGaussianBlur", (0.5, 4), {}),
    ("RandomGaussianBlur", (0.5, (3, 4)), {}),
    ("RandomGaussianBlur", (0.5, (3,)), {}),
    ("RandomGaussianBlur", (0.5, 3, 1.5), {}),
    ("RandomGaussianBlur", (0.5, 3, "a"), {}),
    ("RandomErasing", (1.5,), {}),
    ("RandomErasing", (0.5, (0.1,)), {}),
    ("RandomErasing", (0.5, 1.5), {}),
])


def test_hsv_bad_arguments_raise_like_keras(name, args, kwargs):
    test_bad_arguments_raise_like_keras(name, args, kwargs)


def _keras_shear(x, shear, **kwargs):
    """Keras 3's own shear of ``x`` by explicit ``(batch, 2)`` factors."""
    layer = keras.layers.RandomShear(**kwargs)
    images = keras.ops.convert_to_tensor(x)
    out = layer._transform_images(images, {"shear_factor": keras.ops.convert_to_tensor(shear)},
                                  layer.interpolation)
    return keras.ops.convert_to_numpy(out)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_shear_matrix_matches_keras(images, fill_mode, interpolation, data_format):
    from kerasish.layers.color_augmentation import shear_matrix
    from kerasish.layers.image_augmentation import affine_transform

    x = images if data_format == "channels_last" else np.ascontiguousarray(
        images.transpose(0, 3, 1, 2))
    shear = np.array([[0.3, -0.2], [-0.45, 0.1]], "float32")
    kwargs = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=2.0,
                  data_format=data_format)
    expected = _keras_shear(x, shear, **kwargs)
    import torch
    received = affine_transform(torch.from_numpy(x), shear_matrix(torch.from_numpy(shear)),
                                interpolation, fill_mode, 2.0, data_format).numpy()
    np.testing.assert_allclose(received, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("x_factor,y_factor", [((0.3, 0.3), 0.0), ((0.2, 0.2), (0.4, 0.4))])
def test_shear_layer_draws_keras_outputs(images, x_factor, y_factor):
    """The sign is random in both libraries: each image must be one of Keras' two shears."""
    batch = np.repeat(images[:1], 12, axis=0)
    shear = np.array([[x_factor[0], y_factor[0] if y_factor else 0.0]], "float32")
    plus = _keras_shear(images[:1], shear)[0]
    minus = _keras_shear(images[:1], -shear)[0]
    theirs, ours = _both("RandomShear", x_factor, y_factor)
    signs = set()
    for out in (keras.ops.convert_to_numpy(theirs(batch, training=True)),
                ours(batch, training=True).numpy()):
        for image in out:
            is_plus = np.allclose(image, plus, atol=1e-4, rtol=0)
            assert is_plus or np.allclose(image, minus, atol=1e-4, rtol=0)
            signs.add(is_plus)
    assert signs == {True, False}
    _assert_same("RandomShear", images, (0.0, 0.0), (0.0, 0.0), atol=1e-4)
    _assert_same("RandomShear", images[0], (0.0, 0.0), atol=1e-4)
    for x in (images, images.astype("uint8"), images.astype("float64")):
        _assert_same("RandomShear", x, 0.3, training=False, atol=0)


def test_shear_symmetric_factor_configs_do_not_reload_like_keras():
    # Keras 3.15 stores x_factor=0.3 as (-0.3, 0.3), which its own check then rejects.
    for lib in (keras, kerasish):
        config = lib.layers.RandomShear(0.3).get_config()
        with pytest.raises((TypeError, ValueError), match="input_number=-0.3"):
            lib.layers.RandomShear.from_config(config)


@pytest.mark.parametrize("kwargs", [
    {},
    {"x_factor": (0.1, 0.2), "y_factor": (0.0, 0.4), "fill_mode": "constant", "fill_value": 3.0,
     "interpolation": "nearest", "seed": 5, "data_format": "channels_first"},
])
def test_shear_configs_load_both_ways(kwargs):
    test_configs_load_both_ways("RandomShear", (), kwargs)


@pytest.mark.parametrize("kwargs", [{"x_factor": 1.5}, {"y_factor": (0.1,)}, {"x_factor": "a"}])
def test_shear_bad_factors_raise_like_keras(kwargs):
    test_bad_arguments_raise_like_keras("RandomShear", (), kwargs)


def test_shear_bad_fill_mode_raises_not_implemented_like_keras():
    for lib in (keras, kerasish):
        with pytest.raises(NotImplementedError, match="fill_mode"):
            lib.layers.RandomShear(0.1, fill_mode="mirror")


def test_erasing_per_channel_fill_matches(images):
    _assert_same("RandomErasing", images, (1.0, 1.0), (1.0, 1.0), (10, 300, -4))
    _assert_same("RandomErasing", images[0], (1.0, 1.0), (1.0, 1.0), [1, 2, 3])
    first = np.ascontiguousarray(images.transpose(0, 3, 1, 2))[..., :3]  # width 3, as Keras
    _assert_same("RandomErasing", first, (1.0, 1.0), (1.0, 1.0), (10, 20, 30),
                 data_format="channels_first")
    for lib in (keras, kerasish):
        with pytest.raises(ValueError, match="list of three numbers"):
            lib.layers.RandomErasing(1.0, fill_value=(1, 2))(images, training=True)


JITTER_CASES = [
    {"brightness_factor": (0.1, 0.1)},
    {"contrast_factor": (-0.3, 0.3)},  # sorted to (-0.3, 0.3): exactly 1.3
    {"saturation_factor": (0.7, 0.7), "value_range": (0, 1)},
    {"hue_factor": (0.0, 0.0)},
    {"brightness_factor": (-0.2, -0.2), "contrast_factor": (-0.5, 0.5),
     "saturation_factor": (0.3, 0.3), "hue_factor": (0.0, 0.0)},
]


@pytest.mark.parametrize("kwargs", JITTER_CASES)
def test_color_jitter_matches(images, kwargs):
    x = images / 255 if kwargs.get("value_range") == (0, 1) else images
    for y in (x, x[0], x.astype("float64")):
        _assert_same("RandomColorJitter", y, atol=1e-4, **kwargs)
    for y in (x, x.astype("uint8"), x.astype("float64")):
        _assert_same("RandomColorJitter", y, training=False, atol=0, **kwargs)
    if "saturation_factor" not in kwargs and "hue_factor" not in kwargs:
        _assert_same("RandomColorJitter", x.astype("uint8"), atol=1e-4, **kwargs)
    # Keras' inner layers ignore channels_first (they use the default format); so do ours.
    first = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    if "hue_factor" not in kwargs and "saturation_factor" not in kwargs:
        _assert_same("RandomColorJitter", first, data_format="channels_first", atol=1e-4,
                     **kwargs)


@pytest.mark.parametrize("kwargs", [
    {},
    {"value_range": (0, 1), "brightness_factor": 0.2, "contrast_factor": [0.1, 0.4],
     "saturation_factor": 0.3, "hue_factor": 0.2, "seed": 4, "data_format": "channels_first"},
])
def test_color_jitter_configs_load_both_ways(kwargs):
    test_configs_load_both_ways("RandomColorJitter", (), kwargs)


def test_mix_up_arithmetic_matches_keras_for_given_draws(images):
    import torch

    weight = np.array([0.3, 0.9], "float32")
    order = np.array([1, 0], "int64")
    transformation = {"mix_weight": keras.ops.convert_to_tensor(weight),
                      "permutation_order": keras.ops.convert_to_tensor(order)}
    labels = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    theirs = keras.layers.MixUp()
    ours = kerasish.layers.MixUp()
    for x in (images, images.astype("uint8")):
        expected = keras.ops.convert_to_numpy(theirs.transform_images(
            keras.ops.convert_to_tensor(x), transformation, training=True))
        received = ours._mix(torch.from_numpy(x), torch.from_numpy(weight),
                             torch.from_numpy(order)).numpy()
        np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
    expected = keras.ops.convert_to_numpy(theirs.transform_labels(
        keras.ops.convert_to_tensor(labels), transformation, training=True))
    ours_dict = kerasish.layers.MixUp(alpha=0.5, seed=2)(
        {"images": images, "labels": labels}, training=True)
    mixed = ours_dict["labels"].numpy()
    np.testing.assert_allclose(mixed.sum(1), 1.0, atol=1e-6)  # convex label blends
    np.testing.assert_allclose(expected, [[0.3, 0.7], [0.1, 0.9]], atol=1e-6)
    received = ours._mix_labels(torch.from_numpy(labels), torch.from_numpy(weight),
                                torch.from_numpy(order)).numpy()
    np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)


def test_mix_up_inference_dict_and_config_match_keras(images):
    labels = np.eye(2, dtype="float32")
    for x in (images, images.astype("uint8"), images.astype("float64"), images[0]):
        _assert_same("MixUp", x, training=False, atol=0)
    theirs, ours = _both("MixUp", alpha=0.4, seed=3)
    expected = theirs({"images": images, "labels": labels}, training=False)
    received = ours({"images": images, "labels": labels}, training=False)
    assert set(received) == set(expected) == {"images", "labels"}
    for key in expected:
        np.testing.assert_array_equal(received[key].numpy(),
                                      keras.ops.convert_to_numpy(expected[key]))
    # A batch of one copy mixes with itself in both libraries.
    _assert_same("MixUp", images[:1], training=True, atol=1e-4)
    test_configs_load_both_ways("MixUp", (), {"alpha": 0.4, "seed": 3})
    test_configs_load_both_ways("MixUp", (), {"data_format": "channels_first"})
