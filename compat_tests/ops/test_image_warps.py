"""``keras.ops.image.perspective_transform``/``elastic_transform``/``scale_and_translate``/
``ssim`` side by side with Keras 3 on its torch backend: same inputs, bit-identical values and
the same dtypes, for both data formats, batched and single images."""

import keras
import numpy as np
import pytest
import torch

import kerasish

RNG = np.random.default_rng(11)
IMG = RNG.uniform(0, 255, (2, 9, 11, 3)).astype("float32")
CF = np.ascontiguousarray(IMG.transpose(0, 3, 1, 2))
START = np.array([[0, 0], [10, 0], [0, 8], [10, 8]], "float32")
END = np.array([[[1.5, 0.3], [9.2, 1.1], [0.4, 7.5], [10.8, 8.9]],
                [[0.0, 0.0], [11.0, 1.0], [-1.0, 8.0], [10.0, 7.0]]], "float32")


def _same(expected, received, atol=0.0):
    expected = keras.ops.convert_to_numpy(expected)
    received = received.numpy()
    assert received.dtype == expected.dtype
    assert received.shape == expected.shape
    np.testing.assert_allclose(received, expected, atol=atol, rtol=0)


def _both(name, *args, **kwargs):
    return (getattr(keras.ops.image, name)(*args, **kwargs),
            getattr(kerasish.ops.image, name)(*args, **kwargs))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_perspective_transform_matches(interpolation):
    kwargs = {"interpolation": interpolation, "fill_value": 3.0}
    _same(*_both("perspective_transform", IMG, np.stack([START, START]), END, **kwargs))
    _same(*_both("perspective_transform", IMG[0], START, END[0], **kwargs))
    _same(*_both("perspective_transform", CF, START, END[0], data_format="channels_first",
                 **kwargs))
    _same(*_both("perspective_transform", IMG.astype("uint8"), START, END[0], **kwargs))
    _same(*_both("perspective_transform", IMG.astype("float64"), np.stack([START, START]), END,
                 **kwargs))


