"""Keras' three gradient clippings, as foreach kernels that never read a value on the host.

Each returns new tensors: the inputs are usually the parameters' ``.grad``, which the caller
still owns.
"""

from __future__ import annotations

import torch


def clip_by_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """Each gradient separately: ``g * clipnorm / max(||g||, clipnorm)`` (Keras' order of ops)."""
    norms = torch._foreach_norm(grads)
    return list(
        torch._foreach_div(
            torch._foreach_mul(grads, clipnorm), torch._foreach_clamp_min(norms, clipnorm)
        )
    )


def global_norm(grads: list[torch.Tensor]) -> torch.Tensor:
    norms = torch._foreach_norm(grads)
    device = grads[0].device
    return torch.linalg.vector_norm(torch.stack([n.to(device) for n in norms]))


def clip_by_global_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """All gradients by one factor so that their joint norm is at most ``clipnorm``.

    As in Keras, an infinite or NaN norm makes every gradient NaN rather than silently zero.
    """
    norm = global_norm(grads)
    scale = clipnorm * torch.clamp_max(1.0 / norm, 1.0 / clipnorm) + (norm - norm)
    if all(g.device == scale.device for g in grads):
        return list(torch._foreach_mul(grads, scale))
    return [g * scale.to(g.device) for g in grads]


def clip_by_value(grads: list[torch.Tensor], clipvalue: float) -> list[torch.Tensor]:
    return list(torch._foreach_clamp_max(torch._foreach_clamp_min(grads, -clipvalue), clipvalue))
