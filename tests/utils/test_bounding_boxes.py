"""keras.utils.bounding_boxes without Keras: hand-computed values, round trips, broadcasting
rules, devices/dtypes and errors."""

import itertools
import math

import numpy as np
import pytest
import torch

import kerasish
from kerasish.utils import bounding_boxes as bb
from kerasish.utils.bounding_boxes.conversion import SUPPORTED_FORMATS

XYXY = torch.tensor([[10.0, 20.0, 30.0, 60.0], [0.0, 0.0, 8.0, 4.0]])


def test_reachable_from_keras_utils():
    assert kerasish.utils.bounding_boxes is bb
    assert callable(bb.convert_format) and callable(bb.compute_ciou)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("xyxy", [10, 20, 30, 60]),
        ("yxyx", [20, 10, 60, 30]),
        ("xywh", [10, 20, 20, 40]),
        ("center_xywh", [20, 40, 20, 40]),
        ("center_yxhw", [40, 20, 40, 20]),
        ("rel_xyxy", [0.1, 0.1, 0.3, 0.3]),
        ("rel_yxyx", [0.1, 0.1, 0.3, 0.3]),
        ("rel_xywh", [0.1, 0.1, 0.2, 0.2]),
        ("rel_center_xywh", [0.2, 0.2, 0.2, 0.2]),
    ],
)
def test_convert_from_xyxy_by_hand(target, expected):
    out = bb.convert_format(XYXY[:1], "xyxy", target, height=200, width=100)
    torch.testing.assert_close(out, torch.tensor([expected], dtype=torch.float32))


def test_every_pair_round_trips():
    boxes = torch.rand(2, 3, 4) * 0.5
    boxes[..., 2:] += boxes[..., :2]  # valid xyxy
    boxes = boxes * 50
    for source, target in itertools.product(SUPPORTED_FORMATS, SUPPORTED_FORMATS):
        src = bb.convert_format(boxes, "xyxy", source, height=50, width=70)
        there = bb.convert_format(src, source, target, height=50, width=70)
        back = bb.convert_format(there, target, "xyxy", height=50, width=70)
        torch.testing.assert_close(back, boxes, atol=1e-4, rtol=0)


def test_dtype_numpy_and_dict():
    arr = np.array([[1, 2, 5, 6]], "int64")
    assert bb.convert_format(arr, "xyxy", "xyxy").dtype == torch.float32
    assert bb.convert_format(arr, "xyxy", "xywh", dtype="int32").tolist() == [[1, 2, 4, 4]]
    data = {"boxes": arr, "labels": np.array([3])}
    assert bb.convert_format(data, "xyxy", "yxyx") is data
    assert data["boxes"].tolist() == [[2.0, 1.0, 6.0, 5.0]]


def test_convert_errors():
    with pytest.raises(ValueError, match="last dimension of 4.*shape=\\(2, 3\\)"):
        bb.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="Invalid source or target format"):
        bb.convert_format(np.zeros((2, 4)), "xyxy", "cxcywh")
    with pytest.raises(ValueError, match="must receive `height` and `width`"):
        bb.convert_format(np.zeros((2, 4)), "rel_xyxy", "xyxy", height=4)


def test_clip_labels_and_copy():
    data = {
        "boxes": torch.tensor([[-5.0, -5.0, 50.0, 20.0], [12.0, 0.0, 15.0, 9.0]]),
        "labels": torch.tensor([4, 7]),
    }
    out = bb.clip_to_image_size(data, height=10, width=12)
    assert out is not data and data["boxes"][0, 0] == -5
    assert out["boxes"].tolist() == [[0, 0, 12, 10], [12, 0, 12, 9]]
    assert out["labels"].tolist() == [4, -1]  # zero width after clipping
    rel = bb.clip_to_image_size(
        {"boxes": torch.tensor([[-0.5, 0.2, 1.5, 0.4]])}, bounding_box_format="rel_xyxy"
    )
    assert rel["boxes"][0].tolist() == pytest.approx([0.0, 0.2, 1.0, 0.4])
    with pytest.raises(ValueError, match="`height` and `width` must be set"):
        bb.clip_to_image_size(data)
    with pytest.raises(NotImplementedError, match="clip_to_image_size.*'yxyx'"):
        bb.clip_to_image_size(data, 1, 1, bounding_box_format="yxyx")
    with pytest.raises(TypeError, match="expects a dict with a 'boxes' entry.*Tensor"):
        bb.clip_to_image_size(data["boxes"], 1, 1)


def test_crop_and_pad_are_inverse_inside_the_window():
    boxes = torch.tensor([[[12.0, 15.0, 20.0, 25.0]]])
    cropped = bb.crop(boxes, top=10, left=10, height=30, width=30)
    assert cropped.tolist() == [[[2, 5, 10, 15]]]
    assert torch.equal(bb.pad(cropped, top=10, left=10), boxes)
    assert bb.crop(boxes, 10, 10, 12, 5).tolist() == [[[2, 5, 5, 12]]]
    for fn in (bb.crop, bb.pad):
        with pytest.raises(NotImplementedError, match="xyxy"):
            fn(boxes, 0, 0, 1, 1, bounding_box_format="xywh")


