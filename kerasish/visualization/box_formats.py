"""Bounding boxes in any Keras box format as absolute ``xyxy``, the one format the drawing
code needs (the to-``xyxy`` half of ``keras.utils.bounding_boxes.convert_format``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasish.ops import convert_to_numpy

SUPPORTED_FORMATS = (
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


def to_xyxy(boxes: Any, source: str, height: int, width: int) -> np.ndarray:
    """float32 ``(..., 4)`` boxes ``[left, top, right, bottom]`` in pixels."""
    boxes = convert_to_numpy(boxes)
    if boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}"
        )
    source = source.lower()
    if source not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    a, b, c, d = np.split(boxes.astype("float32"), 4, axis=-1)
    if source.startswith("rel_"):
        source = source[len("rel_") :]
        scale_x, scale_y = np.float32(width), np.float32(height)
    else:
        scale_x = scale_y = None
    if source == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif source == "yxyx":
        x1, y1, x2, y2 = b, a, d, c
    elif source == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif source == "center_xywh":
        x1, y1, x2, y2 = a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    else:  # center_yxhw
        x1, y1, x2, y2 = b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0
    if scale_x is not None:
        x1, x2, y1, y2 = x1 * scale_x, x2 * scale_x, y1 * scale_y, y2 * scale_y
    return np.concatenate([x1, y1, x2, y2], axis=-1)
