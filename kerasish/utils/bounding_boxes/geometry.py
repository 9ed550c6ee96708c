"""Clipping, cropping, padding and affine warping of ``xyxy`` boxes, as Keras 3's image layers
apply them to their ``bounding_boxes``.

Keras 3 implements these for ``xyxy`` only (``clip_to_image_size`` also for ``rel_xyxy``) and
raises a bare ``NotImplementedError`` otherwise; kerasish raises the same type, with the name.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch

from kerasish.utils.bounding_boxes.conversion import Size, as_tensor


def _require_xyxy(function: str, bounding_box_format: str, allowed: tuple = ("xyxy",)) -> None:
    if bounding_box_format not in allowed:
        raise NotImplementedError(
            f"keras.utils.bounding_boxes.{function}: bounding_box_format="
            f"'{bounding_box_format}' is not implemented (Keras 3 supports {list(allowed)})."
        )


def _operand(value: Any, like: torch.Tensor) -> Any:
    """Tensors move to the boxes' device; Python numbers stay numbers (torch's own promotion)."""
    if isinstance(value, torch.Tensor) or hasattr(value, "__array__"):
        return as_tensor(value).to(like.device)
    return value


def clip_to_image_size(
    bounding_boxes: dict,
    height: Size = None,
    width: Size = None,
    bounding_box_format: str = "xyxy",
) -> dict:
    """Clip to the image; labels of boxes left with no area become -1. Returns a shallow copy of
    the dict, as Keras does."""
    _require_xyxy("clip_to_image_size", bounding_box_format, ("xyxy", "rel_xyxy"))
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise TypeError(
            "keras.utils.bounding_boxes.clip_to_image_size expects a dict with a 'boxes' entry "
            f"(and optionally 'labels'). Received: type={type(bounding_boxes).__name__}"
        )
    boxes = as_tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    if bounding_box_format == "xyxy":
        w = as_tensor(width).to(device=boxes.device, dtype=boxes.dtype)
        h = as_tensor(height).to(device=boxes.device, dtype=boxes.dtype)
    else:
        w = h = 1.0
    x1, y1, x2, y2 = boxes.unbind(-1)
    boxes = torch.stack([x1.clip(0, w), y1.clip(0, h), x2.clip(0, w), y2.clip(0, h)], dim=-1)
    result = bounding_boxes.copy()
    result["boxes"] = boxes
    if labels is not None:
        x1, y1, x2, y2 = boxes.unbind(-1)
        labels = as_tensor(labels).to(boxes.device)
        result["labels"] = torch.where((x2 - x1) * (y2 - y1) > 0, labels, -1)
    return result


def _shift(boxes: torch.Tensor, dx: Any, dy: Any) -> tuple:
    x1, y1, x2, y2 = boxes.unbind(-1)
    return x1 + dx, y1 + dy, x2 + dx, y2 + dy


def crop(
    boxes: Any,
    top: Any,
    left: Any,
    height: Size,
    width: Size,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Move the boxes into the crop window's frame and clip them to it."""
    _require_xyxy("crop", bounding_box_format)
    boxes = as_tensor(boxes)
    h, w = _operand(height, boxes), _operand(width, boxes)
    x1, y1, x2, y2 = _shift(boxes, -_operand(left, boxes), -_operand(top, boxes))
    return torch.stack([x1.clip(0, w), y1.clip(0, h), x2.clip(0, w), y2.clip(0, h)], dim=-1)


