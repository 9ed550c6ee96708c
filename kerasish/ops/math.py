"""Math ops (``keras.ops`` math namespace): top-k, log-sum-exp, error functions, segment
reductions, Fourier transforms."""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op


def _float(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    return x if x.is_floating_point() else x.float()


@keras_op
def top_k(x: Any, k: int, sorted: bool = True) -> tuple:  # noqa: A002
    """``(values, indices)`` of the ``k`` largest entries along the last axis."""
    result = torch.topk(to_tensor(x), k, dim=-1, largest=True, sorted=sorted)
    return result.values, result.indices


@keras_op
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = _float(x)
    if axis is None:
        axis = tuple(range(x.ndim))
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


@keras_op
def erf(x: Any) -> torch.Tensor:
    return torch.erf(_float(x))


@keras_op
def erfinv(x: Any) -> torch.Tensor:
    return torch.erfinv(_float(x))


@keras_op
def rsqrt(x: Any) -> torch.Tensor:
    return torch.rsqrt(_float(x))


# ------------------------------------------------------------------ segments, top-k membership


def _segment(data: Any, segment_ids: Any, num_segments: Any, reduction: str) -> torch.Tensor:
    """Keras' torch segment reduction: computed in float32 (as Keras does), ids outside
    ``[0, num_segments)`` dropped, empty segments at the reduction's identity (0, 1, -inf, inf)
    cast to the data's dtype. Without ``num_segments`` the count comes from the ids' maximum,
    which syncs with the device."""
    data = to_tensor(data)
    ids = to_tensor(segment_ids, device=data.device).long()
    if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(
            "`segment_ids` must be 1-D with one id per row of `data`. Received: "
            f"data.shape={tuple(data.shape)}, segment_ids.shape={tuple(ids.shape)}"
        )
    count = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    ids = torch.where((ids >= 0) & (ids < count), ids, count)
    index = ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand(data.shape)
    identity = {"sum": 0.0, "prod": 1.0, "amax": float("-inf"), "amin": float("inf")}[reduction]
    result = torch.full((count + 1,) + tuple(data.shape[1:]), identity, dtype=torch.float32, device=data.device)
    result = result.scatter_reduce(0, index, data.float(), reduction)
    return result[:-1].to(data.dtype)


@keras_op
def segment_sum(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> torch.Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "sum")


@keras_op
def segment_max(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> torch.Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "amax")


@keras_op
def segment_min(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> torch.Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "amin")


@keras_op
def segment_prod(data: Any, segment_ids: Any, num_segments: Any = None, sorted: bool = False) -> torch.Tensor:  # noqa: A002
    return _segment(data, segment_ids, num_segments, "prod")


@keras_op
def in_top_k(targets: Any, predictions: Any, k: int) -> torch.Tensor:
    """Whether each target's prediction is at least the k-th largest (ties count as in)."""
    predictions = to_tensor(predictions)
    targets = to_tensor(targets, device=predictions.device).long()[:, None]
    kth = torch.topk(predictions, k, dim=-1).values
    return torch.any(torch.take_along_dim(predictions, targets, dim=-1) >= kth, dim=-1)


# ------------------------------------------------------------------ Fourier transforms


def _complex(x: Any, name: str) -> torch.Tensor:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"`{name}` takes a tuple of two tensors (real, imag). Received: x={x!r}"
        )
    real, imag = (to_tensor(part) for part in x)
    if real.shape != imag.shape:
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. Both the real "
            f"and imaginary parts should have the same shape. Received: x[0].shape = "
            f"{tuple(real.shape)}, x[1].shape = {tuple(imag.shape)}"
        )
    if not (real.is_floating_point() and imag.is_floating_point()):
        raise ValueError(
            "At least one tensor in input `x` is not of type float. "
            f"Received: x={x}."
        )
    return torch.complex(real, imag.to(real.dtype))


@keras_op
def fft(x: Any) -> tuple:
    out = torch.fft.fft(_complex(x, "fft"))
    return out.real, out.imag


@keras_op
def fft2(x: Any) -> tuple:
    out = torch.fft.fft2(_complex(x, "fft2"))
    return out.real, out.imag


@keras_op
def ifft2(x: Any) -> tuple:
    out = torch.fft.ifft2(_complex(x, "ifft2"))
    return out.real, out.imag


@keras_op
def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> torch.Tensor:
    """Frames of the last axis; a copy (as Keras' ``unfold_copy``), so callers may write."""
    return torch.unfold_copy(to_tensor(x), -1, sequence_length, sequence_stride)


@keras_op
def rfft(x: Any, fft_length: Optional[int] = None) -> tuple:
    out = torch.fft.rfft(to_tensor(x), n=fft_length, dim=-1, norm="backward")
    return out.real, out.imag


@keras_op
def irfft(x: Any, fft_length: Optional[int] = None) -> torch.Tensor:
    return torch.fft.irfft(_complex(x, "irfft"), n=fft_length, dim=-1, norm="backward")


# ------------------------------------------------------------------ complex views


@keras_op
def view_as_complex(x: Any) -> torch.Tensor:
    """``(..., 2)`` real/imaginary pairs as complex64 (Keras casts any input to complex64)."""
    x = to_tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            "Last dimension of input must be size 2 (real and imaginary). "
            f"Received shape: {tuple(x.shape)}"
        )
    return x[..., 0].to(torch.complex64) + 1j * x[..., 1].to(torch.complex64)


@keras_op
def view_as_real(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    return torch.stack((torch.real(x), torch.imag(x)), dim=-1)


@keras_op
def polar(abs_: Any, angle: Any) -> torch.Tensor:
    """``abs_ * (cos(angle) + i sin(angle))``, Keras' float dtype rules for both parts."""
    from kerasish.ops import numpy as _numpy

    abs_, angle = to_tensor(abs_), to_tensor(angle)
    real = _numpy.multiply.eager(abs_, _numpy.cos.eager(angle))
    imag = _numpy.multiply.eager(abs_, _numpy.sin.eager(angle))
    return _complex((real, imag), "polar")
