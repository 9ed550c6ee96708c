"""Argument checks and window arithmetic shared by the convolution and pooling layers.

Keras pads ``"same"`` the TensorFlow way: the output length is ``ceil(n / stride)`` and when the
total padding is odd the extra cell goes at the end (bottom/right). torch's own padding is
symmetric, so these helpers say how much to pad on each side and the layers decide whether
torch can express it directly or an explicit ``F.pad`` is needed.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn.functional as F

IntOrTuple = Union[int, Sequence[int]]


def check_positive(name: str, value: Any) -> None:
    """Keras' check of ``filters`` and ``depth_multiplier``: an int (not a bool) above zero."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly positive value. "
            f"Received {name}={value}."
        )


def check_groups_is_one(layer_name: str, groups: Any) -> None:
    """tf.keras wrote ``groups: 1`` into the configs of the convolutions that ignore it
    (transposed, depthwise, separable); Keras 3 refuses the key."""
    if groups != 1:
        raise NotImplementedError(
            f"{layer_name}(groups={groups}) is not supported: only groups=1 (what Keras 2 "
            "configs store) is accepted."
        )


def check_strides_dilation(strides: tuple, dilation_rate: tuple) -> None:
    """Keras refuses a convolution both strided and dilated, as TensorFlow's convolution does."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )


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


def symmetric_padding(
    padding: str, kernel_size: tuple, strides: tuple, dilation_rate: tuple
) -> Optional[tuple]:
    """torch's symmetric ``padding=`` when it is known before seeing an input, else None.

    Stride-1 "same" pads ``(k-1)*d`` in all, whatever the input length; when that is odd
    the extra cell goes at the end, which torch's symmetric padding cannot say (and
    torch's own ``padding="same"`` copies the input for it anyway, with a warning).
    Strided "same" depends on each input length and "causal" pads one side only: those
    are worked out per call by ``pad_input``.
    """
    if padding == "valid":
        return (0,) * len(kernel_size)
    if padding == "same" and max(strides) == 1:
        totals = [(k - 1) * d for k, d in zip(kernel_size, dilation_rate)]
        if all(total % 2 == 0 for total in totals):
            return tuple(total // 2 for total in totals)
    return None


def pad_input(
    x: torch.Tensor, padding: str, kernel_size: tuple, strides: tuple, dilation_rate: tuple
) -> tuple[torch.Tensor, Any]:
    """Pad ``x`` (channels-first) as Keras would; return it with torch's ``padding=``."""
    if padding == "causal":
        left = dilation_rate[0] * (kernel_size[0] - 1)
        return F.pad(x, (left, 0)), 0
    pairs = [
        same_padding(size, k, s, d)
        for size, k, s, d in zip(x.shape[2:], kernel_size, strides, dilation_rate)
    ]
    if all(before == after for before, after in pairs):
        return x, tuple(before for before, _ in pairs)
    flat = [amount for pair in reversed(pairs) for amount in pair]
    return F.pad(x, flat), 0


def transpose_crops(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: Optional[int]
) -> tuple[int, int]:
    """How much a transposed convolution's full output is cropped on each side, as Keras does.

    The full output of a transposed convolution (torch with ``padding=0``) has length
    ``(n - 1) * stride + k_eff``. Keras (TF semantics) keeps the window that a convolution of
    the stride-dilated input padded by ``(left, right)`` would give; relative to the full
    output that is a crop of ``k_eff - 1 - left`` before and ``k_eff - 1 - right`` after. A
    negative crop means zeros are added. The crops do not depend on the input length.
    """
    k_eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        left, right = k_eff - 1, k_eff - 1 + extra
    else:
        if output_padding is None:
            total = stride + k_eff - 2  # output length is exactly n * stride
        else:
            total = k_eff + k_eff % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, k_eff - 1)
        right = total - left
    return k_eff - 1 - left, k_eff - 1 - right


def transpose_output_length(
    size: Optional[int],
    kernel: int,
    stride: int,
    padding: str,
    output_padding: Optional[int],
    dilation: int = 1,
) -> Optional[int]:
    """Length of one spatial axis after a transposed convolution; None stays None."""
    if size is None:
        return None
    before, after = transpose_crops(kernel, stride, dilation, padding, output_padding)
    return (size - 1) * stride + (kernel - 1) * dilation + 1 - before - after
