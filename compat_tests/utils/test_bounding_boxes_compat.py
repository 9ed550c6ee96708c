"""keras.utils.bounding_boxes side by side with Keras 3: same boxes in, same boxes out, for every
function and every pair of formats, and the same errors."""

import itertools

import keras
import numpy as np
import pytest
import torch

import kerasish

THEIRS = keras.utils.bounding_boxes
OURS = kerasish.utils.bounding_boxes
FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _same(ours, theirs):
    assert isinstance(ours, torch.Tensor)
    theirs = _np(theirs)
    assert _np(ours).dtype == theirs.dtype
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(_np(ours), theirs, atol=1e-5, rtol=0)


def _boxes(rng, shape, scale=40.0):
    """Valid xyxy boxes (x2 > x1, y2 > y1) of the given leading shape, in pixels."""
    xy = rng.uniform(0, scale, size=(*shape, 2))
    wh = rng.uniform(1, scale, size=(*shape, 2))
    return np.concatenate([xy, xy + wh], axis=-1).astype("float32")


def _raises_like(theirs_fn, ours_fn, *args, **kw):
    with pytest.raises(Exception) as theirs:
        theirs_fn(*args, **kw)
    with pytest.raises(type(theirs.value)) as ours:
        ours_fn(*args, **kw)
    assert str(ours.value) == str(theirs.value)


def test_public_names_match():
    public = {n for n in dir(THEIRS) if not n.startswith("_")}
    assert public == {n for n in OURS.__all__}


@pytest.mark.parametrize("batched", [False, True])
def test_convert_format_every_pair(rng, batched):
    boxes = rng.uniform(0.05, 0.9, size=(2, 5, 4) if batched else (5, 4)).astype("float32")
    for source, target in itertools.product(FORMATS, FORMATS):
        kw = dict(height=37, width=53)
        theirs = THEIRS.convert_format(boxes.copy(), source=source, target=target, **kw)
        ours = OURS.convert_format(boxes.copy(), source=source, target=target, **kw)
        _same(ours, theirs)


def test_convert_format_dict_dtype_case_and_tensors(rng):
    boxes = (rng.uniform(0, 50, size=(3, 4))).astype("int64")
    for dtype in ("float32", "float64", "int32"):
        t = THEIRS.convert_format(boxes, "XYXY", "Center_XYWH", dtype=dtype)
        o = OURS.convert_format(boxes, "XYXY", "Center_XYWH", dtype=dtype)
        _same(o, t)
    labels = np.arange(3)
    t_in = {"boxes": boxes, "labels": labels}
    o_in = {"boxes": boxes, "labels": labels}
    t = THEIRS.convert_format(t_in, "xyxy", "rel_yxyx", height=np.int32(60), width=80)
    o = OURS.convert_format(o_in, "xyxy", "rel_yxyx", height=np.int32(60), width=80)
    assert o is o_in and t is t_in  # both replace "boxes" in the given dict
    _same(o["boxes"], t["boxes"])
    assert o["labels"] is labels
    tensor = torch.tensor(boxes, dtype=torch.float64)
    _same(
        OURS.convert_format(tensor, "xywh", "xyxy", dtype="float64"),
        THEIRS.convert_format(tensor, "xywh", "xyxy", dtype="float64"),
    )


def test_convert_format_errors():
    ok = np.zeros((2, 4), "float32")
    for args, kw in [
        ((np.zeros((2, 3)), "xyxy", "xywh"), {}),
        ((ok, "xyxy", "foo"), {}),
        ((ok, "bar", "xyxy"), {}),
        ((ok, "xyxy", "rel_xyxy"), {"height": 3}),
        ((ok, "rel_xywh", "xyxy"), {}),
    ]:
        _raises_like(THEIRS.convert_format, OURS.convert_format, *args, **kw)


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_clip_to_image_size(rng, fmt, dtype):
    boxes = rng.uniform(-30, 150, size=(2, 6, 4))
    if fmt == "rel_xyxy":
        boxes = boxes / 100.0
    boxes[0, 0] = [50, 40, 50, 80]  # zero width: label becomes -1
    boxes[1, 1] = [-5, -5, -1, -1]  # fully outside: label becomes -1
    boxes = boxes.astype(dtype) if fmt == "xyxy" else boxes.astype("float32")
    labels = rng.integers(0, 5, size=(2, 6)).astype("int32")
    kw = {"height": 100, "width": 120} if fmt == "xyxy" else {}
    for b, lab in ((boxes, labels), (boxes[0], labels[0])):
        src = {"boxes": b, "labels": lab, "extra": "kept"}
        t = THEIRS.clip_to_image_size(dict(src), bounding_box_format=fmt, **kw)
        o = OURS.clip_to_image_size(src, bounding_box_format=fmt, **kw)
        _same(o["boxes"], t["boxes"])
        _same(o["labels"], t["labels"])
        assert o["extra"] == "kept" and src["boxes"] is b  # a copy, the input dict untouched
    t = THEIRS.clip_to_image_size({"boxes": boxes}, bounding_box_format=fmt, **kw)
    o = OURS.clip_to_image_size({"boxes": boxes}, bounding_box_format=fmt, **kw)
    assert "labels" not in o and "labels" not in t
    _same(o["boxes"], t["boxes"])


