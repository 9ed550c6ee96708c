"""Keras 3's quantization arithmetic on torch tensors (``keras.quantizers.*`` functions).

Every formula is Keras 3.15's, operation for operation in the same dtype, so the quantized
values and scales are bit-identical to the ones Keras computes: Keras' ``to_numpy=True`` paths
run the same float32 IEEE operations in NumPy (division, ``round`` half to even, ``clip``), and
its tensor paths are its torch backend's. ``to_numpy`` is accepted for Keras' signature; the
values do not depend on it, only where Keras computes them, so here they are computed on the
tensor's own device.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Union

import torch

from kerasish import backend
from kerasish.utils import numpy_values

Axis = Union[int, Sequence[int]]

_FLOAT8_MAX = {"float8_e4m3fn": 448.0, "float8_e5m2": 57344.0}


def _tensor(value: Any) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else numpy_values.to_tensor(value)


def _dims(axis: Axis, ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axes)


class Quantizer:
    """Base class of Keras' quantizers: ``quantizer(x)`` returns what it quantizes to."""

    def __init__(self, output_dtype: str = "int8") -> None:
        self.output_dtype = output_dtype

    def __call__(self, x: Any) -> Any:
        return x

    @classmethod
    def from_config(cls, config: dict) -> Quantizer:
        return cls(**config)

    def get_config(self) -> dict:
        raise NotImplementedError(f"{self} does not implement get_config()")


