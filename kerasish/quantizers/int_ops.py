"""int8 x int8 products with Keras 3's torch-backend results, on torch's fast float kernels.

Keras' torch backend multiplies int8 operands as int32 on the CPU (exact sums) and, on CUDA,
with ``torch._int_mm`` when the shapes allow it, else in float32. Integer matmuls have no BLAS
kernel on the CPU, so here exact sums come from floats: products of int8 values are at most
127 * 127, so float32 sums of up to 1040 of them are exact integers (below 2**24), and float64
sums are exact for any realistic width. Results are float32 holding Keras' int32 values.
"""

from __future__ import annotations

import torch

# 1040 * 127 * 127 < 2 ** 24: float32 accumulates this many int8 products exactly.
_EXACT_FLOAT32_TERMS = 1040


def _exact_dtype(terms: int) -> torch.dtype:
    return torch.float32 if terms <= _EXACT_FLOAT32_TERMS else torch.float64


def _int_mm_applies(x: torch.Tensor, kernel: torch.Tensor) -> bool:
    """Keras' conditions for ``torch._int_mm`` (CUDA, 2-D, sizes multiples of 8)."""
    if x.device.type != "cuda" or x.ndim != 2:
        return False
    rows, inner = x.shape
    cols = kernel.shape[0]
    return rows > 16 and inner >= 16 and inner % 8 == 0 and cols % 8 == 0


def int8_linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x @ weight.T`` for int8 ``x`` (..., in) and int8 ``weight`` (out, in), as float32."""
    if x.device.type == "cuda":
        if _int_mm_applies(x, weight):
            try:
                return torch._int_mm(x, weight.t().contiguous()).to(torch.float32)
            except RuntimeError:
                pass
        return torch.nn.functional.linear(x.to(torch.float32), weight.to(torch.float32))
    dtype = _exact_dtype(weight.shape[-1])
    out = torch.nn.functional.linear(x.to(dtype), weight.to(dtype))
    return out.to(torch.float32)


def int8_einsum(equation: str, x: torch.Tensor, kernel: torch.Tensor, terms: int) -> torch.Tensor:
    """``einsum(equation, x, kernel)`` of int8 operands summing ``terms`` products, as float32."""
    dtype = torch.float32 if x.device.type == "cuda" else _exact_dtype(terms)
    return torch.einsum(equation, x.to(dtype), kernel.to(dtype)).to(torch.float32)
