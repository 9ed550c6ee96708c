"""``draw_bounding_boxes``: rectangles and class labels drawn onto uint8 images with OpenCV,
which Keras uses too (imported on call; Keras' ImportError when it is missing)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from kerasish import backend
from kerasish.ops import convert_to_numpy
from kerasish.utils.bounding_boxes import convert_format


def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "The `draw_bounding_boxes` function requires the `cv2` package  (OpenCV). "
            "Please install it with `pip install opencv-python`."
        ) from None
    return cv2


def draw_bounding_boxes(
    images: Any,
    bounding_boxes: dict,
    bounding_box_format: str,
    class_mapping: Optional[dict] = None,
    color: tuple = (128, 128, 128),
    line_thickness: int = 2,
    text_thickness: int = 1,
    font_scale: float = 1.0,
    data_format: Optional[str] = None,
) -> np.ndarray:
    """Float images with max <= 1 are taken as ``[0, 1]`` and scaled to ``[0, 255]``; boxes
    labelled ``-1`` are padding and skipped. Returns uint8 NumPy images."""
    cv2 = _cv2()
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or backend.image_data_format()
    images = convert_to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}"
        )
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            f"`bounding_boxes` should be a dict. Received: bounding_boxes={bounding_boxes} of "
            f"type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    h_axis, w_axis = (-3, -2) if data_format == "channels_last" else (-2, -1)
    boxes = convert_to_numpy(
        convert_format(
            bounding_boxes["boxes"],
            source=bounding_box_format,
            target="xyxy",
            height=images.shape[h_axis],
            width=images.shape[w_axis],
        )
    )
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    images = images.astype("uint8")
    labels = convert_to_numpy(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else convert_to_numpy(confidences)
    for i, image in enumerate(images):
        for box_i, box in enumerate(boxes[i]):
            x1, y1, x2, y2 = (int(v) for v in box.astype("int32"))
            class_id = int(labels[i][box_i].astype("int32"))
            if class_id == -1:
                continue
            cv2.rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if class_id in class_mapping:
                label = class_mapping[class_id]
                if confidences is not None:
                    label = f"{label} | {confidences[i][box_i]:.2f}"
                cv2.putText(
                    img=image,
                    text=label,
                    org=_find_text_location(x1, y1, font_scale, text_thickness),
                    fontFace=cv2.FONT_HERSHEY_SIMPLEX,
                    fontScale=font_scale,
                    color=color,
                    thickness=text_thickness,
                )
    return np.stack(list(images), axis=0)


def _find_text_location(x: int, y: int, font_scale: float, thickness: int) -> tuple:
    """Above the box when there is room for two text lines, else just inside its top."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3
