"""Linear-algebra ops (``keras.ops`` linalg namespace) on ``torch.linalg``.

Inputs are (batches of) matrices in the last two axes, checked as Keras checks them. Like
Keras' torch backend, these keep the input's dtype (torch's kernels take floats only) except
``norm``, which computes in a float dtype as Keras does (float32 for float64 and integers). Decompositions that can fail
(``cholesky``) raise, which makes torch wait for the device.
"""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish import backend
from kerasish.ops.core import same_device_tensors, to_tensor
from kerasish.ops.dispatch import keras_op


def _matrices(x: Any, square: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"Expected input to have rank >= 2. Received input with shape {tuple(x.shape)}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"Expected a square matrix. Received non-square input with shape {tuple(x.shape)}")
    return x


def _check_a_b(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.ndim == b.ndim and a.shape[-2] != b.shape[-2]:
        raise ValueError(
            "Incompatible shapes between `a` and `b`. Expected `a.shape[-2] == b.shape[-2]`. "
            f"Received: a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}"
        )
    if a.ndim == b.ndim + 1 and a.shape[-1] != b.shape[-1]:
        raise ValueError(
            "Incompatible shapes between `a` and `b`. Expected `a.shape[-1] == b.shape[-1]`. "
            f"Received: a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}"
        )


@keras_op
def cholesky(x: Any, upper: bool = False) -> torch.Tensor:
    x = _matrices(x, square=True)
    try:
        return torch.linalg.cholesky(x, upper=upper)
    except RuntimeError as err:
        raise ValueError(f"Cholesky decomposition failed: {err}") from None


@keras_op
def cholesky_inverse(x: Any, upper: bool = False) -> torch.Tensor:
    return torch.cholesky_inverse(_matrices(x, square=True), upper=upper)


@keras_op
def det(x: Any) -> torch.Tensor:
    return torch.det(_matrices(x, square=True))


@keras_op
def logdet(x: Any) -> torch.Tensor:
    return torch.logdet(_matrices(x, square=True))


@keras_op
def slogdet(x: Any) -> tuple:
    """``(sign, log|det|)``."""
    result = torch.linalg.slogdet(_matrices(x, square=True))
    return result.sign, result.logabsdet


@keras_op
def eig(x: Any) -> tuple:
    return tuple(torch.linalg.eig(_matrices(x, square=True)))


@keras_op
def eigh(x: Any) -> tuple:
    return tuple(torch.linalg.eigh(_matrices(x, square=True)))


@keras_op
def inv(x: Any) -> torch.Tensor:
    return torch.linalg.inv(_matrices(x, square=True))


@keras_op
def pinv(x: Any, rcond: Optional[float] = None) -> torch.Tensor:
    return torch.linalg.pinv(_matrices(x), rtol=rcond)


@keras_op
def matrix_rank(x: Any, tol: Optional[float] = None) -> torch.Tensor:
    return torch.linalg.matrix_rank(_matrices(x), atol=tol).to(torch.int32)


@keras_op
def lu_factor(x: Any) -> tuple:
    """``(LU, pivots)`` with 0-based pivots (torch's are 1-based)."""
    lu, pivots = torch.linalg.lu_factor(_matrices(x))
    return lu, pivots - 1


@keras_op
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A002
    x = to_tensor(x)
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(
            "Invalid `ord` argument. Expected one of {'fro', 'nuc'} when using string. "
            f"Received: ord={ord}"
        )
    if x.dtype == torch.int64:
        x = x.to(backend.torch_dtype(backend.floatx()))
    elif x.dtype not in (torch.float16, torch.bfloat16, torch.float32):
        # Keras promotes torch's dtype with a weak float, which reads float64 as float32 too.
        x = x.to(torch.float32)
    if isinstance(axis, list):
        axis = tuple(axis)
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)


@keras_op
def qr(x: Any, mode: str = "reduced") -> tuple:
    if mode not in ("reduced", "complete"):
        raise ValueError(
            "`mode` argument value not supported. Expected one of {'reduced', 'complete'}. "
            f"Received: mode={mode}"
        )
    return tuple(torch.linalg.qr(_matrices(x), mode=mode))


@keras_op
def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    x = _matrices(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@keras_op
def solve(a: Any, b: Any) -> torch.Tensor:
    a, b = same_device_tensors(a, b)
    a = _matrices(a, square=True)
    _check_a_b(a, b)
    return torch.linalg.solve(a, b)


@keras_op
def solve_triangular(a: Any, b: Any, lower: bool = False) -> torch.Tensor:
    a, b = same_device_tensors(a, b)
    a = _matrices(a, square=True)
    _check_a_b(a, b)
    if b.ndim == a.ndim - 1:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@keras_op
def lstsq(a: Any, b: Any, rcond: Optional[float] = None) -> torch.Tensor:
    """The least-squares solution only (Keras drops NumPy's residuals, rank and singular
    values); an explicit ``rcond`` uses the SVD driver, which reads it as NumPy does."""
    a, b = same_device_tensors(a, b)
    a = _matrices(a)
    if rcond is None:
        return torch.linalg.lstsq(a, b).solution
    if a.device.type == "cuda":
        return torch.linalg.pinv(a, rtol=rcond) @ b
    return torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
