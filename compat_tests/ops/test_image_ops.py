"""``keras.ops.image`` side by side with Keras 3 on its torch backend: same images in, same
values and dtypes out, for both data formats, batched and single images, float and int."""

import numpy as np
import pytest
import torch

import kerasish


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """conftest's fixture without Keras' per-test ``gc.collect()``."""
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


RNG = np.random.default_rng(5)
IMG = RNG.random((2, 6, 5, 3)).astype("float32")  # channels_last batch
CF = np.ascontiguousarray(IMG.transpose(0, 3, 1, 2))  # channels_first batch
ONE = IMG[0]
U8 = (IMG * 255).round().astype("uint8")
I32 = (IMG * 100).round().astype("int32")
H16 = IMG.astype("float16")
D64 = IMG.astype("float64")
GREY = IMG[..., :1]
HSV = np.stack([RNG.random((2, 6, 5)) * 1.4 - 0.2, RNG.random((2, 6, 5)), RNG.random((2, 6, 5))],
               -1).astype("float32")
SHEAR = np.array([[1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0.0, 0.0],
                  [0.8, -0.3, 2.0, 0.25, 1.2, -1.5, 0.0, 0.0]], "float32")
VOL = RNG.random((2, 4, 5, 6, 2)).astype("float32")
VOLUME = RNG.standard_normal((4, 5, 3)).astype("float32")
COORDS = np.stack([RNG.uniform(-1.5, 4.5, (6, 2)), RNG.uniform(-1.5, 5.5, (6, 2)),
                   RNG.uniform(-1.0, 3.5, (6, 2))]).astype("float32")
INT_COORDS = np.stack([RNG.integers(-2, 6, (7,)), RNG.integers(-2, 7, (7,)),
                       RNG.integers(-1, 4, (7,))]).astype("int32")

