"""The TensorFlow functions that tf.keras configs name in ``TFOpLambda`` layers, on torch.

A tf.keras model that applied ``tf.*`` functions or Python operators to KerasTensors saved each
such call as a ``TFOpLambda`` layer whose config names the function (``"math.add"``,
``"__operators__.getitem"``, ``"nn.relu"``) and whose node holds its arguments under
TensorFlow's argument names. This table gives those functions TensorFlow's signatures and
semantics (``tf.argmax`` defaults to axis 0 and returns int64, ``tf.nn.softmax`` to the last
axis), so such configs load without TensorFlow. kerasish writes Python operators on
KerasTensors with the same symbols, so tf.keras can read them back.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch

from kerasish import backend
from kerasish.ops import core, math, nn, numpy
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import register_symbol


def _tf(*symbols: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for symbol in symbols:
            register_symbol(symbol, fn)
        return fn

    return register


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _eager(op: Callable) -> Callable:
    return getattr(op, "eager", op)


# ------------------------------------------------------------------ operators, arithmetic


@_tf("__operators__.add", "math.add")
def add(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.add)(x, y)


@_tf("math.subtract")
def subtract(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.subtract)(x, y)


@_tf("math.multiply")
def multiply(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.multiply)(x, y)


@_tf("math.truediv", "math.divide")
def truediv(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.divide)(x, y)


@_tf("math.floordiv")
def floordiv(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.floor_divide)(x, y)


@_tf("math.floormod")
def floormod(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.mod)(x, y)


@_tf("math.pow")
def pow_(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.power)(x, y)


@_tf("math.maximum")
def maximum(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.maximum)(x, y)


@_tf("math.minimum")
def minimum(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.minimum)(x, y)


@_tf("math.squared_difference")
def squared_difference(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
    return torch.square(_eager(numpy.subtract)(x, y))


@_tf("linalg.matmul")
def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    output_type: Any = None,
    name: Optional[str] = None,
) -> torch.Tensor:
    a, b = core.same_device_tensors(a, b)
    if transpose_a or adjoint_a:
        a = a.transpose(-1, -2)
    if transpose_b or adjoint_b:
        b = b.transpose(-1, -2)
    return torch.matmul(a, b)


def _unary(symbol: str, fn: Callable) -> None:
    def unary(x: Any, name: Optional[str] = None) -> torch.Tensor:
        return fn(x)

    register_symbol(symbol, unary)


for _symbol, _fn in {
    "math.negative": numpy.negative,
    "math.abs": numpy.abs,
    "math.square": numpy.square,
    "math.sqrt": numpy.sqrt,
    "math.rsqrt": math.rsqrt,
    "math.exp": numpy.exp,
    "math.log": numpy.log,
    "math.log1p": numpy.log1p,
    "math.expm1": numpy.expm1,
    "math.sin": numpy.sin,
    "math.cos": numpy.cos,
    "math.tanh": numpy.tanh,
    "math.sigmoid": nn.sigmoid,
    "math.erf": math.erf,
    "math.sign": numpy.sign,
    "math.floor": numpy.floor,
    "math.ceil": numpy.ceil,
    "math.round": lambda x: torch.round(to_tensor(x)),
    "math.reciprocal": numpy.reciprocal,
    "math.softplus": nn.softplus,
    "math.logical_not": numpy.logical_not,
    "math.is_nan": numpy.isnan,
    "nn.relu": nn.relu,
    "nn.relu6": nn.relu6,
    "nn.elu": nn.elu,
    "nn.selu": nn.selu,
    "nn.softsign": nn.softsign,
    "identity": lambda x: to_tensor(x),
    "stop_gradient": core.stop_gradient,
}.items():
    _unary(_symbol, _eager(_fn))


def _comparison(symbol: str, fn: Callable) -> None:
    def compare(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
        return fn(x, y)

    register_symbol(symbol, compare)


for _symbol, _fn in {
    "math.greater": numpy.greater,
    "math.greater_equal": numpy.greater_equal,
    "math.less": numpy.less,
    "math.less_equal": numpy.less_equal,
    "math.equal": numpy.equal,
    "math.not_equal": numpy.not_equal,
    "math.logical_and": numpy.logical_and,
    "math.logical_or": numpy.logical_or,
    "math.logical_xor": numpy.logical_xor,
}.items():
    _comparison(_symbol, _eager(_fn))


# ------------------------------------------------------------------ activations


@_tf("nn.softmax", "math.softmax")
def softmax(logits: Any, axis: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    return _eager(nn.softmax)(logits, -1 if axis is None else axis)


@_tf("nn.log_softmax", "math.log_softmax")
def log_softmax(logits: Any, axis: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    return _eager(nn.log_softmax)(logits, -1 if axis is None else axis)


@_tf("nn.gelu")
def gelu(features: Any, approximate: bool = False, name: Optional[str] = None) -> torch.Tensor:
    return _eager(nn.gelu)(features, approximate)


@_tf("nn.leaky_relu")
def leaky_relu(features: Any, alpha: float = 0.2, name: Optional[str] = None) -> torch.Tensor:
    return _eager(nn.leaky_relu)(features, alpha)


@_tf("nn.silu", "nn.swish")
def silu(features: Any, beta: float = 1.0, name: Optional[str] = None) -> torch.Tensor:
    features = to_tensor(features)
    return features * torch.sigmoid(beta * features)


@_tf("nn.bias_add")
def bias_add(value: Any, bias: Any, data_format: Optional[str] = None, name: Optional[str] = None) -> torch.Tensor:
    value, bias = core.same_device_tensors(value, bias)
    if data_format is not None and data_format.startswith("NC"):
        return value + bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


@_tf("math.l2_normalize", "nn.l2_normalize")
def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: Optional[str] = None, dim: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    axis = _axis(dim if axis is None else axis)
    if axis is None:
        axis = tuple(range(x.ndim))
    square_sum = torch.sum(torch.square(x), dim=axis, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=epsilon))


# ------------------------------------------------------------------ reductions


def _reduction(symbol: str, fn: Callable) -> None:
    def reduce(
        input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Optional[str] = None
    ) -> torch.Tensor:
        return fn(input_tensor, _axis(axis), keepdims)

    register_symbol(symbol, reduce)


for _symbol, _fn in {
    "math.reduce_sum": numpy.sum,
    "math.reduce_mean": numpy.mean,
    "math.reduce_max": numpy.max,
    "math.reduce_min": numpy.min,
    "math.reduce_prod": numpy.prod,
    "math.reduce_std": numpy.std,
    "math.reduce_variance": numpy.var,
    "math.reduce_any": numpy.any,
    "math.reduce_all": numpy.all,
    "math.reduce_logsumexp": math.logsumexp,
}.items():
    _reduction(_symbol, _eager(_fn))


def _arg_reduction(symbol: str, torch_fn: Callable) -> None:
    def reduce(input: Any, axis: Optional[int] = None, output_type: Any = "int64", name: Optional[str] = None) -> torch.Tensor:  # noqa: A002
        result = torch_fn(to_tensor(input), dim=0 if axis is None else axis)
        return result.to(backend.torch_dtype(output_type))

    register_symbol(symbol, reduce)


_arg_reduction("math.argmax", torch.argmax)
_arg_reduction("math.argmin", torch.argmin)


@_tf("math.cumsum")
def cumsum(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: Optional[str] = None) -> torch.Tensor:
    x = to_tensor(x)
    if reverse:
        x = x.flip(axis)
    result = torch.cumsum(x, dim=axis)
    if exclusive:
        result = result - x
    return result.flip(axis) if reverse else result


@_tf("math.top_k", "nn.top_k")
def top_k(input: Any, k: int = 1, sorted: bool = True, name: Optional[str] = None, index_type: Any = "int32") -> tuple:  # noqa: A002
    result = torch.topk(to_tensor(input), k, dim=-1, sorted=sorted)
    return result.values, result.indices.to(backend.torch_dtype(index_type))


# ------------------------------------------------------------------ shapes and structure


@_tf("concat")
def concat(values: Any, axis: int, name: str = "concat") -> torch.Tensor:
    return _eager(numpy.concatenate)(values, axis)


@_tf("stack")
def stack(values: Any, axis: int = 0, name: str = "stack") -> torch.Tensor:
    return _eager(numpy.stack)(values, axis)


@_tf("unstack")
def unstack(value: Any, num: Optional[int] = None, axis: int = 0, name: str = "unstack") -> list:
    return list(torch.unbind(to_tensor(value), axis))


@_tf("reshape")
def reshape(tensor: Any, shape: Any, name: Optional[str] = None) -> torch.Tensor:
    return _eager(numpy.reshape)(tensor, shape)


@_tf("expand_dims")
def expand_dims(input: Any, axis: int, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002
    return to_tensor(input).unsqueeze(axis)


@_tf("squeeze")
def squeeze(input: Any, axis: Any = None, name: Optional[str] = None, squeeze_dims: Any = None) -> torch.Tensor:  # noqa: A002
    axis = squeeze_dims if axis is None else axis
    return _eager(numpy.squeeze)(input, _axis(axis))


@_tf("transpose")
def transpose(a: Any, perm: Any = None, conjugate: bool = False, name: str = "transpose") -> torch.Tensor:
    return _eager(numpy.transpose)(a, perm)


@_tf("cast")
def cast(x: Any, dtype: Any, name: Optional[str] = None) -> torch.Tensor:
    return to_tensor(x, dtype)


@_tf("clip_by_value")
def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: Optional[str] = None) -> torch.Tensor:
    t = to_tensor(t)
    low = to_tensor(clip_value_min, t.dtype, t.device)
    high = to_tensor(clip_value_max, t.dtype, t.device)
    return torch.minimum(torch.maximum(t, low), high)


@_tf("tile")
def tile(input: Any, multiples: Any, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002
    return _eager(numpy.tile)(input, multiples)


@_tf("gather")
def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    axis: Optional[int] = None,
    batch_dims: int = 0,
    name: Optional[str] = None,
) -> torch.Tensor:
    if batch_dims:
        raise NotImplementedError("tf.gather(batch_dims != 0) is not implemented in kerasish.")
    return _eager(numpy.take)(params, indices, 0 if axis is None else axis)


@_tf("one_hot")
def one_hot(
    indices: Any,
    depth: int,
    on_value: Any = None,
    off_value: Any = None,
    axis: Optional[int] = None,
    dtype: Any = None,
    name: Optional[str] = None,
) -> torch.Tensor:
    result = _eager(nn.one_hot)(indices, depth, -1 if axis is None else axis, dtype or "float32")
    if on_value is not None or off_value is not None:
        on = 1 if on_value is None else on_value
        off = 0 if off_value is None else off_value
        result = result * (on - off) + off
    return result


@_tf("where", "where_v2")
def where(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None) -> Any:
    if x is None and y is None:
        return torch.nonzero(to_tensor(condition))
    return _eager(numpy.where)(condition, x, y)


@_tf("zeros_like")
def zeros_like(input: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002
    return _eager(numpy.zeros_like)(input, dtype)


@_tf("ones_like")
def ones_like(input: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002
    return _eager(numpy.ones_like)(input, dtype)


@_tf("split")
def split(value: Any, num_or_size_splits: Any, axis: int = 0, num: Optional[int] = None, name: str = "split") -> list:
    value = to_tensor(value)
    if isinstance(num_or_size_splits, int):
        return list(torch.chunk(value, num_or_size_splits, dim=axis))
    return list(torch.split(value, list(num_or_size_splits), dim=axis))


@_tf("__operators__.getitem")
def getitem(tensor: Any, slice_spec: Any, var: Any = None) -> torch.Tensor:
    """``tensor[slice_spec]``; a list spec (as JSON gives back) means one entry per axis, as in tf."""
    if isinstance(slice_spec, list):
        slice_spec = tuple(slice_spec)
    return to_tensor(tensor)[slice_spec]
