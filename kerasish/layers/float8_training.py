"""Keras 3's float8 training (``quantize("float8")``) with delayed scaling, on torch's float8 dtypes.

The layer keeps its float kernel; each call rounds the inputs and the kernel through
``float8_e4m3fn`` (and, in the backward pass, the gradient of the output through
``float8_e5m2``), each with a scale and a history of absolute maxima (1024 steps, Keras'
default). Gradients pass straight through the rounding.

Keras' ``overwrite_with_gradient`` variables receive their next values as "gradients" and the
optimizer overwrites them. Here the same values are written in place when Keras computes them:
the input and kernel scales and histories during a training forward (``layer.training`` with
autograd on), the output-gradient ones during the backward pass. After a training step the
variables hold what Keras' hold; no gradient ever reaches them, so optimizers skip them.
"""

from __future__ import annotations

from typing import Any

import torch

from kerasish import backend
from kerasish.quantizers import quantizers as q

_E4M3_MAX = 448.0
_E5M2_MAX = 57344.0
FLOAT8_VARIABLES = (
    "inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
    "outputs_grad_scale", "outputs_grad_amax_history",
)


class _StraightThroughQDQ(torch.autograd.Function):
    """Round through float8 forwards; the gradient passes unchanged."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: torch.Tensor, compute_dtype: str) -> torch.Tensor:
        return q.quantize_and_dequantize(x, scale, "float8_e4m3fn", compute_dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        return grad, None, None


class _GradientQDQ(torch.autograd.Function):
    """Identity forwards; backwards the output gradient is rounded through float8_e5m2 with the
    current scale, and the scale and history take their next values."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: torch.Tensor, history: torch.Tensor,
                compute_dtype: str) -> torch.Tensor:
        ctx.state = (scale, history, compute_dtype)
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        scale, history, compute_dtype = ctx.state
        with torch.no_grad():
            new_scale = q.compute_float8_scale(history.amax(), scale, _E5M2_MAX)
            rounded = q.quantize_and_dequantize(grad, scale, "float8_e5m2", compute_dtype)
            new_history = q.compute_float8_amax_history(grad, history)
            scale.copy_(new_scale)
            history.copy_(new_history)
        return rounded, None, None, None


def build_variables(layer: Any) -> None:
    """Keras' six float32 scale/history variables, trainable, in Keras' order."""
    from kerasish.mixed_precision.quantized_policies import FLOAT8_HISTORY

    for name in FLOAT8_VARIABLES:
        is_scale = name.endswith("_scale")
        layer.add_weight(
            name, shape=() if is_scale else (FLOAT8_HISTORY,), dtype="float32",
            initializer="ones" if is_scale else "zeros", trainable=True,
        )


def round_input(layer: Any, x: torch.Tensor, scale_name: str, history_name: str) -> torch.Tensor:
    """``x`` through float8_e4m3fn with the layer's current scale; in a training forward the
    scale and history then move on, as Keras' gradients of those variables would set them."""
    scale, history = getattr(layer, scale_name), getattr(layer, history_name)
    out = _StraightThroughQDQ.apply(x, scale.detach(), layer.compute_dtype)
    if layer.training and torch.is_grad_enabled():
        with torch.no_grad():
            new_scale = q.compute_float8_scale(history.amax(), scale, _E4M3_MAX)
            new_history = q.compute_float8_amax_history(x, history)
            scale.copy_(new_scale)
            history.copy_(new_history)
    return out


def round_output_gradient(layer: Any, x: torch.Tensor) -> torch.Tensor:
    return _GradientQDQ.apply(x, layer.outputs_grad_scale, layer.outputs_grad_amax_history,
                              layer.compute_dtype)


def add_bias(layer: Any, x: torch.Tensor) -> torch.Tensor:
    """Keras rounds a float32 bias through bfloat16 in float8 calls (for XLA's bias fusion)."""
    bias = layer.bias
    if bias is None:
        return x
    if backend.standardize_dtype(layer.compute_dtype) == "float32":
        bias = bias.to(torch.bfloat16).to(bias.dtype)
    return x + bias


def refuse_lora(layer: Any) -> None:
    if getattr(layer, "lora_enabled", False):
        raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
