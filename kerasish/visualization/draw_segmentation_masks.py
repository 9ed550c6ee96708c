"""``draw_segmentation_masks``: paint each class of an integer mask onto its image.

Host-side NumPy throughout: the result is an image for display, not part of a model's graph.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from kerasish import backend
from kerasish.ops import convert_to_numpy


def draw_segmentation_masks(
    images: Any,
    segmentation_masks: Any,
    num_classes: Optional[int] = None,
    color_mapping: Optional[dict] = None,
    alpha: float = 0.8,
    blend: bool = True,
    ignore_index: int = -1,
    data_format: Optional[str] = None,
) -> Any:
    """Masks are ``(batch, height, width, 1)`` class indices; pixels equal to ``ignore_index``
    keep the image. With ``blend=False`` Keras returns the painted images as a float32
    backend tensor (unblended, ignored pixels included), so kerasish returns a torch tensor."""
    data_format = data_format or backend.image_data_format()
    images = convert_to_numpy(images)
    masks = convert_to_numpy(segmentation_masks)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}"
        )
    if masks.ndim != 4 or masks.shape[-1 if data_format == "channels_last" else 1] != 1:
        raise ValueError(
            "draw_segmentation_masks: `segmentation_masks` must have shape "
            "(batch, height, width, 1) (channels_last) or (batch, 1, height, width) "
            f"(channels_first). Received: segmentation_masks.shape={tuple(masks.shape)}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
        masks = masks.transpose(0, 2, 3, 1)
    images = images.astype("float32")
    if not backend.is_int_dtype(masks.dtype):
        raise TypeError(
            "`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={backend.standardize_dtype(masks.dtype)}"
        )
    if num_classes is None:
        valid_values = np.where(masks != ignore_index, masks, -1)
        num_classes = max(1, int(valid_values.max()) + 1)
    if color_mapping is None:
        colors = _generate_color_palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]
    masks = masks[..., 0]
    valid = masks != ignore_index
    painted = images.copy()
    for class_index, color in enumerate(colors):
        painted[masks == class_index] = np.asarray(color, dtype="float32")[None, :]
    if not blend:
        return torch.from_numpy(painted)
    blended = images * (1 - alpha) + painted * alpha
    return np.where(valid[..., None], blended, images).astype("uint8")


def _generate_color_palette(num_classes: int) -> list:
    """Keras' deterministic palette, so the same class gets the same color as in Keras."""
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]
