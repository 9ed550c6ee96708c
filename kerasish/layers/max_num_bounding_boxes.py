"""Keras 3's ``MaxNumBoundingBoxes``: a fixed number of boxes per image, so that detection
targets of different images stack into one batch tensor.

Keras runs it on its image-preprocessing base class; this layer carries just the parts of that
class' dict protocol it needs (``{"images", "bounding_boxes", "labels",
"segmentation_masks"}``, batched or one image), and like Keras passes everything but the boxes
through untouched and uncast.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from kerasish import backend, devices
from kerasish.layers.base import Layer


def _fit(values: torch.Tensor, number: int, fill: int) -> torch.Tensor:
    """``values`` cut or padded with ``fill`` along axis 1 to ``number`` entries (a view when
    cut)."""
    values = values[:, :number]
    missing = number - values.shape[1]
    if missing <= 0:
        return values
    padding = values.new_full((values.shape[0], missing, *values.shape[2:]), fill)
    return torch.cat([values, padding], dim=1)


class MaxNumBoundingBoxes(Layer):
    """Pad (with ``fill_value``) or truncate ``bounding_boxes["boxes"]`` and ``["labels"]`` to
    ``max_number`` boxes. Boxes come out float32, as Keras densifies them."""

    _casts_direct_inputs = False  # Keras' preprocessing layers keep their inputs' dtypes

    def __init__(
        self,
        max_number: int,
        fill_value: int = -1,
        bounding_box_format: Optional[str] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format
        self.data_format = backend.standardize_data_format(data_format)
        self.built = True

    def _to_tensor(self, value: Any) -> Any:
        if isinstance(value, (np.ndarray, np.generic)):
            return torch.from_numpy(np.asarray(value)).to(devices.current())
        return value

    def call(self, data: Any, training: bool = True) -> Any:
        if not isinstance(data, dict):
            images = torch.as_tensor(data)
            self._is_batched(images)
            return images
        if "images" not in data:
            raise KeyError(
                f"Layer '{self.name}' (MaxNumBoundingBoxes) expects a dict with an 'images' "
                f"entry. Received keys: {list(data)}"
            )
        outputs = dict(data)
        images = torch.as_tensor(data["images"])
        batched = self._is_batched(images)
        outputs["images"] = images
        if "bounding_boxes" in data:
            outputs["bounding_boxes"] = self._fit_boxes(data["bounding_boxes"], batched)
        for key in ("labels", "segmentation_masks"):
            if key in data:
                outputs[key] = torch.as_tensor(data[key])
        return outputs

    def _is_batched(self, images: torch.Tensor) -> bool:
        if images.ndim not in (3, 4):
            raise ValueError(
                "Expected image tensor to have rank 3 (single image) "
                f"or 4 (batch of images). Received: data.shape={tuple(images.shape)}"
            )
        return images.ndim == 4

    def _fit_boxes(self, bounding_boxes: Any, batched: bool) -> dict:
        if not self.bounding_box_format:
            raise ValueError(
                "You passed an input with a 'bounding_boxes' key, "
                "but you didn't specify a bounding box format. "
                "Pass a `bounding_box_format` argument to your "
                "MaxNumBoundingBoxes layer, e.g. `bounding_box_format='xyxy'`."
            )
        _validate(bounding_boxes)
        boxes = torch.as_tensor(bounding_boxes["boxes"]).to(torch.float32)
        labels = torch.as_tensor(bounding_boxes["labels"]).to(boxes.device)
        if not batched:
            boxes, labels = boxes.unsqueeze(0), labels.unsqueeze(0)
        boxes = _fit(boxes, self.max_number, self.fill_value)
        labels = _fit(labels, self.max_number, self.fill_value)
        if not batched:
            boxes, labels = boxes.squeeze(0), labels.squeeze(0)
        return {**bounding_boxes, "boxes": boxes, "labels": labels}

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not (isinstance(input_shape, dict) and "bounding_boxes" in input_shape):
            return input_shape
        extra = set(input_shape["bounding_boxes"]) - {"boxes", "labels"}
        if extra:
            raise KeyError(
                f"There are unsupported keys in `bounding_boxes`: {list(extra)}. "
                "Only `boxes` and `labels` are supported."
            )
        boxes = list(input_shape["bounding_boxes"]["boxes"])
        labels = list(input_shape["bounding_boxes"]["labels"])
        boxes[1] = labels[1] = self.max_number
        return {**input_shape, "bounding_boxes": {"boxes": boxes, "labels": labels}}

    def get_config(self) -> dict:
        # Keras 3.15 leaves ``fill_value`` out of the config; kept identical for cross-loading.
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        config["max_number"] = self.max_number
        return config


def _validate(bounding_boxes: Any) -> None:
    """Keras' ``validate_bounding_boxes`` checks and messages for dense boxes."""
    if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
        raise ValueError(
            "Expected `bounding_boxes` agurment to be a dict with keys 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    boxes_shape = tuple(np.shape(bounding_boxes["boxes"]))
    labels_shape = tuple(np.shape(bounding_boxes["labels"]))
    if len(boxes_shape) not in (2, 3):
        raise ValueError(
            "Expected `bounding_boxes['boxes']` to have rank 2 or 3, with shape "
            "(num_boxes, 4) or (batch_size, num_boxes, 4). "
            f"Received: bounding_boxes['boxes'].shape={boxes_shape}"
        )
    allowed = {len(boxes_shape) - 1, len(boxes_shape)}
    if len(labels_shape) not in allowed:
        raise ValueError(
            f"Found bounding_boxes['boxes'].shape={boxes_shape} and expected "
            f"bounding_boxes['labels'] to have rank {min(allowed)} or {max(allowed)}, but "
            f"received: bounding_boxes['labels'].shape={labels_shape} "
        )