CF_KW = {"data_format": "channels_first"}
CASES = (
    [("rgb_to_grayscale", (x,), {}) for x in (IMG, ONE, U8, I32, H16, D64, GREY)]
    + [("rgb_to_grayscale", (CF,), CF_KW)]
    + [("rgb_to_hsv", (x,), {}) for x in (IMG, ONE, H16, D64, np.zeros_like(IMG))]
    + [("rgb_to_hsv", (CF,), CF_KW), ("hsv_to_rgb", (np.ascontiguousarray(HSV.transpose(0, 3, 1, 2)),), CF_KW)]
    + [("hsv_to_rgb", (x,), {}) for x in (HSV, HSV[0], HSV.astype("float64"))]
    + [("resize", (x, size), {"interpolation": interpolation, "antialias": antialias})
       for x in (IMG, ONE, U8, I32, H16, D64)
       for size in ((3, 4), (9, 7))
       for interpolation in ("bilinear", "nearest", "bicubic")
       for antialias in (False, True)]
    + [("resize", (CF, (4, 3)), {**CF_KW, "interpolation": i}) for i in ("bilinear", "nearest")]
    + [("resize", (x, size), {flag: True, "fill_value": 0.5})
       for x in (IMG, ONE, U8)
       for size in ((3, 6), (8, 2), (4, 4))
       for flag in ("crop_to_aspect_ratio", "pad_to_aspect_ratio")]
    + [("resize", (CF, (3, 6)), {**CF_KW, "pad_to_aspect_ratio": True})]
    + [("affine_transform", (x, t), {"interpolation": interpolation, "fill_mode": mode, "fill_value": 0.25})
       for x in (IMG, U8) for t in (SHEAR,)
       for interpolation in ("nearest", "bilinear")
       for mode in ("constant", "nearest", "wrap", "mirror", "reflect")]
    + [("affine_transform", (ONE, SHEAR[1]), {}), ("affine_transform", (CF, SHEAR), CF_KW)]
    + [("map_coordinates", (inputs, coords, order), {"fill_mode": mode, "fill_value": 0.5})
       for inputs in (VOLUME, (VOLUME * 10).astype("int32"))
       for coords in (COORDS, INT_COORDS)
       for order in (0, 1)
       for mode in ("constant", "nearest", "wrap", "mirror", "reflect")]
    + [("extract_patches", (x, size), kw)
       for x in (IMG, ONE, D64)
       for size in (2, (3, 2))
       for kw in ({}, {"strides": 1}, {"strides": (2, 1), "padding": "same"}, {"dilation_rate": 2, "strides": 1})]
    + [("extract_patches", (CF, (2, 2)), {**CF_KW, "padding": "same", "strides": 2})]
    + [(name, (VOL, size), kw)
       for name in ("extract_patches", "extract_patches_3d")
       for size in ((2, 2, 2), (1, 3, 2))
       for kw in ({}, {"strides": 1, "padding": "same"})]
    + [("extract_patches_3d", (VOL[0], 2), {"strides": (1, 2, 1)}),
       ("extract_patches_3d", (np.ascontiguousarray(VOL.transpose(0, 4, 1, 2, 3)), 2), CF_KW)]
    + [("gaussian_blur", (x,), {"kernel_size": k, "sigma": sigma, "data_format": "channels_last"})
       for x in (IMG, ONE, D64)
       for k, sigma in (((3, 3), (1.0, 1.0)), ((5, 5), (0.8, 2.0)), ((3, 5), (1.0, 1.5)), ((4, 4), (1.2, 1.2)))]
    + [("gaussian_blur", (CF,), CF_KW)]
    + [("sobel_edges", (x,), {"data_format": "channels_last"}) for x in (IMG, D64)]
    + [("sobel_edges", (CF,), CF_KW)]
    + [
        ("pad_images", (IMG,), {"top_padding": 1, "left_padding": 2, "bottom_padding": 0, "right_padding": 3}),
        ("pad_images", (ONE,), {"top_padding": 2, "target_height": 9, "left_padding": 0, "target_width": 6}),
        ("pad_images", (U8,), {"bottom_padding": 2, "target_height": 9, "right_padding": 1, "target_width": 7}),
        ("pad_images", (CF,), {**CF_KW, "top_padding": 1, "target_height": 8, "left_padding": 1, "right_padding": 1}),
        ("crop_images", (IMG,), {"top_cropping": 1, "left_cropping": 2, "bottom_cropping": 0, "right_cropping": 1}),
        ("crop_images", (ONE,), {"top_cropping": 2, "target_height": 3, "left_cropping": 0, "target_width": 4}),
        ("crop_images", (I32,), {"bottom_cropping": 2, "target_height": 3, "right_cropping": 1, "target_width": 2}),
        ("crop_images", (CF,), {**CF_KW, "top_cropping": 1, "target_height": 4, "left_cropping": 1, "right_cropping": 1}),
    ]
)


def _ids(case):
    name, args, kwargs = case
    shapes = ",".join(f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else repr(a) for a in args)
    return f"{name}({shapes})-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_image_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    # Keras' torch affine_transform writes into its transform tensor: give each its own copy.
    expected = _numpy(getattr(keras.ops.image, name)(*_copies(args), **kwargs))
    received = _numpy(getattr(kerasish.ops.image, name)(*args, **kwargs))
    assert received.dtype == expected.dtype, f"{name}: dtype {received.dtype} != Keras' {expected.dtype}"
    assert received.shape == expected.shape, f"{name}: shape {received.shape} != Keras' {expected.shape}"
    tolerance = 1e-3 if received.dtype == np.float16 else 1e-5
    np.testing.assert_allclose(received, expected, atol=tolerance, rtol=tolerance)


def test_image_ops_build_graph_nodes_like_keras():
    import keras

    def build(lib):
        inputs = lib.Input((6, 5, 3))
        small = lib.ops.image.resize(inputs, (4, 4), interpolation="bicubic")
        grey = lib.ops.image.rgb_to_grayscale(lib.ops.image.hsv_to_rgb(lib.ops.image.rgb_to_hsv(small)))
        moved = lib.ops.image.resize(inputs, (5, 7), pad_to_aspect_ratio=True)
        cropped = lib.ops.image.crop_images(moved, top_cropping=1, bottom_cropping=1, left_cropping=0,
                                            right_cropping=1)
        return lib.Model(inputs, [grey, lib.ops.image.pad_images(cropped, 1, 1, 1, 1)])

    for r, e in zip(build(kerasish)(IMG), build(keras)(IMG)):
        np.testing.assert_allclose(_numpy(r), _numpy(e), atol=1e-5)