def abs_max_quantize(
    inputs: Any,
    axis: Axis,
    value_range: tuple = (-127, 127),
    dtype: str = "int8",
    epsilon: float = backend.epsilon(),
    to_numpy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric quantization: ``round(x * max_q / (max|x| + eps))`` clipped to ``value_range``.

    Returns the quantized tensor and the scale (kept dims, in the input's float dtype).
    """
    inputs = _tensor(inputs)
    dims = _dims(axis, inputs.ndim)
    # A tensor numerator: ``number / tensor`` is ``reciprocal() * number`` in torch, an ulp off.
    peak = torch.amax(inputs.abs(), dim=dims, keepdim=True) + epsilon
    scale = torch.div(peak.new_tensor(value_range[1]), peak)
    scale = scale.to(inputs.dtype)
    outputs = torch.clip(torch.round(inputs * scale), value_range[0], value_range[1])
    return outputs.to(backend.torch_dtype(dtype)), scale


def abs_max_quantize_grouped_with_zero_point(
    inputs: Any,
    block_size: int,
    value_range: tuple = (-8, 7),
    dtype: str = "int8",
    epsilon: float = backend.epsilon(),
    to_numpy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Asymmetric quantization of a 2-D ``(rows, cols)`` tensor in groups of ``block_size``
    rows: one scale and zero point per group and column, shapes ``(ceil(rows / block), cols)``.

    The two Keras paths differ (the tensor one widens constant groups by one on each side and
    floors tiny scales), so both are kept: layers quantize with ``to_numpy=True``.
    """
    inputs = _tensor(inputs)
    if to_numpy:
        return _grouped_numpy_formula(inputs, block_size, value_range, dtype, epsilon)
    return _grouped_tensor_formula(inputs, block_size, value_range, dtype, epsilon)


def _pad_rows(inputs: torch.Tensor, block_size: int) -> tuple[torch.Tensor, int]:
    rows = inputs.shape[0]
    groups = math.ceil(rows / block_size)
    padding = groups * block_size - rows
    if padding:
        # Zero rows, as Keras pads: they take part in the last group's min and max.
        inputs = torch.cat([inputs, inputs.new_zeros((padding,) + tuple(inputs.shape[1:]))])
    return inputs, groups


def _grouped_numpy_formula(
    inputs: torch.Tensor, block_size: int, value_range: tuple, dtype: str, epsilon: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rows, cols = inputs.shape
    qmin, qmax = value_range
    padded, groups = _pad_rows(inputs, block_size)
    blocks = padded.reshape(groups, block_size, cols)
    low = blocks.amin(dim=1, keepdim=True)
    high = blocks.amax(dim=1, keepdim=True)
    scale = (high - low + epsilon) / (qmax - qmin)
    zero = torch.clip(torch.round(-low / scale) + qmin, qmin, qmax)
    outputs = torch.clip(torch.round(blocks / scale) + zero, qmin, qmax)
    outputs = outputs.to(backend.torch_dtype(dtype)).reshape(-1, cols)[:rows]
    return outputs, scale.squeeze(1), zero.squeeze(1).to(torch.int8)


def _grouped_tensor_formula(
    inputs: torch.Tensor, block_size: int, value_range: tuple, dtype: str, epsilon: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rows, cols = inputs.shape
    qmin, qmax = value_range
    bits = int(math.log2(qmax - qmin + 1))
    scale_t, zero_t, _ = compute_quantization_parameters(
        inputs.t(), bits=bits, symmetric=False, per_channel=True, group_size=block_size,
        compute_dtype=backend.standardize_dtype(inputs.dtype), epsilon=epsilon, signed=True,
    )
    scale, zero = scale_t.t(), zero_t.t()
    padded, groups = _pad_rows(inputs, block_size)
    blocks = padded.reshape(groups, block_size, cols)
    outputs = torch.round(blocks / scale.unsqueeze(1)) + zero.unsqueeze(1)
    outputs = torch.clip(outputs, qmin, qmax).to(backend.torch_dtype(dtype))
    return outputs.reshape(-1, cols)[:rows], scale, zero


def compute_quantization_parameters(
    x: Any,
    *,
    bits: int,
    symmetric: bool = False,
    per_channel: bool = False,
    group_size: int = -1,
    compute_dtype: str = "float32",
    epsilon: float = 0.0,
    signed: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Scale and zero point of an ``(out, in)`` weight: per tensor, per channel or per group
    of ``group_size`` input columns (Keras' GPTQ helper, also used by the grouped quantizer)."""
    if x is None:
        raise ValueError(f"Input tensor {x} cannot be None.")
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"Input weight tensor {x} must have a rank of at least 2, but got rank {x.ndim}."
        )
    if x.numel() == 0:
        raise ValueError("Input tensor 'x' cannot be empty.")
    out_features, in_features = x.shape[0], x.shape[1]
    groups = (in_features + group_size - 1) // group_size if per_channel and group_size > 0 else 1
    if groups > 1:
        remainder = in_features % group_size
        if remainder:
            x = torch.nn.functional.pad(x, (0, group_size - remainder))
        grouped = x.reshape(out_features, groups, group_size)
        low, high = grouped.amin(dim=2), grouped.amax(dim=2)
    else:
        flat = x.reshape(out_features, -1) if per_channel else x.reshape(1, -1)
        low, high = flat.amin(dim=1), flat.amax(dim=1)
    if symmetric:
        max_abs = torch.maximum(low.abs(), high)
        low = torch.where(low < 0, -max_abs, low)
        high = max_abs
    constant = low == high
    low = torch.where(constant, low - 1, low)
    high = torch.where(constant, high + 1, high)
    maxq = torch.tensor(2**bits - 1, dtype=backend.torch_dtype(compute_dtype), device=x.device)
    spread = high - low
    if epsilon > 0:
        spread = spread + epsilon
    scale = spread / maxq
    scale = torch.where(scale <= 0, torch.full_like(scale, 1e-8), scale)
    if signed:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        if symmetric:
            zero = torch.full_like(scale, float((maxq + 1) / 2 + qmin))
        else:
            zero = torch.round(-low / scale) + qmin
        zero = torch.clip(zero, qmin, qmax)
    elif symmetric:
        zero = torch.full_like(scale, float((maxq + 1) / 2))
    else:
        zero = torch.round(-low / scale)
    if groups == 1:
        if per_channel:
            scale, zero = scale.reshape(-1, 1), zero.reshape(-1, 1)
        else:
            scale = scale.reshape(1, 1).repeat(out_features, 1)
            zero = zero.reshape(1, 1).repeat(out_features, 1)
    return scale, zero.to(torch.int8 if signed else torch.uint8), maxq


class AbsMaxQuantizer(Quantizer):
    """``abs_max_quantize`` as an object: the default weight and activation quantizer."""

    def __init__(
        self,
        axis: Optional[Axis] = None,
        value_range: tuple = (-127, 127),
        epsilon: float = backend.epsilon(),
        output_dtype: str = "int8",
    ) -> None:
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the "
                f"interval [-128, 127]. Received: value_range={value_range}"
            )

    def __call__(self, x: Any, axis: Optional[Axis] = None, to_numpy: bool = False):
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon)

    def get_config(self) -> dict:
        config = {
            "value_range": self.value_range,
            "epsilon": self.epsilon,
            "output_dtype": self.output_dtype,
        }
        if self.axis is not None:
            config["axis"] = self.axis
        return config


def pack_int4(arr: Any, axis: int = 0, dtype: str = "int8") -> tuple[torch.Tensor, tuple, int]:
    """Two int4 values per byte along ``axis``: the first of each pair in the low nibble.

    Returns ``(packed, packed_shape, original_length)``; an odd length is padded with a zero.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    arr = _tensor(arr)
    if backend.standardize_dtype(arr.dtype) != dtype:
        raise TypeError(
            f"Expected {dtype} tensor for packing, got {backend.standardize_dtype(arr.dtype)}."
        )
    front = arr.movedim(axis, 0).to(torch.int16)
    length = front.shape[0]
    if length % 2:
        front = torch.cat([front, front.new_zeros((1,) + tuple(front.shape[1:]))])
    packed = (front[0::2] & 0x0F) | ((front[1::2] & 0x0F) << 4)
    packed = packed.to(torch.uint8)
    if dtype == "int8":
        packed = packed.view(torch.int8)
    packed = packed.movedim(0, axis)
    return packed, tuple(packed.shape), length


def unpack_int4(packed: Any, orig_len: int, axis: int = 0, dtype: str = "int8") -> torch.Tensor:
    """Inverse of ``pack_int4``: nibbles back to int4 values (sign-extended for ``int8``)."""
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    packed = _tensor(packed)
    if packed.dtype not in (torch.int8, torch.uint8):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}")
    front = packed.movedim(axis, 0)
    low = front & 0x0F
    high = (front >> 4) & 0x0F
    if dtype == "int8":
        low, high = (low ^ 8) - 8, (high ^ 8) - 8
    target = backend.torch_dtype(dtype)
    unpacked = torch.stack([low.to(target), high.to(target)], dim=1)
    unpacked = unpacked.reshape((-1,) + tuple(front.shape[1:]))[:orig_len]
    return unpacked.movedim(0, axis)


def dequantize_with_sz_map(
    weights_matrix: Any, scale: Any, zero: Any, g_idx: Any, group_axis: int = -1
) -> torch.Tensor:
    """``(w - zero[g]) * scale[g]``, each position's group ``g`` read from ``g_idx``."""
    groups = _tensor(g_idx).to(torch.int32)
    scale, zero = _tensor(scale), _tensor(zero)
    scales = torch.index_select(scale, group_axis, groups)
    zeros = torch.index_select(zero, group_axis, groups).to(scales.dtype)
    return (_tensor(weights_matrix) - zeros) * scales


def quantize_with_zero_point(input_tensor: Any, scale: Any, zero: Any, maxq: Any) -> torch.Tensor:
    """Levels in ``[0, maxq]``: ``round(x / scale + zero)`` (a zero scale read as 1e-8)."""
    scale = _tensor(scale)
    safe = torch.where(scale == 0, torch.full_like(scale, 1e-8), scale)
    levels = torch.round(_tensor(input_tensor) / safe + _tensor(zero).to(scale.dtype))
    return torch.clip(levels, 0, maxq)


def quantize_with_sz_map(
    weights_matrix: Any, scale: Any, zero: Any, g_idx: Any, maxq: Any, group_axis: int = -1
) -> torch.Tensor:
    groups = _tensor(g_idx).to(torch.int32)
    scales = torch.index_select(_tensor(scale), group_axis, groups)
    zeros = torch.index_select(_tensor(zero), group_axis, groups)
    return quantize_with_zero_point(weights_matrix, scales, zeros, maxq)


# ------------------------------------------------------------------ float8


def compute_float8_scale(amax: Any, scale: Any, dtype_max: Any, margin: int = 0) -> torch.Tensor:
    """Delayed scaling's next scale: ``amax / dtype_max * 2**margin`` where ``amax`` is positive
    and finite, else the current scale (Transformer Engine's rule, kept as Keras writes it)."""
    amax, scale = _tensor(amax), _tensor(scale)
    current = torch.reciprocal(scale)
    factor = torch.div(amax.new_tensor(dtype_max), amax) / (2**margin)
    factor = torch.where(amax > 0.0, factor, current)
    factor = torch.where(torch.isfinite(amax), factor, current)
    return torch.reciprocal(factor)


def compute_float8_amax_history(x: Any, amax_history: Any) -> torch.Tensor:
    """The history rolled by one, with ``max|x|`` as its first entry."""
    amax_history = _tensor(amax_history)
    update = _tensor(x).abs().amax().to(amax_history.dtype)
    rolled = torch.roll(amax_history, shifts=-1)
    return torch.cat([update.reshape(1), rolled[1:]])


def quantize_and_dequantize(
    inputs: Any, scale: Any, quantized_dtype: str, compute_dtype: str
) -> torch.Tensor:
    """``inputs / scale`` clipped to the float8 range and rounded to it, then scaled back."""
    if quantized_dtype not in _FLOAT8_MAX:
        raise ValueError(
            f"quantize_and_dequantize: unsupported quantized_dtype {quantized_dtype!r}; "
            f"expected one of {tuple(_FLOAT8_MAX)}."
        )
    compute = backend.torch_dtype(compute_dtype)
    scale = _tensor(scale).to(compute)
    limit = torch.tensor(_FLOAT8_MAX[quantized_dtype], dtype=compute, device=scale.device)
    x = torch.clip(_tensor(inputs) / scale, -limit, limit)
    x = x.to(getattr(torch, quantized_dtype))
    return x.to(compute) * scale
