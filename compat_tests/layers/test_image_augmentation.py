"""Augmentation layers against Keras 3 with deterministic parameters (equal factor bounds)."""

import json

import keras
import numpy as np
import pytest

import kerasish

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["bilinear", "nearest"]


def _both(name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs), getattr(kerasish.layers, name)(
        *args, **kwargs
    )


def _assert_same(name, x, *args, training=True, atol=1e-4, **kwargs):
    theirs, ours = _both(name, *args, **kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x, training=training))
    received = ours(x, training=training).detach().numpy()
    assert received.dtype == expected.dtype
    assert received.shape == expected.shape
    np.testing.assert_allclose(received, expected, atol=atol, rtol=0)


@pytest.fixture
def images(rng):
    return rng.uniform(0, 255, (2, 7, 9, 3)).astype("float32")


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("factor", [(0.25, 0.25), (0.1, 0.1), (-0.37, -0.37)])
def test_rotation_matches(images, fill_mode, interpolation, factor):
    _assert_same(
        "RandomRotation", images, factor, fill_mode=fill_mode,
        interpolation=interpolation, fill_value=3.0,
    )


def test_quarter_turn_is_exact(rng):
    square = rng.uniform(0, 1, (1, 5, 5, 2)).astype("float32")
    out = kerasish.layers.RandomRotation((0.25, 0.25))(square, training=True).numpy()
    np.testing.assert_allclose(out, np.rot90(square, k=1, axes=(1, 2)), atol=1e-5)
    _assert_same("RandomRotation", square, (0.25, 0.25), atol=1e-5)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("factors", [((-0.3, -0.3), None), ((0.4, 0.4), (-0.2, -0.2))])
def test_zoom_matches(images, fill_mode, interpolation, factors):
    _assert_same(
        "RandomZoom", images, *factors, fill_mode=fill_mode,
        interpolation=interpolation, fill_value=-1.0,
    )


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_translation_matches(images, fill_mode, interpolation):
    _assert_same(
        "RandomTranslation", images, (0.2, 0.2), (-0.35, -0.35), fill_mode=fill_mode,
        interpolation=interpolation, fill_value=7.0,
    )


@pytest.mark.parametrize("name,args", [
    ("RandomRotation", ((0.1, 0.1),)),
    ("RandomZoom", ((-0.3, -0.3), (0.2, 0.2))),
    ("RandomTranslation", ((0.25, 0.25), (0.1, 0.1))),
])
def test_channels_first_unbatched_and_integer_inputs(rng, name, args):
    batch = rng.uniform(0, 255, (2, 3, 6, 8)).astype("float32")
    _assert_same(name, batch, *args, data_format="channels_first")
    _assert_same(name, batch[0], *args, data_format="channels_first")
    _assert_same(name, batch.astype("uint8").transpose(0, 2, 3, 1), *args)
    _assert_same(name, batch.astype("int32")[0].transpose(1, 2, 0), *args)


@pytest.mark.parametrize("name,args", [
    ("RandomFlip", ()),
    ("RandomRotation", (0.2,)),
    ("RandomZoom", (0.2,)),
    ("RandomTranslation", (0.2, 0.1)),
])
def test_inference_casts_and_passes_through(rng, name, args):
    x = rng.integers(0, 255, (2, 5, 6, 3)).astype("uint8")
    _assert_same(name, x, *args, training=False, atol=0)
    _assert_same(name, x.astype("float32"), *args, training=False, atol=0)


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomFlip", (), {"mode": "vertical", "seed": 3}),
    ("RandomRotation", (0.1,), {"fill_mode": "constant", "fill_value": 2.0, "seed": 1}),
    ("RandomRotation", ((-0.2, 0.3),), {"interpolation": "nearest"}),
    ("RandomZoom", (0.2,), {"seed": 5}),
    ("RandomZoom", ((-0.1, 0.3), (0.2, -0.4)), {"fill_mode": "wrap"}),
    ("RandomTranslation", (0.2, (0.1, -0.3)), {"data_format": "channels_first"}),
])
def test_configs_load_both_ways(name, args, kwargs):
    theirs, ours = _both(name, *args, **kwargs)
    assert ours.get_config() == theirs.get_config() | {"dtype": ours.get_config()["dtype"]}
    back = getattr(keras.layers, name).from_config(ours.get_config())
    assert back.get_config() == theirs.get_config()
    again = getattr(kerasish.layers, name).from_config(theirs.get_config())
    assert again.get_config() == ours.get_config()


@pytest.mark.parametrize("name,args", [
    ("RandomRotation", (1.5,)),
    ("RandomRotation", ((0.1, 0.2, 0.3),)),
    ("RandomRotation", ("a",)),
    ("RandomZoom", (-1.0,)),
    ("RandomZoom", ((0.1, 1.2),)),
    ("RandomZoom", (0.1, "x")),
    ("RandomTranslation", (1.1, 0.1)),
    ("RandomTranslation", (0.1, (0.1,))),
])
def test_bad_factors_raise_like_keras(name, args):
    with pytest.raises(ValueError) as theirs:
        getattr(keras.layers, name)(*args)
    with pytest.raises(ValueError) as ours:
        getattr(kerasish.layers, name)(*args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [{"fill_mode": "mirror"}, {"interpolation": "bicubic"}])
def test_unsupported_resampling_raises_not_implemented_like_keras(kwargs):
    with pytest.raises(NotImplementedError):
        keras.layers.RandomRotation(0.1, **kwargs)
    with pytest.raises(NotImplementedError, match=list(kwargs.values())[0]):
        kerasish.layers.RandomRotation(0.1, **kwargs)


