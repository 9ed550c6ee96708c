"""Neural-network ops (``keras.ops`` nn namespace): activations, cross-entropies, attention.

Formulas are Keras 3's (``ops.gelu`` defaults to the tanh approximation, unlike the ``gelu``
activation; probability cross-entropies renormalize and clip at ``epsilon()``), each on the
fused torch kernel where one exists.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.ops.core import same_device_tensors, to_tensor
from kerasish.ops.dispatch import keras_op


def _float(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    if x.is_floating_point():
        return x
    return x.to(backend.torch_dtype(backend.floatx()))


def _float_op(name: str, fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
    """The op ``keras.ops.<name>(x)``: ``fn`` of ``x``, whose integers count as floatx."""

    def op(x: Any) -> torch.Tensor:
        return fn(_float(x))

    op.__name__ = op.__qualname__ = name
    return keras_op(op)


sigmoid = _float_op("sigmoid", torch.sigmoid)
silu = _float_op("silu", F.silu)
swish = _float_op("swish", F.silu)  # Keras 3's other name for silu; op layers record either
selu = _float_op("selu", F.selu)
softplus = _float_op("softplus", F.softplus)
softsign = _float_op("softsign", F.softsign)
hard_sigmoid = _float_op("hard_sigmoid", F.hardsigmoid)
hard_silu = _float_op("hard_silu", F.hardswish)
hard_swish = _float_op("hard_swish", F.hardswish)  # likewise hard_silu's second name
log_sigmoid = _float_op("log_sigmoid", F.logsigmoid)


@keras_op
def relu(x: Any) -> torch.Tensor:
    return F.relu(to_tensor(x))


@keras_op
def relu6(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    return F.relu6(x) if x.is_floating_point() else x.clamp(0, 6)


@keras_op
def softmax(x: Any, axis: Any = -1) -> torch.Tensor:
    x = _float(x)
    if isinstance(axis, (list, tuple)):
        return torch.exp(x - torch.logsumexp(x, dim=tuple(axis), keepdim=True))
    return torch.softmax(x, dim=axis)


@keras_op
def log_softmax(x: Any, axis: Any = -1) -> torch.Tensor:
    x = _float(x)
    if isinstance(axis, (list, tuple)):
        return x - torch.logsumexp(x, dim=tuple(axis), keepdim=True)
    return torch.log_softmax(x, dim=axis)


@keras_op
def gelu(x: Any, approximate: bool = True) -> torch.Tensor:
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


@keras_op
def elu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    return F.elu(_float(x), alpha)


@keras_op
def celu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    return F.celu(_float(x), alpha)


@keras_op
def leaky_relu(x: Any, negative_slope: float = 0.2) -> torch.Tensor:
    return F.leaky_relu(_float(x), negative_slope)


@keras_op
def glu(x: Any, axis: int = -1) -> torch.Tensor:
    return F.glu(_float(x), dim=axis)


@keras_op
def one_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> torch.Tensor:
    """Out-of-range and negative indices give all-zero rows, as in Keras (torch would raise)."""
    if sparse:
        raise ValueError("Unsupported value `sparse=True` with the torch backend")
    x = to_tensor(x)
    classes = torch.arange(num_classes, device=x.device)
    result = (x.long().unsqueeze(-1) == classes).to(backend.torch_dtype(dtype or backend.floatx()))
    if axis != -1:
        result = torch.movedim(result, -1, axis)
    return result


def _same_shape_operands(target: Any, output: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``target`` and ``output`` on one device, as floats of the output's dtype; their shapes
    must be equal."""
    target, output = same_device_tensors(target, output)
    output = _float(output)
    target = target.to(output.dtype)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    return target, output


def _log_probabilities(output: torch.Tensor, from_logits: bool, axis: int) -> torch.Tensor:
    """Log-softmax of logits; probabilities are renormalized along ``axis`` and clipped to
    ``[epsilon, 1 - epsilon]`` first, as Keras' torch backend does."""
    if from_logits:
        return torch.log_softmax(output, dim=axis)
    eps = backend.epsilon()
    output = output / output.sum(dim=axis, keepdim=True)
    return torch.log(output.clamp(eps, 1.0 - eps))