def test_clip_to_image_size_errors():
    b = {"boxes": np.zeros((1, 4)), "labels": np.zeros((1,))}
    _raises_like(THEIRS.clip_to_image_size, OURS.clip_to_image_size, b)
    for call in (THEIRS.clip_to_image_size, OURS.clip_to_image_size):
        with pytest.raises(NotImplementedError):
            call(b, 10, 10, bounding_box_format="xywh")


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_crop_and_pad(rng, dtype):
    boxes = rng.uniform(0, 100, size=(2, 5, 4)).astype(dtype)
    for b in (boxes, boxes[0]):
        for top, left in ((10, 20), (2.5, 7)):
            _same(
                OURS.crop(b, top, left, 40, 30),
                THEIRS.crop(b, top=top, left=left, height=40, width=30),
            )
            _same(OURS.pad(b, top, left), THEIRS.pad(b, top=top, left=left))
    for name in ("crop", "pad"):
        for module in (THEIRS, OURS):
            with pytest.raises(NotImplementedError):
                getattr(module, name)(boxes, 1, 1, 5, 5, bounding_box_format="yxyx")


@pytest.mark.parametrize("angle_dtype", ["float32", "float64", "int64"])
def test_affine_transform(rng, angle_dtype):
    boxes = _boxes(rng, (3, 4))
    angle = np.array([0, 30, -75]).astype(angle_dtype)
    tx = np.array([0.1, -0.2, 0.0], "float32")
    ty = np.array([0.0, 0.05, 0.3], "float32")
    scale = np.array([1.0, 0.8, 1.3], "float32")
    shear_x = np.array([0.0, 10.0, -5.0], "float32")
    shear_y = np.array([0.0, -3.0, 12.0], "float32")
    args = (boxes, angle, tx, ty, scale, shear_x, shear_y, 64, 96)
    for kw in ({}, {"center_x": 0.3, "center_y": 0.7}):
        t = THEIRS.affine_transform(*args, **kw)
        o = OURS.affine_transform(*args, **kw)
        _same(o, t)
    # Python scalars for the non-angle parameters
    scalars = (boxes, angle, 0.1, 0.0, 1.2, 4.0, 0.0, 64, 96)
    _same(OURS.affine_transform(*scalars), THEIRS.affine_transform(*scalars))
    for module in (THEIRS, OURS):
        with pytest.raises(NotImplementedError):
            module.affine_transform(*args, bounding_box_format="yxyx")


@pytest.mark.parametrize(
    "shape1, shape2", [((4,), (5,)), ((2, 4), (2, 5)), ((2, 4), (5,)), ((4,), (2, 5))]
)
def test_compute_iou(rng, shape1, shape2):
    boxes1, boxes2 = _boxes(rng, shape1), _boxes(rng, shape2)
    boxes2[..., 0, :] = boxes1[..., 0, :] if len(shape1) == len(shape2) else boxes2[..., 0, :]
    for fmt in FORMATS:
        b1 = THEIRS.convert_format(boxes1, "xyxy", fmt, height=50, width=70).numpy()
        b2 = THEIRS.convert_format(boxes2, "xyxy", fmt, height=50, width=70).numpy()
        kw = {"image_shape": (50, 70, 3)} if fmt.startswith("rel") else {}
        _same(OURS.compute_iou(b1, b2, fmt, **kw), THEIRS.compute_iou(b1, b2, fmt, **kw))


