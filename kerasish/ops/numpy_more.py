"""More ``keras.ops`` of the numpy namespace: window functions, NaN-skipping arg-reductions
and cumulative ops, correlation, and ``saturate_cast``, with Keras 3's torch-backend dtypes.

The NaN ops are written, as in Keras, on top of the plain ops (``argmax``, ``cumsum``...), so
they inherit those ops' dtype rules.
"""

from __future__ import annotations

import builtins
from typing import Any, Optional

import torch

from kerasish import backend
from kerasish.ops import numpy as _numpy
from kerasish.ops import numpy_extra as _extra
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op
from kerasish.ops.numpy_extra import _keras_promote


def _window_length(x: Any, name: str) -> int:
    """Windows are shaped by ``x``; Keras (torch) reads it on the host as well, and refuses
    symbolic lengths."""
    if isinstance(x, torch.Tensor):
        return int(x)
    if not isinstance(x, int):
        raise TypeError(f"{name} expects an integer window length. Received: x={x!r}")
    return x


@keras_op
def bartlett(x: Any) -> torch.Tensor:
    return torch.signal.windows.bartlett(_window_length(x, "bartlett"), dtype=torch.float32)


@keras_op
def blackman(x: Any) -> torch.Tensor:
    return torch.signal.windows.blackman(_window_length(x, "blackman"), dtype=torch.float32)


@keras_op
def hamming(x: Any) -> torch.Tensor:
    return torch.signal.windows.hamming(_window_length(x, "hamming"), dtype=torch.float32)


@keras_op
def hanning(x: Any) -> torch.Tensor:
    return torch.signal.windows.hann(_window_length(x, "hanning"), dtype=torch.float32)


@keras_op
def kaiser(x: Any, beta: float) -> torch.Tensor:
    return torch.signal.windows.kaiser(_window_length(x, "kaiser"), beta=beta, dtype=torch.float32)


def _nan_arg(x: Any, axis: Any, keepdims: bool, reduce: Any, fill: float) -> torch.Tensor:
    x = to_tensor(x)
    if not x.is_floating_point():
        return reduce(x.to(torch.int32) if x.dtype == torch.bool else x, axis=axis, keepdims=keepdims)
    nan = torch.isnan(x)
    index = reduce(torch.where(nan, fill, x), axis=axis, keepdims=keepdims)
    all_nan = nan.all() if axis is None else nan.all(dim=axis, keepdim=keepdims)
    if axis is None and keepdims:
        all_nan = all_nan.reshape(index.shape)
    return torch.where(all_nan, torch.tensor(-1, dtype=torch.int32, device=x.device), index)


@keras_op
def nanargmax(x: Any, axis: Optional[int] = None, keepdims: bool = False) -> torch.Tensor:
    """``argmax`` skipping NaNs; -1 where a slice is all NaN."""
    return _nan_arg(x, axis, keepdims, _numpy.argmax.eager, float("-inf"))


@keras_op
def nanargmin(x: Any, axis: Optional[int] = None, keepdims: bool = False) -> torch.Tensor:
    """``argmin`` skipping NaNs; -1 where a slice is all NaN."""
    return _nan_arg(x, axis, keepdims, _numpy.argmin.eager, float("inf"))


# Keras' cumulative ops resolve their dtype with ``result_type`` of one dtype, which (64-bit
# types off, as in Keras' default config) narrows float64/int64 to 32 bits.
_NARROW = {torch.float64: torch.float32, torch.int64: torch.int32, torch.bool: torch.int32}


def _cumulative(x: torch.Tensor, axis: Optional[int], dtype: Any, fn: Any) -> torch.Tensor:
    if axis is None:
        x, axis = x.flatten(), 0
    target = backend.torch_dtype(dtype) if dtype is not None else x.dtype
    target = _NARROW.get(target, target)
    if target == torch.float16 and x.device.type == "cpu":
        return fn(x, dim=axis, dtype=torch.float32).to(torch.float16)
    return fn(x, dim=axis, dtype=target)


@keras_op
def nancumsum(x: Any, axis: Optional[int] = None, dtype: Any = None) -> torch.Tensor:
    """As Keras: NaNs count as 0 and infinities become the largest finite values first."""
    return _cumulative(_extra.nan_to_num.eager(x), axis, dtype, torch.cumsum)


@keras_op
def nancumprod(x: Any, axis: Optional[int] = None, dtype: Any = None) -> torch.Tensor:
    """As Keras: NaNs count as 1 and infinities become the largest finite values first."""
    return _cumulative(_extra.nan_to_num.eager(x, nan=1.0), axis, dtype, torch.cumprod)


