"""MaxNumBoundingBoxes without Keras: padding, truncation, pass-through and errors."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish.layers import MaxNumBoundingBoxes


def _data(n_boxes, batched=True):
    lead = (2,) if batched else ()
    return {
        "images": torch.zeros(*lead, 4, 4, 3, dtype=torch.uint8),
        "bounding_boxes": {
            "boxes": torch.arange(float(np.prod(lead) * n_boxes * 4)).reshape(*lead, n_boxes, 4),
            "labels": torch.arange(int(np.prod(lead)) * n_boxes).reshape(*lead, n_boxes),
        },
    }


def test_pads_with_fill_value():
    layer = MaxNumBoundingBoxes(4, fill_value=-2, bounding_box_format="xyxy")
    data = _data(3)
    out = layer(data)
    boxes, labels = out["bounding_boxes"]["boxes"], out["bounding_boxes"]["labels"]
    assert boxes.shape == (2, 4, 4) and labels.shape == (2, 4)
    assert torch.equal(boxes[:, :3], data["bounding_boxes"]["boxes"])
    assert (boxes[:, 3] == -2).all() and (labels[:, 3] == -2).all()
    assert out["images"] is data["images"] and out is not data


def test_truncates_unbatched_and_keeps_other_entries():
    layer = MaxNumBoundingBoxes(2, bounding_box_format="xyxy")
    data = _data(5, batched=False)
    data["bounding_boxes"]["boxes"] = data["bounding_boxes"]["boxes"].double()
    data["extra"] = "kept"
    out = layer(data)
    assert out["bounding_boxes"]["boxes"].shape == (2, 4)
    assert out["bounding_boxes"]["boxes"].dtype == torch.float32
    assert out["bounding_boxes"]["labels"].tolist() == [0, 1]
    assert out["extra"] == "kept"


def test_images_only_pass_through_uncast():
    images = np.ones((4, 4, 3), "int32")
    out = MaxNumBoundingBoxes(1)(images)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.int32


def test_config_round_trip():
    layer = MaxNumBoundingBoxes(7, bounding_box_format="yxyx", name="mnb")
    config = layer.get_config()
    assert config["max_number"] == 7 and config["bounding_box_format"] == "yxyx"
    assert "fill_value" not in config  # as Keras 3.15
    clone = kerasish.layers.deserialize(kerasish.layers.serialize(layer))
    assert isinstance(clone, MaxNumBoundingBoxes) and clone.max_number == 7


def test_output_shape():
    shape = {"images": (2, 4, 4, 3), "bounding_boxes": {"boxes": (2, 3, 4), "labels": (2, 3)}}
    out = MaxNumBoundingBoxes(9).compute_output_shape(shape)
    assert out["bounding_boxes"] == {"boxes": [2, 9, 4], "labels": [2, 9]}
    assert shape["bounding_boxes"]["boxes"] == (2, 3, 4)
    with pytest.raises(KeyError, match="unsupported keys"):
        bad = {"bounding_boxes": {"boxes": (2, 3, 4), "labels": (2, 3), "scores": (2, 3)}}
        MaxNumBoundingBoxes(9).compute_output_shape(bad)


def test_errors():
    with pytest.raises(ValueError, match="didn't specify a bounding box format"):
        MaxNumBoundingBoxes(3)(_data(2))
    layer = MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    with pytest.raises(ValueError, match=r"rank 3 \(single image\).*\(2, 4\)"):
        layer(torch.zeros(2, 4))
    with pytest.raises(KeyError, match="'images' entry"):
        layer({"bounding_boxes": {}})
    with pytest.raises(ValueError, match="dict with keys 'boxes' and 'labels'"):
        layer(
            {"images": torch.zeros(1, 4, 4, 3), "bounding_boxes": {"boxes": torch.zeros(1, 2, 4)}}
        )
    bad_labels = {"boxes": torch.zeros(1, 2, 4), "labels": torch.zeros(1)}
    with pytest.raises(ValueError, match="rank 2 or 3"):
        layer({"images": torch.zeros(1, 4, 4, 3), "bounding_boxes": bad_labels})
