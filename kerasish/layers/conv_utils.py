"""Argument checks and window arithmetic shared by the convolution and pooling layers.

Keras pads ``"same"`` the TensorFlow way: the output length is ``ceil(n / stride)`` and when the
total padding is odd the extra cell goes at the end (bottom/right). torch's own padding is
symmetric, so these helpers say how much to pad on each side and the layers decide whether
torch can express it directly or an explicit ``F.pad`` is needed.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` positive ints, or ValueError."""
    message = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
        try:
            values = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise ValueError(message) from None
    bad = {v for v in values if (v < 0 if allow_zero else v <= 0)}
    if bad:
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"{message}, including values {bad} that do not satisfy `value {requirement}`"
        )
    return values


def standardize_padding(value: Any, allow_causal: bool = False) -> str:
    allowed = {"valid", "same", "causal"} if allow_causal else {"valid", "same"}
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {sorted(allowed)}. Received: {value}"
        )
    return padding


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of one axis under TF ``"same"`` rules."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def output_length(
    size: Optional[int], kernel: int, stride: int, padding: str, dilation: int = 1
) -> Optional[int]:
    """Length of one spatial axis after a convolution or pooling window; None stays None."""
    if size is None:
        return None
    if padding == "valid":
        return (size - ((kernel - 1) * dilation + 1)) // stride + 1
    return (size - 1) // stride + 1


def spatial_axes(shape: Sequence[Any], data_format: str) -> tuple:
    """The spatial part of a full (batch-first) shape."""
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def with_spatial(
    shape: Sequence[Any], spatial: Sequence[Any], channels: Any, data_format: str
) -> tuple:
    """A batch-first shape from its batch size, spatial part and channel count."""
    if data_format == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)