def test_affine_identity_and_rotation():
    boxes = torch.tensor([[[10.0, 20.0, 30.0, 40.0]]])
    zero = torch.zeros(1)
    same = bb.affine_transform(boxes, zero, 0, 0, 1.0, 0, 0, 101, 101)
    torch.testing.assert_close(same, boxes)
    # 90 degrees about the centre (50, 50) of a 101x101 image: (x, y) -> (y, 100 - x) or its
    # mirror; either way a 20x20 box stays 20x20 and its centre moves to the rotated centre.
    rot = bb.affine_transform(boxes, torch.tensor([90.0]), 0, 0, 1.0, 0, 0, 101, 101)[0, 0]
    assert (rot[2] - rot[0]).item() == pytest.approx(20, abs=1e-4)
    assert (rot[3] - rot[1]).item() == pytest.approx(20, abs=1e-4)
    centre = ((rot[0] + rot[2]) / 2, (rot[1] + rot[3]) / 2)
    assert sorted([round(centre[0].item()), round(centre[1].item())]) == [30, 80]
    shifted = bb.affine_transform(boxes, zero, 0.1, 0.0, 1.0, 0, 0, 101, 101)
    torch.testing.assert_close(shifted, boxes + torch.tensor([10.0, 0.0, 10.0, 0.0]))


def test_affine_errors():
    with pytest.raises(ValueError, match=r"\(batch_size, num_boxes, 4\).*\(1, 4\)"):
        bb.affine_transform(torch.zeros(1, 4), torch.zeros(1), 0, 0, 1, 0, 0, 8, 8)
    with pytest.raises(ValueError, match=r"`angle` of shape \(batch_size,\)"):
        bb.affine_transform(torch.zeros(1, 1, 4), 3.0, 0, 0, 1, 0, 0, 8, 8)


def test_iou_table_shapes_and_values():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    iou = bb.compute_iou(a, b, "xyxy")
    assert iou.shape == (2, 3)
    torch.testing.assert_close(
        iou, torch.tensor([[1 / 7, 1.0, 0.0], [0.0, 0.25, 0.0]]), atol=1e-6, rtol=0
    )
    assert bb.compute_iou(a[None].expand(4, 2, 4), b, "xyxy").shape == (4, 2, 3)
    assert bb.compute_iou(a, b[None].expand(4, 3, 4), "xyxy").shape == (4, 2, 3)
    padded = torch.cat([b, -torch.ones(1, 4)])
    masked = bb.compute_iou(a, padded, "xyxy", use_masking=True, mask_val=-7)
    assert masked[:, -1].tolist() == [-7, -7] and torch.equal(masked[:, :3], iou)
    # kerasish also masks mixed batched/unbatched inputs (Keras 3.15 fails on its transpose)
    assert bb.compute_iou(a[None], padded, "xyxy", use_masking=True)[0, :, -1].tolist() == [-1, -1]


def test_iou_errors():
    with pytest.raises(ValueError, match="expects boxes1 to be batched"):
        bb.compute_iou(torch.zeros(4), torch.zeros(1, 4), "xyxy")
    with pytest.raises(ValueError, match="`image_shape` argument must be provided"):
        bb.compute_iou(torch.zeros(1, 4), torch.zeros(1, 4), "rel_xyxy")


def test_ciou():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    assert bb.compute_ciou(a, a, "xyxy").item() == pytest.approx(1.0, abs=1e-5)
    b = torch.tensor([[2.0, 0.0, 4.0, 2.0]])  # touching, same shape: 0 - d^2 / c^2
    assert bb.compute_ciou(a, b, "xyxy").item() == pytest.approx(-4 / 20, abs=1e-5)
    tall = torch.tensor([[0.0, 0.0, 1.0, 4.0]])
    v = 4 / math.pi**2 * (math.atan(1 / 4) - math.atan(1)) ** 2
    assert bb.compute_ciou(a, tall, "xyxy").item() < bb.compute_iou(a, tall, "xyxy").item() - v / 2
    with pytest.raises(ValueError, match="relative bounding box formats"):
        bb.compute_ciou(a, a, "rel_xyxy", image_shape=(4, 4, 3))


def test_deltas_round_trip_and_zero_for_anchor():
    anchors = torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 9.0, 7.0]])
    boxes = torch.tensor([[[1.0, 2.0, 12.0, 18.0], [4.0, 4.0, 8.0, 9.0]]])
    zero = bb.encode_box_to_deltas(anchors, anchors, "xyxy", "xyxy")
    torch.testing.assert_close(zero, torch.zeros(2, 4))
    for enc, var in (("center_yxhw", None), ("center_xywh", [0.1, 0.1, 0.2, 0.2])):
        deltas = bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", enc, variance=var)
        back = bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", enc, variance=var)
        torch.testing.assert_close(back, boxes, atol=1e-4, rtol=0)
    levels = bb.decode_deltas_to_boxes({"a": anchors}, {"a": zero}, "xyxy", "xywh")
    torch.testing.assert_close(levels["a"], bb.convert_format(anchors, "xyxy", "xywh"))


def test_delta_errors():
    ok = torch.ones(1, 4)
    with pytest.raises(ValueError, match="`variance` must be length 4"):
        bb.encode_box_to_deltas(ok, ok, "xyxy", "xyxy", variance=[1, 2])
    with pytest.raises(ValueError, match="`encoding_format` should be one of"):
        bb.encode_box_to_deltas(ok, ok, "xyxy", "xyxy", encoding_format="xyxy")
    with pytest.raises(ValueError, match="`encoded_format` should be"):
        bb.decode_deltas_to_boxes(ok, ok, "xyxy", "xyxy", encoded_format="yxyx")