@pytest.mark.parametrize("args,kwargs", [
    ((IMG[0, 0], START, END[0]), {}),
    ((IMG, START[:3], END[0, :3]), {}),
    ((IMG, START, END), {}),
    ((IMG, START, END[0]), {"interpolation": "bicubic"}),
])
def test_perspective_transform_errors_match(args, kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.ops.image.perspective_transform(*args, **kwargs)
    with pytest.raises(ValueError) as ours:
        kerasish.ops.image.perspective_transform(*args, **kwargs)
    # The text before the received shapes (Keras prints ``torch.Size([...])`` there).
    assert str(ours.value).split("Received")[0] == str(theirs.value).split("Received")[0]


def _elastic(images, **kwargs):
    """Both libraries draw their noise from torch's global generator here (Keras ignores the
    seed off the meta device), so one global seed gives both the same fields."""
    torch.manual_seed(7)
    expected = keras.ops.image.elastic_transform(images, **kwargs)
    torch.manual_seed(7)
    received = kerasish.ops.image.elastic_transform(images, **kwargs)
    _same(expected, received)


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest", "wrap", "mirror"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_elastic_transform_matches_for_the_same_noise(fill_mode, interpolation):
    _elastic(IMG, alpha=3.0, sigma=1.3, fill_mode=fill_mode, interpolation=interpolation,
             fill_value=2.0)


def test_elastic_transform_defaults_layouts_and_dtypes_match():
    _elastic(IMG)
    _elastic(IMG[0], alpha=5.0, sigma=0.7)
    _elastic(IMG[:1], alpha=5.0, sigma=0.7)
    _elastic(CF, alpha=4.0, sigma=1.1, data_format="channels_first")
    _elastic(CF.astype("float64"), data_format="channels_first")


def test_elastic_transform_errors_match():
    for kwargs in ({"interpolation": "cubic"}, {"fill_mode": "edge"}):
        with pytest.raises(ValueError) as theirs:
            keras.ops.image.elastic_transform(IMG, **kwargs)
        with pytest.raises(ValueError) as ours:
            kerasish.ops.image.elastic_transform(IMG, **kwargs)
        assert str(ours.value).split(" Expected")[0] == str(theirs.value).split(" Expected")[0]
        assert str(ours.value).split("Received")[1] == str(theirs.value).split("Received")[1]
    with pytest.raises(ValueError) as theirs:
        keras.ops.image.elastic_transform(IMG[0, 0])
    with pytest.raises(ValueError) as ours:
        kerasish.ops.image.elastic_transform(IMG[0, 0])
    assert str(ours.value).split("images.shape")[0] == str(theirs.value).split("images.shape")[0]
    with pytest.raises(NotImplementedError):
        keras.ops.image.elastic_transform(IMG.astype("uint8"))
    with pytest.raises(NotImplementedError, match="integer images"):
        kerasish.ops.image.elastic_transform(IMG.astype("uint8"))


@pytest.mark.parametrize("method", ["linear", "bilinear", "cubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
def test_scale_and_translate_matches(method, antialias):
    for scale, translation, shape in [
        ([0.6, 1.7], [0.5, -1.2], (2, 5, 19, 3)),
        ([2.0, 2.0], [-0.5, -0.5], (2, 18, 22, 3)),
    ]:
        scale = np.array(scale, "float32")
        translation = np.array(translation, "float32")
        _same(*_both("scale_and_translate", IMG, shape, scale, translation, (1, 2), method,
                     antialias))


def test_scale_and_translate_integers_axes_and_errors_match():
    _same(*_both("scale_and_translate", IMG.astype("uint8"), (2, 5, 7, 3), [0.6, 0.6],
                 [0.0, 0.0], (1, 2), "cubic"))
    _same(*_both("scale_and_translate", IMG[0], (4, 11, 6), np.array([0.5, 2.0], "float32"),
                 np.array([0.0, 1.0], "float32"), (0, -1), "linear"))
    with pytest.raises(ValueError) as theirs:
        keras.ops.image.scale_and_translate(IMG, (2, 5, 5, 3), [1.0, 1.0], [0.0, 0.0], (1, 2),
                                            "area")
    with pytest.raises(ValueError) as ours:
        kerasish.ops.image.scale_and_translate(IMG, (2, 5, 5, 3), [1.0, 1.0], [0.0, 0.0],
                                               (1, 2), "area")
    assert str(ours.value).split("Received")[1] == str(theirs.value).split("Received")[1]


def test_ssim_matches():
    a = RNG.uniform(0, 1, (2, 16, 14, 3)).astype("float32")
    b = np.clip(a + RNG.normal(0, 0.1, a.shape), 0, 1).astype("float32")
    _same(*_both("ssim", a, b))
    _same(*_both("ssim", a[0] * 255, b[0] * 255, max_val=255.0, filter_size=5,
                 filter_sigma=0.8, k1=0.02, k2=0.04))
    first = [np.ascontiguousarray(t.transpose(0, 3, 1, 2)) for t in (a, b)]
    _same(*_both("ssim", *first, data_format="channels_first"))
    _same(*_both("ssim", (a * 255).astype("uint8"), (b * 255).astype("uint8"), max_val=255.0))
    _same(*_both("ssim", a.astype("float64"), b))
    with pytest.raises(ValueError) as theirs:
        keras.ops.image.ssim(a[0, 0], b)
    with pytest.raises(ValueError) as ours:
        kerasish.ops.image.ssim(a[0, 0], b)
    assert str(ours.value).split("image1.shape")[0] == str(theirs.value).split("image1.shape")[0]


def test_ops_on_keras_tensors_build_graph_nodes():
    inputs = kerasish.Input((9, 11, 3))
    warped = kerasish.ops.image.perspective_transform(inputs, START, END[0])
    scaled = kerasish.ops.image.scale_and_translate(
        inputs, (None, 18, 22, 3), np.array([2.0, 2.0], "float32"),
        np.array([-0.5, -0.5], "float32"), (1, 2), "linear")
    similarity = kerasish.ops.image.ssim(inputs / 255.0, warped / 255.0, filter_size=3)
    model = kerasish.Model(inputs, [warped, scaled, similarity])
    assert tuple(warped.shape) == (None, 9, 11, 3)
    assert tuple(scaled.shape) == (None, 18, 22, 3)
    assert tuple(similarity.shape) == (None,)
    out = model.predict(IMG, verbose=0)
    np.testing.assert_array_equal(out[0], keras.ops.convert_to_numpy(
        keras.ops.image.perspective_transform(IMG, START, END[0])))
    np.testing.assert_array_equal(out[1], keras.ops.convert_to_numpy(
        keras.ops.image.scale_and_translate(IMG, (2, 18, 22, 3), np.array([2.0, 2.0], "float32"),
                                            np.array([-0.5, -0.5], "float32"), (1, 2),
                                            "linear")))