@keras_op
def corrcoef(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(backend.torch_dtype(backend.floatx()))
    elif x.dtype == torch.int64:
        x = x.to(torch.float64)
    return torch.corrcoef(x)


@keras_op
def correlate(x1: Any, x2: Any, mode: str = "valid") -> torch.Tensor:
    """Cross-correlation of the last axes (batched over leading axes), one grouped conv1d."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full'. Received: mode={mode!r}")
    x1, x2 = to_tensor(x1), to_tensor(x2)
    dtype = _keras_promote(x1.dtype, x2.dtype)
    if dtype == torch.int64:
        dtype = torch.float64
    elif dtype not in (torch.bfloat16, torch.float16, torch.float64):
        dtype = torch.float32
    x1, x2 = x1.to(dtype), x2.to(device=x1.device, dtype=dtype)
    len1, len2 = x1.shape[-1], x2.shape[-1]
    if x1.shape[:-1] != x2.shape[:-1]:
        batch = [builtins.max(i, j) for i, j in zip(x1.shape[:-1], x2.shape[:-1])]
        x1 = x1.broadcast_to(batch + [len1])
        x2 = x2.broadcast_to(batch + [len2])
    lead = x1.shape[:-1]
    signals = x1.reshape(-1, len1)
    kernels = x2.reshape(-1, len2)
    out = torch.nn.functional.conv1d(signals, kernels.unsqueeze(1), groups=signals.shape[0],
                                     padding=len2 - 1)
    out = out.reshape(*lead, -1) if lead else out.reshape(-1)
    if mode == "valid":
        length = builtins.max(len1, len2) - builtins.min(len1, len2) + 1
        start = (out.shape[-1] - length) // 2
        out = out[..., start : start + length]
    elif mode == "same":
        start = (out.shape[-1] - len1) // 2
        out = out[..., start : start + len1]
    return out.squeeze()


def _limits(dtype: torch.dtype) -> tuple:
    if dtype == torch.bool:
        return 0, 1
    info = torch.finfo(dtype) if dtype.is_floating_point else torch.iinfo(dtype)
    return info.min, info.max


def _scalar(value: Any) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64 if isinstance(value, float) else torch.int64)


@keras_op
def saturate_cast(x: Any, dtype: Any) -> torch.Tensor:
    """Clip to the target range (nudged inside it where the bound is not representable in the
    input dtype, as Keras does), then cast. The bounds are computed from dtypes only."""
    x = to_tensor(x)
    target = backend.torch_dtype(dtype)
    in_min, in_max = _limits(x.dtype)
    out_min, out_max = _limits(target)
    bound_dtype = torch.float64 if x.dtype == torch.bool else x.dtype
    low = _scalar(builtins.max(in_min, out_min)).to(bound_dtype)
    high = _scalar(builtins.min(in_max, out_max)).to(bound_dtype)
    if low.is_floating_point():
        zero = torch.zeros((), dtype=bound_dtype)
        if low < out_min:
            low = torch.nextafter(low, zero)
        if high > out_max:
            high = torch.nextafter(high, zero)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return x.clamp(low.item(), high.item()).to(target)


def _nan_quantile(x: Any, q: Any, axis: Any, method: str, keepdims: bool) -> torch.Tensor:
    x = to_tensor(x)
    compute = _keras_promote(x.dtype, torch.float32)
    result_dtype = _keras_promote(x.dtype, weak_float=True)
    x = x.to(compute)
    q = to_tensor(q, device=x.device).to(compute)
    if axis is None:
        out = torch.nanquantile(x.reshape(-1), q, dim=-1, interpolation=method)
        if keepdims:
            out = out.reshape(tuple(out.shape) + (1,) * x.ndim)
        return out.to(result_dtype)
    axes = sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    kept = [d for d in range(x.ndim) if d not in axes]
    moved = x.permute(*kept, *axes).reshape([x.shape[d] for d in kept] + [-1])
    out = torch.nanquantile(moved, q, dim=-1, interpolation=method)
    if keepdims:
        for a in axes:
            out = out.unsqueeze(a + 1 if q.ndim > 0 else a)
    return out.to(result_dtype)


@keras_op
def nanquantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> torch.Tensor:
    """``quantile`` over the non-NaN values (NaN where a slice is all NaN)."""
    return _nan_quantile(x, q, axis, method, keepdims)


@keras_op
def nanpercentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> torch.Tensor:
    q = to_tensor(q, dtype=backend.floatx()) / 100.0
    return _nan_quantile(x, q, axis, method, keepdims)


@keras_op
def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    if axis == () or axis == []:
        return to_tensor(x)
    return _nan_quantile(x, 0.5, axis, "linear", keepdims)


@keras_op
def view(x: Any, dtype: Any = None) -> torch.Tensor:
    """The same memory read as ``dtype`` (the last axis rescales with the item size)."""
    x = to_tensor(x)
    if dtype is None:
        return x.view(x.shape)
    return x.view(backend.torch_dtype(dtype))


@keras_op
def get_item(x: Any, key: Any) -> torch.Tensor:
    """``x[key]`` (a list key indexes like a tuple, as Keras' op does); always a tensor."""
    return to_tensor(x)[tuple(key) if isinstance(key, list) else key]
