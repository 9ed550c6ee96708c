"""keras.layers.MaxNumBoundingBoxes side by side with Keras 3."""

import copy

import keras
import numpy as np
import pytest
import torch

import kerasish


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _same(ours, theirs):
    assert isinstance(ours, torch.Tensor)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(_np(ours), _np(theirs))


def _data(rng, batched, n_boxes, image_dtype="float32", box_dtype="float32"):
    lead = (2,) if batched else ()
    return {
        "images": rng.uniform(0, 255, size=(*lead, 8, 6, 3)).astype(image_dtype),
        "bounding_boxes": {
            "boxes": rng.uniform(0, 6, size=(*lead, n_boxes, 4)).astype(box_dtype),
            "labels": rng.integers(0, 9, size=(*lead, n_boxes)).astype("int64"),
        },
        "labels": rng.integers(0, 3, size=lead or (1,)).astype("int32"),
        "segmentation_masks": rng.integers(0, 2, size=(*lead, 8, 6, 1)).astype("uint8"),
    }


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("n_boxes", [2, 5, 7])
def test_pad_and_truncate(rng, batched, n_boxes):
    data = _data(rng, batched, n_boxes, image_dtype="uint8", box_dtype="float64")
    kw = dict(max_number=5, fill_value=-3, bounding_box_format="xyxy")
    theirs = keras.layers.MaxNumBoundingBoxes(**kw)(copy.deepcopy(data))
    ours = kerasish.layers.MaxNumBoundingBoxes(**kw)(data)
    assert set(ours) == set(theirs)
    for key in ("images", "labels", "segmentation_masks"):
        _same(ours[key], theirs[key])
    for key in ("boxes", "labels"):
        _same(ours["bounding_boxes"][key], theirs["bounding_boxes"][key])


def test_images_only_and_config(rng):
    images = rng.uniform(size=(2, 4, 4, 3)).astype("float32")
    theirs = keras.layers.MaxNumBoundingBoxes(3)
    ours = kerasish.layers.MaxNumBoundingBoxes(3)
    _same(ours(images), theirs(images))
    _same(ours(images[0].astype("int32")), theirs(images[0].astype("int32")))
    assert ours.get_config() == {**theirs.get_config(), "dtype": ours.get_config()["dtype"]}
    boxed = kerasish.layers.MaxNumBoundingBoxes(3, bounding_box_format="yxyx", name="m")
    keras_boxed = keras.layers.MaxNumBoundingBoxes(3, bounding_box_format="yxyx", name="m")
    mine, theirs_cfg = boxed.get_config(), keras_boxed.get_config()
    mine.pop("dtype"), theirs_cfg.pop("dtype")
    assert mine == theirs_cfg
    restored = kerasish.layers.MaxNumBoundingBoxes.from_config(boxed.get_config())
    assert restored.max_number == 3 and restored.bounding_box_format == "yxyx"


def test_output_shape():
    shape = {"images": (2, 8, 8, 3), "bounding_boxes": {"boxes": (2, 3, 4), "labels": (2, 3)}}
    theirs = keras.layers.MaxNumBoundingBoxes(5).compute_output_shape(copy.deepcopy(shape))
    ours = kerasish.layers.MaxNumBoundingBoxes(5).compute_output_shape(shape)
    assert ours == theirs


def _error(layer, data):
    with pytest.raises(Exception) as info:
        layer(data)
    return info.value


def test_errors(rng):
    batch = _data(rng, True, 3)
    cases = [
        ({}, batch),  # bounding boxes without a bounding_box_format
        ({"bounding_box_format": "xyxy"}, np.zeros((2,), "float32")),
        (
            {"bounding_box_format": "xyxy"},
            {"images": batch["images"], "bounding_boxes": {"boxes": np.zeros((2, 3, 4))}},
        ),
        (
            {"bounding_box_format": "xyxy"},
            {
                "images": batch["images"],
                "bounding_boxes": {"boxes": np.zeros((2, 3, 4, 1)), "labels": np.zeros((2, 3))},
            },
        ),
        (
            {"bounding_box_format": "xyxy"},
            {
                "images": batch["images"],
                "bounding_boxes": {"boxes": np.zeros((2, 3, 4)), "labels": np.zeros((2,))},
            },
        ),
    ]
    for kw, data in cases:
        theirs = _error(keras.layers.MaxNumBoundingBoxes(4, **kw), copy.deepcopy(data))
        ours = _error(kerasish.layers.MaxNumBoundingBoxes(4, **kw), data)
        assert type(ours) is type(theirs)
        first_line = str(ours).splitlines()[0]
        assert first_line in str(theirs)
