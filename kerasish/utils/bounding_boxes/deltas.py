"""Anchor-relative box regression targets (SSD/RetinaNet style) and their inverse.

Both sides move to a centre format first (``center_yxhw`` by default): the deltas are the centre
offset in anchor sizes and the log size ratio, optionally divided by a 4-element variance.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.utils.bounding_boxes.conversion import as_tensor, convert_format, image_size

_CENTRE_FORMATS = ("center_xywh", "center_yxhw")


def _variance(variance: Any) -> Optional[torch.Tensor]:
    if variance is None:
        return None
    variance = as_tensor(variance).to(torch.float32)
    if variance.ndim == 0 or variance.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def encode_box_to_deltas(
    anchors: Any,
    boxes: Any,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Optional[Sequence[int]] = None,
) -> torch.Tensor:
    """Deltas taking ``anchors`` (``(N, 4)``) to ``boxes`` (``(N, 4)`` or ``(B, N, 4)``)."""
    variance = _variance(variance)
    if encoding_format not in _CENTRE_FORMATS:
        raise ValueError(
            "`encoding_format` should be one of 'center_xywh' or "
            f"'center_yxhw', got {encoding_format}"
        )
    height, width = image_size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    eps = backend.epsilon()
    anchor_size = anchors[..., 2:].clamp_min(eps)
    box_size = boxes[..., 2:].clamp_min(eps)
    deltas = torch.cat(
        [(boxes[..., :2] - anchors[..., :2]) / anchor_size, torch.log(box_size / anchor_size)],
        dim=-1,
    )
    if variance is not None:
        deltas = deltas / variance.to(deltas.device)
    return deltas


def decode_deltas_to_boxes(
    anchors: Any,
    boxes_delta: Any,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Optional[Sequence[int]] = None,
) -> Any:
    """Boxes in ``box_format`` from deltas on ``anchors``; dicts of per-level anchors and deltas
    give a dict of boxes with the anchors' keys."""
    variance = _variance(variance)
    if encoded_format not in _CENTRE_FORMATS:
        raise ValueError(
            f"`encoded_format` should be 'center_xywh' or 'center_yxhw', "
            f"but got '{encoded_format}'."
        )
    height, width = image_size(image_shape)

    def decode(anchor: Any, delta: Any) -> torch.Tensor:
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = as_tensor(delta)
        if variance is not None:
            delta = delta * variance.to(delta.device)
        box = torch.cat(
            [
                delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                torch.exp(delta[..., 2:]) * anchor[..., 2:],
            ],
            dim=-1,
        )
        return convert_format(box, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