@keras_op
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> torch.Tensor:
    target, output = _same_shape_operands(target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = backend.epsilon()
    return F.binary_cross_entropy(output.clamp(eps, 1.0 - eps), target, reduction="none")


@keras_op
def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    target, output = _same_shape_operands(target, output)
    log_prob = _log_probabilities(output, from_logits, axis)
    return -(target * log_prob).sum(dim=axis)


@keras_op
def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    target, output = same_device_tensors(target, output)
    output = _float(output)
    target = target.long()
    if target.ndim == output.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    expected = list(output.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last "
            f"dimension: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    picked = torch.gather(log_prob, axis % output.ndim, target.unsqueeze(axis % output.ndim))
    return -picked.squeeze(axis % output.ndim)


@keras_op
def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple:
    if synchronized:
        raise NotImplementedError("moments(synchronized=True) is not supported with torch.")
    x = to_tensor(x)
    original = x.dtype
    if original == torch.float16:
        x = x.float()
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = torch.mean(x, dim=axes, keepdim=True)
    variance = torch.mean(torch.square(x), dim=axes, keepdim=True) - torch.square(mean)
    if not keepdims:
        mean, variance = mean.squeeze(axes), variance.squeeze(axes)
    if original == torch.float16:
        limit = torch.finfo(torch.float16).max
        mean = mean.clamp(-limit, limit).to(original)
        variance = variance.clamp(-limit, limit).to(original)
    return mean, variance


@keras_op
def normalize(x: Any, axis: Any = -1, order: int = 2, epsilon: Optional[float] = None) -> torch.Tensor:
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = _float(x)
    if x.ndim == 0:
        x = x.unsqueeze(0)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
        return x * torch.clamp(inv_norm, max=1.0 / epsilon)
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=epsilon)


@keras_op
def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: Optional[float] = None,
    is_causal: bool = False,
    flash_attention: Optional[bool] = None,
    attn_logits_soft_cap: Optional[float] = None,
) -> torch.Tensor:
    """Attention on ``(batch, seq, heads, dim)`` tensors through torch's fused SDPA kernel."""
    query, key, value = same_device_tensors(query, key, value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "`dot_product_attention` only supports 4D inputs. Received: "
            f"query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
            f"value.shape={tuple(value.shape)}."
        )
    if bias is not None and mask is not None:
        raise ValueError("Only one of `bias` and `mask` can be provided. Received both.")
    if attn_logits_soft_cap is not None:
        raise NotImplementedError("dot_product_attention(attn_logits_soft_cap=...) with torch.")
    attn_mask = None
    if mask is not None:
        mask = to_tensor(mask, device=query.device).bool()
        if is_causal:
            causal = torch.ones(
                (query.shape[1], key.shape[1]), dtype=torch.bool, device=query.device
            ).tril()
            mask = mask & causal
            is_causal = False
        attn_mask = torch.where(mask, 0.0, _sdpa_large_negative(query.dtype)).to(query.dtype)
    elif bias is not None:
        attn_mask = to_tensor(bias, query.dtype, query.device)
    q, k, v = (t.transpose(1, 2) for t in (query, key, value))
    if q.shape[1] > k.shape[1] > 1:
        groups = q.shape[1] // k.shape[1]
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale
    )
    return out.transpose(1, 2)


def _sdpa_large_negative(dtype: torch.dtype) -> float:
    """The additive mask value Keras' torch backend gives SDPA: 0.7 x the dtype's lowest value."""
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


@keras_op
def rms_normalization(
    x: Any, scale: Any = None, axis: Any = -1, epsilon: Optional[float] = None
) -> torch.Tensor:
    """Keras 3's ``x * rsqrt(mean(square(x)) + epsilon) * scale``, computed in float32 (Keras'
    ``result_type(x.dtype, "float32")`` is float32 for every input dtype) and cast back to
    ``x``'s dtype. Trailing axes with a scale of their shape (or none) run torch's fused
    ``F.rms_norm``, as Keras' torch backend does. Other axes are reduced where they are: Keras'
    torch backend hands any contiguous axes to ``F.rms_norm``, which normalizes the trailing
    ones instead (or raises); kerasish computes the documented result, as Keras' other backends
    do. ``scale`` multiplies with plain broadcasting there, as in those backends.
    """
    x = to_tensor(x)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    original = x.dtype
    x = x.to(torch.float32)
    if x.ndim == 0:
        x = x.unsqueeze(0)
    if scale is not None:
        scale = to_tensor(scale, torch.float32, x.device)
    axes = sorted(d % x.ndim for d in (axis if isinstance(axis, (list, tuple)) else [axis]))
    normalized_shape = tuple(x.shape[d] for d in axes)
    trailing = axes == list(range(x.ndim - len(axes), x.ndim))
    fused = getattr(F, "rms_norm", None)  # torch >= 2.4
    if fused is not None and trailing and (scale is None or tuple(scale.shape) == normalized_shape):
        outputs = fused(x, normalized_shape, scale, epsilon)
    else:
        rrms = torch.rsqrt(torch.mean(torch.square(x), dim=axes, keepdim=True) + epsilon)
        outputs = x * rrms
        if scale is not None:
            outputs = outputs * scale
    return outputs.to(original)