def test_flip_outputs_are_input_or_its_flip_as_in_keras(rng):
    x = rng.uniform(0, 1, (64, 4, 5, 2)).astype("float32")
    for mode, axes in [("horizontal", (2,)), ("vertical", (1,)),
                       ("horizontal_and_vertical", (1, 2))]:
        for library in (keras, kerasish):
            out = keras.ops.convert_to_numpy(library.layers.RandomFlip(mode)(x, training=True))
            same = np.all(out == x, axis=(1, 2, 3))
            flipped = np.all(out == np.flip(x, axis=axes), axis=(1, 2, 3))
            assert np.all(same | flipped) and same.any() and flipped.any()


def test_augmentation_model_shapes_match(rng):
    def build(lib):
        return lib.Sequential([
            lib.Input((8, 8, 3)),
            lib.layers.RandomFlip("horizontal"),
            lib.layers.RandomRotation(0.1),
            lib.layers.RandomZoom(0.1),
            lib.layers.RandomTranslation(0.1, 0.1),
        ])

    theirs, ours = build(keras), build(kerasish)
    assert ours.output_shape == theirs.output_shape
    x = rng.uniform(0, 255, (3, 8, 8, 3)).astype("float32")
    np.testing.assert_array_equal(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


@pytest.mark.parametrize("factor", [(-0.2, 0.2), (-0.5, 0.5), 0.0])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_contrast_matches(images, factor, data_format):
    _assert_same("RandomContrast", images, factor, data_format=data_format, atol=1e-4)
    _assert_same("RandomContrast", images[0], factor, data_format=data_format, atol=1e-4)
    _assert_same("RandomContrast", images.astype("uint8"), factor, data_format=data_format)
    _assert_same(
        "RandomContrast", images / 255, factor, value_range=(0, 1), data_format=data_format
    )


@pytest.mark.parametrize("factor", [(0.1, 0.1), (-0.3, -0.3)])
def test_brightness_matches(images, factor):
    _assert_same("RandomBrightness", images, factor)
    _assert_same("RandomBrightness", images[0], factor)
    _assert_same("RandomBrightness", images / 255, factor, value_range=(1, 0))
    # Integer images: Keras truncates the delta to their dtype and wraps before clipping.
    _assert_same("RandomBrightness", images.astype("uint8"), factor, atol=0)
    _assert_same("RandomBrightness", images.astype("int32"), factor, atol=0)


@pytest.mark.parametrize("name", ["RandomContrast", "RandomBrightness"])
def test_colour_inference_keeps_integer_dtype_like_keras(images, name):
    _assert_same(name, images.astype("uint8"), 0.3, training=False, atol=0)
    _assert_same(name, images.astype("float64"), 0.3, training=False, atol=0)


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomContrast", (0.3,), {}),
    ("RandomContrast", ((0.1, 0.4),), {"value_range": (0, 1), "seed": 2}),
    ("RandomContrast", (0.2,), {"data_format": "channels_first"}),
    ("RandomBrightness", (0.3,), {}),
    ("RandomBrightness", ((-0.1, 0.4),), {"value_range": (1, 0), "seed": 4}),
])
def test_colour_configs_load_both_ways(name, args, kwargs):
    test_configs_load_both_ways(name, args, kwargs)


@pytest.mark.parametrize("name,args,kwargs", [
    ("RandomContrast", (1.5,), {}),
    ("RandomContrast", (-0.1,), {}),
    ("RandomContrast", ((0.1,),), {}),
    ("RandomBrightness", (-1.1,), {}),
    ("RandomBrightness", ("a",), {}),
    ("RandomBrightness", (0.1,), {"value_range": 3}),
    ("RandomBrightness", (0.1,), {"value_range": (0, 1, 2)}),
])
def test_colour_bad_arguments_raise_like_keras(name, args, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(keras.layers, name)(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(kerasish.layers, name)(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_saved_augmentation_model_loads_both_ways(tmp_path, rng):
    ours = kerasish.Sequential([
        kerasish.Input((8, 8, 3)),
        kerasish.layers.RandomFlip("horizontal", seed=1),
        kerasish.layers.RandomRotation(0.1, fill_mode="constant"),
        kerasish.layers.RandomZoom(0.1, 0.2),
        kerasish.layers.RandomTranslation(0.1, 0.1),
        kerasish.layers.RandomContrast(0.2),
        kerasish.layers.RandomBrightness(0.2),
        kerasish.layers.Conv2D(2, 3),
    ])
    x = rng.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    for mine, keras_layer in zip(ours.layers[:-1], theirs.layers):  # JSON: tuples to lists
        expected = json.loads(json.dumps(mine.get_config()))
        expected["dtype"] = keras_layer.get_config()["dtype"]
        assert json.loads(json.dumps(keras_layer.get_config())) == expected
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        ours.predict(x, verbose=0), atol=1e-4, rtol=0,
    )
    theirs.save(tmp_path / "theirs.keras")
    again = kerasish.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_integer_functional_inputs_give_keras_dtypes():
    def outputs(lib):
        inputs = lib.Input((4, 4, 3), dtype="uint8")
        layers = [
            lib.layers.RandomFlip(),
            lib.layers.RandomRotation(0.1),
            lib.layers.RandomContrast(0.1),
            lib.layers.RandomBrightness(0.1),
        ]
        model = lib.Model(inputs, [layer(inputs) for layer in layers])
        symbolic = [str(t.dtype).replace("torch.", "") for t in model.outputs]
        eager = model.predict(np.zeros((2, 4, 4, 3), "uint8"), verbose=0)
        return symbolic, [str(np.asarray(o).dtype) for o in eager]

    assert outputs(kerasish) == outputs(keras)
