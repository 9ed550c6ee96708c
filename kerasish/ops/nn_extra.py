"""The rest of ``keras.ops``' nn namespace: shrink/threshold activations, sparsemax, PSNR,
multi-hot, functional convolutions and pooling, and batch/layer normalization.

Convolutions and pooling take Keras' layouts (``channels_last`` by default, kernels
``spatial + (in, out)``) and TF's ``"same"`` padding, which pads the extra cell at the end and
which average pooling leaves out of its counts; they run on torch's channels-first kernels.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.ops.core import same_device_tensors, to_tensor
from kerasish.ops.dispatch import keras_op
from kerasish.ops.nn import _float_op, one_hot

# ------------------------------------------------------------------ activations

hard_tanh = _float_op("hard_tanh", F.hardtanh)
tanh_shrink = _float_op("tanh_shrink", F.tanhshrink)


@keras_op
def hard_shrink(x: Any, threshold: float = 0.5) -> torch.Tensor:
    return F.hardshrink(to_tensor(x), lambd=threshold)


@keras_op
def soft_shrink(x: Any, threshold: float = 0.5) -> torch.Tensor:
    return F.softshrink(to_tensor(x), lambd=threshold)


@keras_op
def threshold(x: Any, threshold: float, default_value: float) -> torch.Tensor:
    return F.threshold(to_tensor(x), threshold, default_value)


@keras_op
def squareplus(x: Any, b: float = 4) -> torch.Tensor:
    x = to_tensor(x)
    return (x + torch.sqrt(x * x + b)) / 2


@keras_op
def sparse_plus(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


@keras_op
def sparse_sigmoid(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    return torch.clamp(0.5 * (x + 1), 0.0, 1.0).to(x.dtype)


@keras_op
def sparsemax(x: Any, axis: int = -1) -> torch.Tensor:
    """The Euclidean projection of ``x`` onto the simplex along ``axis`` (Martins & Astudillo).

    Keras' threshold (all its backends) is (sum of the support's *cumulative* sums - 1) / k
    rather than the paper's (sum of the support's logits - 1) / k, so its outputs sum to 1
    only when one logit is in the support. kerasish computes Keras' value, for parity.
    """
    logits = to_tensor(x)
    ordered = torch.sort(logits, dim=axis, descending=True).values
    cumulative = torch.cumsum(ordered, dim=axis)
    shape = [1] * logits.ndim
    shape[axis] = -1
    ranks = torch.arange(1, logits.shape[axis] + 1, device=logits.device, dtype=logits.dtype).view(shape)
    support = ordered - (cumulative - 1) / ranks > 0
    count = torch.sum(support, dim=axis, keepdim=True)
    tau = (torch.sum(torch.where(support, cumulative, 0.0), dim=axis, keepdim=True) - 1) / count
    return torch.clamp(logits - tau, min=0.0)


@keras_op
def psnr(x1: Any, x2: Any, max_val: Any) -> torch.Tensor:
    a, b = same_device_tensors(x1, x2)
    if a.shape != b.shape:
        raise ValueError(
            f"Input shapes {tuple(a.shape)} and {tuple(b.shape)} must match for PSNR calculation. "
        )
    max_val = to_tensor(max_val, dtype=a.dtype, device=a.device)
    mse = torch.mean((a - b) ** 2)
    return 20 * torch.log10(max_val) - 10 * torch.log10(mse)


@keras_op
def multi_hot(
    inputs: Any,
    num_classes: Optional[int] = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> torch.Tensor:
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    if sparse:
        raise ValueError("Unsupported value `sparse=True` with torch backend")
    x = to_tensor(inputs)
    encoded = one_hot.eager(x.to(torch.int32), num_classes, axis=axis, dtype=dtype)
    return torch.amax(encoded, dim=1 if x.ndim > 1 else 0)


# ------------------------------------------------------------------ normalization


@keras_op
def batch_normalization(
    x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None, epsilon: float = 1e-3
) -> torch.Tensor:
    x = to_tensor(x)
    shape = [1] * x.ndim
    mean = to_tensor(mean, device=x.device)
    shape[axis] = mean.shape[0]
    mean = mean.reshape(shape)
    factor = torch.rsqrt(to_tensor(variance, device=x.device).reshape(shape) + epsilon)
    if scale is not None:
        factor = factor * to_tensor(scale, device=x.device).reshape(shape)
    result = (x - mean) * factor
    if offset is not None:
        result = result + to_tensor(offset, device=x.device).reshape(shape)
    return result


@keras_op
def layer_normalization(
    x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1, epsilon: Optional[float] = None, **kwargs: Any
) -> torch.Tensor:
    if kwargs.pop("rms_scaling", False):
        raise NotImplementedError(
            "layer_normalization(rms_scaling=True) (deprecated in Keras) is not implemented in "
            "kerasish.ops; use rms_normalization."
        )
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected arguments: {sorted(kwargs)}")
    x = to_tensor(x)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    original = x.dtype
    compute = torch.promote_types(x.dtype, torch.float32) if x.dtype != torch.float64 else torch.float32
    x = x.to(compute)
    axes = sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    gamma = None if gamma is None else to_tensor(gamma, compute, x.device)
    beta = None if beta is None else to_tensor(beta, compute, x.device)
    if axes == list(range(axes[0], x.ndim)):
        out = F.layer_norm(x, tuple(x.shape[a] for a in axes), gamma, beta, epsilon)
        return out.to(original)
    shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
    variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
    inv = torch.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma.reshape(shape)
    out = (x - mean) * inv
    if beta is not None:
        out = out + beta.reshape(shape)
    return out.to(original)


# ------------------------------------------------------------------ convolution and pooling


def _spatial(value: Any, n: int, name: str) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value}")
    return value


def _channels_first(x: torch.Tensor, data_format: Optional[str]) -> tuple[torch.Tensor, bool]:
    last = backend.standardize_data_format(data_format) == "channels_last"
    return (x.movedim(-1, 1) if last else x), last


def _check_padding(padding: str, allowed: Sequence[str] = ("valid", "same")) -> str:
    padding = padding.lower()
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {list(allowed)}. Received: {padding}")
    return padding


def _same_pads(x: torch.Tensor, kernel: tuple, strides: tuple, dilation: tuple) -> list:
    """``F.pad``'s flat (last axis first) list for TF's "same" padding of channels-first ``x``."""
    from kerasish.layers.conv_utils import same_padding

    pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(x.shape[2:], kernel, strides, dilation)]
    return [amount for pair in reversed(pairs) for amount in pair]


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pool(inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: Any, mode: str) -> torch.Tensor:
    x, last = _channels_first(to_tensor(inputs), data_format)
    n = x.ndim - 2
    if n not in _MAX:
        raise ValueError(f"{mode}_pool takes 3D, 4D or 5D inputs. Received: inputs.shape={tuple(x.shape)}")
    pool_size = _spatial(pool_size, n, "pool_size")
    strides = pool_size if strides is None else _spatial(strides, n, "strides")
    if _check_padding(padding) == "same":
        pads = _same_pads(x, pool_size, strides, (1,) * n)
        if mode == "max":
            x = F.pad(x, pads, value=float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min)
            out = _max_pool(x, pool_size, strides)
        else:
            ones = F.pad(torch.ones_like(x[:1, :1]), pads)
            out = _AVG[n](F.pad(x, pads), pool_size, strides) / _AVG[n](ones, pool_size, strides)
    elif mode == "max":
        out = _max_pool(x, pool_size, strides)
    else:
        out = _AVG[n](x, pool_size, strides)
    return out.movedim(1, -1) if last else out


def _max_pool(x: torch.Tensor, pool_size: tuple, strides: tuple) -> torch.Tensor:
    """torch's max pooling; integers go through float64 (exact below 2**53), which torch's
    CPU kernels do not take."""
    n = x.ndim - 2
    if x.is_floating_point():
        return _MAX[n](x, pool_size, strides)
    return _MAX[n](x.double(), pool_size, strides).to(x.dtype)


@keras_op
def max_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: Optional[str] = None
) -> torch.Tensor:
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


@keras_op
def average_pool(
    inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid", data_format: Optional[str] = None
) -> torch.Tensor:
    return _pool(inputs, pool_size, strides, padding, data_format, "average")


def _conv_nd(
    x: torch.Tensor, weight: torch.Tensor, strides: Any, padding: str, dilation_rate: Any, groups: int
) -> torch.Tensor:
    n = x.ndim - 2
    if n not in _CONV:
        raise ValueError(f"conv takes 3D, 4D or 5D inputs. Received: inputs.shape={tuple(x.shape)}")
    strides = _spatial(strides, n, "strides")
    dilation = _spatial(dilation_rate, n, "dilation_rate")
    if _check_padding(padding) == "same":
        x = F.pad(x, _same_pads(x, tuple(weight.shape[2:]), strides, dilation))
    return _CONV[n](x, weight, None, strides, 0, dilation, groups)


def _conv_operands(inputs: Any, kernel: Any) -> tuple[torch.Tensor, torch.Tensor]:
    x, k = same_device_tensors(inputs, kernel)
    if x.dtype != k.dtype:
        common = torch.promote_types(x.dtype, k.dtype)
        x, k = x.to(common), k.to(common)
    return x, k


@keras_op
def conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: Optional[str] = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """``kernel`` is ``spatial + (in_channels // groups, out_channels)``; the group count is
    the input's channels over the kernel's."""
    x, k = _conv_operands(inputs, kernel)
    x, last = _channels_first(x, data_format)
    if x.shape[1] % k.shape[-2]:
        raise ValueError(
            "The number of input channels must be evenly divisible by kernel.shape[-2]. Received: "
            f"input channels={x.shape[1]}, kernel.shape={tuple(k.shape)}"
        )
    weight = k.permute(k.ndim - 1, k.ndim - 2, *range(k.ndim - 2))
    out = _conv_nd(x, weight, strides, padding, dilation_rate, x.shape[1] // k.shape[-2])
    return out.movedim(1, -1) if last else out


@keras_op
def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: Optional[str] = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """``kernel`` is ``spatial + (in_channels, depth_multiplier)``."""
    x, k = _conv_operands(inputs, kernel)
    x, last = _channels_first(x, data_format)
    out = _depthwise(x, k, strides, padding, dilation_rate)
    return out.movedim(1, -1) if last else out


def _depthwise(x: torch.Tensor, k: torch.Tensor, strides: Any, padding: str, dilation_rate: Any) -> torch.Tensor:
    spatial = tuple(k.shape[:-2])
    weight = k.reshape(spatial + (1, -1)).permute(k.ndim - 1, k.ndim - 2, *range(k.ndim - 2))
    return _conv_nd(x, weight, strides, padding, dilation_rate, x.shape[1])


@keras_op
def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: Optional[str] = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    x, k = _conv_operands(inputs, depthwise_kernel)
    pointwise = to_tensor(pointwise_kernel, k.dtype, k.device)
    x, last = _channels_first(x, data_format)
    depthwise = _depthwise(x, k, strides, padding, dilation_rate)
    weight = pointwise.permute(pointwise.ndim - 1, pointwise.ndim - 2, *range(pointwise.ndim - 2))
    out = _conv_nd(depthwise, weight, 1, "valid", 1, 1)
    return out.movedim(1, -1) if last else out


@keras_op
def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: Optional[str] = None,
    dilation_rate: Any = 1,
) -> torch.Tensor:
    """``kernel`` is ``spatial + (out_channels, in_channels)``; output lengths follow Keras'
    (TF's) rules for ``padding`` and ``output_padding``."""
    from kerasish.layers.conv_utils import transpose_crops

    x, k = _conv_operands(inputs, kernel)
    x, last = _channels_first(x, data_format)
    n = x.ndim - 2
    if n not in _CONV_T:
        raise ValueError(f"conv_transpose takes 3D, 4D or 5D inputs. Received: inputs.shape={tuple(x.shape)}")
    strides = _spatial(strides, n, "strides")
    dilation = _spatial(dilation_rate, n, "dilation_rate")
    extra = (None,) * n if output_padding is None else _spatial(output_padding, n, "output_padding")
    padding = _check_padding(padding)
    weight = k.permute(k.ndim - 1, k.ndim - 2, *range(k.ndim - 2))
    out = _CONV_T[n](x, weight, None, strides, 0, 0, 1, dilation)
    crops = [transpose_crops(size, s, d, padding, e) for size, s, d, e in zip(k.shape[:-2], strides, dilation, extra)]
    pads = [-amount for pair in reversed(crops) for amount in pair]
    if any(pads):
        out = F.pad(out, pads)
    return out.movedim(1, -1) if last else out
