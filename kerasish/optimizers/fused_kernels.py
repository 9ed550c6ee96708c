"""When torch's fused (one pass, multi-tensor) optimizer kernels can run a Keras update.

``torch._fused_adam_`` walks each tensor's storage linearly, so a parameter, its gradient and
its slots must share one dense layout: with a contiguous gradient for a transposed parameter
it silently pairs the wrong elements. Autograd gives a dense parameter a gradient with the
parameter's strides (its gradient layout contract), but ``optimizer.apply`` accepts any
gradient and ``module.to(memory_format=...)`` can change a parameter's strides after its slots
were made, so the layouts are checked at every step (a few tuple comparisons per tensor).
"""

from __future__ import annotations

from typing import Sequence

import torch

_FUSED_DEVICE_TYPES = frozenset({"cpu", "cuda"})
_FUSED_DTYPES = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64})


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


# torch 2.4 added the CPU kernels; before that ``_fused_adam_`` was CUDA only.
_CPU_FUSED_ADAM = _torch_version() >= (2, 4) and hasattr(torch, "_fused_adam_")


def fused_adam_supported(tensor: torch.Tensor) -> bool:
    """Whether ``torch._fused_adam_`` exists for this tensor's device and dtype."""
    if not hasattr(torch, "_fused_adam_") or tensor.dtype not in _FUSED_DTYPES:
        return False
    device_type = tensor.device.type
    if device_type == "cpu":
        return _CPU_FUSED_ADAM
    return device_type in _FUSED_DEVICE_TYPES


def _is_dense(tensor: torch.Tensor) -> bool:
    """No gaps and no overlaps: the storage holds exactly the elements, in some order."""
    expected = 1
    for size, stride in sorted(zip(tensor.shape, tensor.stride()), key=lambda pair: pair[1]):
        if size == 1:
            continue
        if stride != expected:
            return False
        expected *= size
    return True


def share_dense_layout(*tensor_lists: Sequence[torch.Tensor]) -> bool:
    """True when, position by position, all tensors have the same strides and are dense."""
    for tensors in zip(*tensor_lists):
        first = tensors[0]
        stride = first.stride()
        if any(t.stride() != stride for t in tensors[1:]):
            return False
        if not (first.is_contiguous() or _is_dense(first)):
            return False
    return True