@pytest.mark.parametrize("shape", [(4,), (2, 4)])
def test_compute_iou_masking(rng, shape):
    boxes1, boxes2 = _boxes(rng, shape), _boxes(rng, shape)
    boxes1[..., -1, :] = -1
    boxes2[..., 0, :] = -3
    for mask_val in (-1, 0.5):
        t = THEIRS.compute_iou(boxes1, boxes2, "xyxy", use_masking=True, mask_val=mask_val)
        o = OURS.compute_iou(boxes1, boxes2, "xyxy", use_masking=True, mask_val=mask_val)
        _same(o, t)


def test_compute_iou_errors():
    ok = np.zeros((2, 4), "float32")
    for args, kw in [
        ((np.zeros((4,)), ok, "xyxy"), {}),
        ((ok, np.zeros((1, 1, 2, 4)), "xyxy"), {}),
        ((ok, ok, "rel_xyxy"), {}),
        ((ok, ok, "REL_XYXY"), {}),
    ]:
        _raises_like(THEIRS.compute_iou, OURS.compute_iou, *args, **kw)


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw"])
def test_compute_ciou(rng, fmt):
    boxes1, boxes2 = _boxes(rng, (2, 6)), _boxes(rng, (2, 6))
    boxes2[0, 0] = boxes1[0, 0]
    boxes2[1, 1] = [0, 0, 0, 0]
    b1 = THEIRS.convert_format(boxes1, "xyxy", fmt).numpy()
    b2 = THEIRS.convert_format(boxes2, "xyxy", fmt).numpy()
    _same(OURS.compute_ciou(b1, b2, fmt), THEIRS.compute_ciou(b1, b2, fmt))
    # broadcasting one box against many
    _same(OURS.compute_ciou(b1[0, :1], b2[0], fmt), THEIRS.compute_ciou(b1[0, :1], b2[0], fmt))
    _raises_like(THEIRS.compute_ciou, OURS.compute_ciou, b1, b2, "rel_xyxy", image_shape=(4, 4, 3))


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_deltas_round_trip(rng, encoding, variance):
    anchors = _boxes(rng, (6,))
    boxes = _boxes(rng, (2, 6))
    for anchor_fmt, box_fmt in (("xyxy", "xyxy"), ("yxyx", "center_xywh"), ("xywh", "rel_xyxy")):
        a = THEIRS.convert_format(anchors, "xyxy", anchor_fmt, height=50, width=70).numpy()
        b = THEIRS.convert_format(boxes, "xyxy", box_fmt, height=50, width=70).numpy()
        kw = dict(variance=variance, image_shape=(50, 70, 3))
        t = THEIRS.encode_box_to_deltas(a, b, anchor_fmt, box_fmt, encoding, **kw)
        o = OURS.encode_box_to_deltas(a, b, anchor_fmt, box_fmt, encoding, **kw)
        _same(o, t)
        for d in (t, t[0]):  # Keras' decode needs tensor deltas
            t_dec = THEIRS.decode_deltas_to_boxes(a, d, anchor_fmt, box_fmt, encoding, **kw)
            o_dec = OURS.decode_deltas_to_boxes(a, d, anchor_fmt, box_fmt, encoding, **kw)
            _same(o_dec, t_dec)


def test_decode_dict_levels_and_delta_errors(rng):
    anchors = {"P3": _boxes(rng, (4,)), "P4": _boxes(rng, (2,))}
    deltas = {
        k: torch.tensor(rng.normal(size=(2, v.shape[0], 4)) * 0.1, dtype=torch.float32)
        for k, v in anchors.items()
    }
    t = THEIRS.decode_deltas_to_boxes(anchors, deltas, "xyxy", "yxyx")
    o = OURS.decode_deltas_to_boxes(anchors, deltas, "xyxy", "yxyx")
    assert list(o) == list(t)
    for k in t:
        _same(o[k], t[k])
    ok = np.ones((2, 4), "float32")
    for name, kw in [
        ("encode_box_to_deltas", {"variance": [1, 2, 3]}),
        ("encode_box_to_deltas", {"encoding_format": "xyxy"}),
        ("decode_deltas_to_boxes", {"variance": [1.0]}),
        ("decode_deltas_to_boxes", {"encoded_format": "yxyx"}),
    ]:
        _raises_like(getattr(THEIRS, name), getattr(OURS, name), ok, ok, "xyxy", "xyxy", **kw)