def pad(
    boxes: Any,
    top: Any,
    left: Any,
    height: Size = None,
    width: Size = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Move the boxes by the padding added above and left of the image (``height``/``width``
    are accepted for Keras' signature and unused, as in Keras)."""
    _require_xyxy("pad", bounding_box_format)
    boxes = as_tensor(boxes)
    return torch.stack(_shift(boxes, _operand(left, boxes), _operand(top, boxes)), dim=-1)


def _inverse_affine_matrix(
    center_x: Any,
    center_y: Any,
    angle: torch.Tensor,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
) -> torch.Tensor:
    """``(batch, 3, 3)`` inverse of rotate-scale-shear-translate about the centre, in Keras'
    (TensorFlow's ``_get_inverse_affine_matrix``) term order."""
    batch = angle.shape[0]
    angle, shear_x, shear_y = -angle, -shear_x, -shear_y
    cx = center_x * (width - 1)
    cy = center_y * (height - 1)
    rot = angle * (1.0 / 180.0 * math.pi)
    tx = -translate_x * (width - 1)
    ty = -translate_y * (height - 1)
    sx = shear_x * (1.0 / 180.0 * math.pi)
    sy = shear_y * (1.0 / 180.0 * math.pi)
    cos_sy = torch.cos(torch.as_tensor(sy, dtype=angle.dtype, device=angle.device))
    tan_sx = torch.tan(torch.as_tensor(sx, dtype=angle.dtype, device=angle.device))
    rot_minus_sy = rot - sy
    cx_plus_tx = cx + tx
    cy_plus_ty = cy + ty
    a = torch.cos(rot_minus_sy) / cos_sy
    b = a * tan_sx + torch.sin(rot)
    c = -torch.sin(rot_minus_sy) / cos_sy
    d = torch.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * cx_plus_tx - a1 * cy_plus_ty
    b2 = cy - b0 * cx_plus_tx - b1 * cy_plus_ty
    zeros = angle.new_zeros(batch)
    columns = [a0, a1, a2, b0, b1, b2, zeros, zeros, angle.new_ones(batch)]
    columns = [torch.broadcast_to(torch.as_tensor(v, dtype=angle.dtype), (batch,)) for v in columns]
    return torch.stack(columns, dim=-1).reshape(batch, 3, 3)


def affine_transform(
    boxes: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
    center_x: Optional[Any] = None,
    center_y: Optional[Any] = None,
    bounding_box_format: str = "xyxy",
) -> torch.Tensor:
    """Warp each box's four corners with the per-image affine matrix and return their
    axis-aligned hull. ``angle`` (and any tensor parameter) holds one value per image."""
    _require_xyxy("affine_transform", bounding_box_format)
    boxes = as_tensor(boxes)
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise ValueError(
            "keras.utils.bounding_boxes.affine_transform expects batched boxes of shape "
            f"(batch_size, num_boxes, 4). Received: boxes.shape={tuple(boxes.shape)}"
        )
    angle = as_tensor(angle).to(boxes.device)
    if angle.ndim != 1:
        raise ValueError(
            "keras.utils.bounding_boxes.affine_transform expects `angle` of shape "
            f"(batch_size,). Received: angle.shape={tuple(angle.shape)}"
        )
    if not angle.is_floating_point():
        angle = angle.float()
    params = [
        _operand(v, boxes)
        for v in (translate_x, translate_y, scale, shear_x, shear_y, height, width)
    ]
    center_x = 0.5 if center_x is None else _operand(center_x, boxes)
    center_y = 0.5 if center_y is None else _operand(center_y, boxes)
    matrix = _inverse_affine_matrix(center_x, center_y, angle, *params)
    batch, n_boxes = boxes.shape[0], boxes.shape[1]
    boxes = boxes.to(matrix.dtype)
    x1, y1, x2, y2 = boxes.unbind(-1)
    corners = torch.stack([x1, y1, x2, y1, x2, y2, x1, y2], dim=-1)
    corners = corners.reshape(batch, n_boxes, 4, 2)
    homogeneous = torch.cat([corners, corners.new_ones(batch, n_boxes, 4, 1)], dim=-1)
    warped = torch.einsum("bnxy,byz->bnxz", homogeneous, matrix[:, :2, :].transpose(1, 2))
    return torch.cat([warped.amin(dim=2), warped.amax(dim=2)], dim=-1)
