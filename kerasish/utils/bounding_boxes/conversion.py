"""Conversion between Keras' nine box formats, always through absolute ``xyxy``.

The arithmetic is written in Keras 3's order (``x1 + (x2 - x1) / 2`` for a centre, not
``(x1 + x2) / 2``) so float32 results agree with Keras to the last bit where torch allows.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import torch

from kerasish import backend

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

Size = Optional[Union[int, float, torch.Tensor]]


def as_tensor(value: Any) -> torch.Tensor:
    """A torch view of ``value`` where one exists (numpy arrays share memory)."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return torch.as_tensor(value)


def image_size(image_shape: Optional[Sequence[int]]) -> tuple:
    """``(height, width)`` of a Keras ``image_shape`` ``(height, width, channels)``."""
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def _stack(*columns: torch.Tensor) -> torch.Tensor:
    return torch.stack(columns, dim=-1)


# ---------------------------------------------------------------- to xyxy


def _from_xyxy(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    return b


def _from_yxyx(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    y1, x1, y2, x2 = b.unbind(-1)
    return _stack(x1, y1, x2, y2)


def _from_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, bw, bh = b.unbind(-1)
    return _stack(x1, y1, x1 + bw, y1 + bh)


def _from_center_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    cx, cy, bw, bh = b.unbind(-1)
    half_w, half_h = bw / 2.0, bh / 2.0
    return _stack(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def _from_center_yxhw(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    cy, cx, bh, bw = b.unbind(-1)
    half_w, half_h = bw / 2.0, bh / 2.0
    return _stack(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def _from_rel_xyxy(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return _stack(x1 * w, y1 * h, x2 * w, y2 * h)


def _from_rel_yxyx(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    y1, x1, y2, x2 = b.unbind(-1)
    return _stack(x1 * w, y1 * h, x2 * w, y2 * h)


def _from_rel_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, bw, bh = b.unbind(-1)
    return _stack(x1 * w, y1 * h, (x1 + bw) * w, (y1 + bh) * h)


def _from_rel_center_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    cx, cy, bw, bh = b.unbind(-1)
    half_w, half_h = bw / 2.0, bh / 2.0
    return _stack((cx - half_w) * w, (cy - half_h) * h, (cx + half_w) * w, (cy + half_h) * h)


# ---------------------------------------------------------------- from xyxy


def _to_yxyx(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return _stack(y1, x1, y2, x2)


def _to_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return _stack(x1, y1, x2 - x1, y2 - y1)


def _centres(b: torch.Tensor) -> tuple:
    x1, y1, x2, y2 = b.unbind(-1)
    return x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0, x2 - x1, y2 - y1


def _to_center_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    return _stack(*_centres(b))


def _to_center_yxhw(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    cx, cy, bw, bh = _centres(b)
    return _stack(cy, cx, bh, bw)


def _to_rel_xyxy(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return _stack(x1 / w, y1 / h, x2 / w, y2 / h)


def _to_rel_yxyx(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return _stack(y1 / h, x1 / w, y2 / h, x2 / w)


def _to_rel_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return _stack(x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h)


def _to_rel_center_xywh(b: torch.Tensor, h: Any, w: Any) -> torch.Tensor:
    cx, cy, bw, bh = _centres(b)
    return _stack(cx / w, cy / h, bw / w, bh / h)


Converter = Callable[[torch.Tensor, Any, Any], torch.Tensor]

_TO_XYXY: dict[str, Converter] = {
    "xyxy": _from_xyxy,
    "yxyx": _from_yxyx,
    "xywh": _from_xywh,
    "center_xywh": _from_center_xywh,
    "center_yxhw": _from_center_yxhw,
    "rel_xyxy": _from_rel_xyxy,
    "rel_yxyx": _from_rel_yxyx,
    "rel_xywh": _from_rel_xywh,
    "rel_center_xywh": _from_rel_center_xywh,
}
_FROM_XYXY: dict[str, Converter] = {
    "xyxy": _from_xyxy,
    "yxyx": _to_yxyx,
    "xywh": _to_xywh,
    "center_xywh": _to_center_xywh,
    "center_yxhw": _to_center_yxhw,
    "rel_xyxy": _to_rel_xyxy,
    "rel_yxyx": _to_rel_yxyx,
    "rel_xywh": _to_rel_xywh,
    "rel_center_xywh": _to_rel_center_xywh,
}


def convert_format(
    boxes: Any,
    source: str,
    target: str,
    height: Size = None,
    width: Size = None,
    dtype: Any = "float32",
) -> Any:
    """Keras 3's ``convert_format``: a dict gets its ``"boxes"`` entry replaced in place and is
    returned, as Keras does."""
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(
            boxes["boxes"], source, target, height=height, width=width, dtype=dtype
        )
        return boxes
    boxes = as_tensor(boxes)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` "
            "transforming between relative and absolute formats."
            f"convert_format() received source=`{source}`, target=`{target}, "
            f"but height={height} and width={width}."
        )
    torch_dtype = backend.torch_dtype(dtype)
    boxes = boxes.to(torch_dtype)
    if source == target:
        return boxes
    if width is not None:
        width = as_tensor(width).to(device=boxes.device, dtype=torch_dtype)
    if height is not None:
        height = as_tensor(height).to(device=boxes.device, dtype=torch_dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    xyxy = _TO_XYXY[source](boxes, height, width)
    return _FROM_XYXY[target](xyxy, height, width)
