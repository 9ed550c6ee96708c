"""Math ops (``keras.ops`` math namespace): top-k, log-sum-exp, error functions."""

from __future__ import annotations

from typing import Any

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
