"""Pairwise IoU tables and the element-wise Complete IoU (CIoU) of Keras 3.

Keras adds ``backend.epsilon()`` at the same places (to the union, and in CIoU to the heights
and the convex diagonal); kerasish reads the same setting, so ``set_epsilon`` affects both.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.utils.bounding_boxes.conversion import as_tensor, convert_format, image_size


def _check_rank(name: str, rank1: int, rank2: int, rank: int) -> None:
    if rank not in (2, 3):
        raise ValueError(
            f"compute_iou() expects {name} to be batched, or to be unbatched. "
            f"Received len(boxes1.shape)={rank1}, len(boxes2.shape)={rank2}. Expected either "
            f"len({name}.shape)=2 AND or len({name}.shape)=3."
        )


def _rows_columns(boxes1: torch.Tensor, boxes2: torch.Tensor) -> tuple:
    """``boxes1`` as ``(..., N, 1, 4)`` and ``boxes2`` as ``(..., 1, M, 4)``: every pair of
    boxes meets by broadcasting, batched or not on either side."""
    return boxes1.unsqueeze(-2), boxes2.unsqueeze(-3)


def compute_iou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val: float = -1,
    image_shape: Optional[Sequence[int]] = None,
) -> torch.Tensor:
    """The ``(N, M)`` (or ``(batch, N, M)``) table of IoUs between every box of ``boxes1`` and
    every box of ``boxes2``. With ``use_masking``, pairs where either box has all four
    coordinates below zero (padding) get ``mask_val``."""
    boxes1, boxes2 = as_tensor(boxes1), as_tensor(boxes2)
    rank1, rank2 = boxes1.ndim, boxes2.ndim
    _check_rank("boxes1", rank1, rank2, rank1)
    _check_rank("boxes2", rank1, rank2, rank2)
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) "
            "the `image_shape` argument must be provided."
            f"Received `image_shape`: {image_shape}"
        )
    height, width = image_size(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height=height, width=width)
    a, b = _rows_columns(boxes1, boxes2)
    top = torch.maximum(a[..., 0], b[..., 0])
    left = torch.maximum(a[..., 1], b[..., 1])
    bottom = torch.minimum(a[..., 2], b[..., 2])
    right = torch.minimum(a[..., 3], b[..., 3])
    intersection = (bottom - top).clamp_min(0) * (right - left).clamp_min(0)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - intersection
    iou = intersection / (union + backend.epsilon())
    if not use_masking:
        return iou
    background = (a.amax(dim=-1) < 0) | (b.amax(dim=-1) < 0)
    return torch.where(background, torch.as_tensor(mask_val, dtype=iou.dtype), iou)


def compute_ciou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    image_shape: Optional[Sequence[int]] = None,
) -> torch.Tensor:
    """CIoU of corresponding boxes (shapes broadcast, last axis 4): IoU minus the normalised
    centre distance and the aspect-ratio penalty. Relative formats are refused, as in Keras."""
    if "rel" in bounding_box_format:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) "
            "the `image_shape` argument must be provided."
            f"Received `image_shape`: {image_shape}"
        )
    height, width = image_size(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    eps = backend.epsilon()
    x_min1, y_min1, x_max1, y_max1 = boxes1.unbind(-1)
    x_min2, y_min2, x_max2, y_max2 = boxes2.unbind(-1)
    width_1 = x_max1 - x_min1
    height_1 = y_max1 - y_min1 + eps
    width_2 = x_max2 - x_min2
    height_2 = y_max2 - y_min2 + eps
    intersection = (torch.minimum(x_max1, x_max2) - torch.maximum(x_min1, x_min2)).clamp_min(0) * (
        torch.minimum(y_max1, y_max2) - torch.maximum(y_min1, y_min2)
    ).clamp_min(0)
    union = width_1 * height_1 + width_2 * height_2 - intersection + eps
    iou = intersection / (union + eps)
    convex_width = torch.maximum(x_max1, x_max2) - torch.minimum(x_min1, x_min2)
    convex_height = torch.maximum(y_max1, y_max2) - torch.minimum(y_min1, y_min2)
    convex_diagonal_squared = convex_width**2 + convex_height**2 + eps
    centers_distance_squared = ((x_min1 + x_max1) / 2 - (x_min2 + x_max2) / 2) ** 2 + (
        (y_min1 + y_max1) / 2 - (y_min2 + y_max2) / 2
    ) ** 2
    v = (4 / math.pi**2) * (torch.atan(width_2 / height_2) - torch.atan(width_1 / height_1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centers_distance_squared / convex_diagonal_squared + v * alpha)
