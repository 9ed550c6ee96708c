"""NumPy-like ops (``keras.ops`` numpy namespace) on torch tensors.

Dtype rules follow Keras 3's torch backend where it departs from torch: integer sums and products
come back as int32 (not torch's int64), cumulative sums and products keep the input's dtype
narrowed to 32 bits (booleans give int32), indices from ``argmax``/``argmin``/
``argsort`` are int32, and means, divisions and float functions of integers give ``floatx()``.
Python scalars are "weak" as in Keras: ``int32_tensor * 2`` stays int32, ``x + 1.5`` follows x
when x is floating.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, Callable, Optional, Sequence

import torch

from kerasish import backend
from kerasish.ops.core import default_device, normalize_axis, same_device_tensors, to_tensor
from kerasish.ops.dispatch import keras_op

_SMALL_INTS = (torch.bool, torch.uint8, torch.int8, torch.int16)


def _floatx() -> torch.dtype:
    return backend.torch_dtype(backend.floatx())


def _is_python_scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float)) and not isinstance(x, torch.Tensor)


def _scalar_dtype_against(scalar: Any, tensor: torch.Tensor) -> torch.dtype:
    """The dtype a weak Python scalar takes next to ``tensor`` (Keras' weak typing)."""
    if isinstance(scalar, float) and not (tensor.is_floating_point() or tensor.is_complex()):
        return _floatx()
    if isinstance(scalar, int) and not isinstance(scalar, bool) and tensor.dtype == torch.bool:
        return torch.int32
    return tensor.dtype


def binary_operands(x1: Any, x2: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Two tensors on one device, a Python scalar taking the dtype Keras' weak typing gives it.

    A scalar becomes a 0-d CPU tensor: torch combines those with tensors on any device without
    a host-to-device copy.
    """
    if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor):
        return x1, x2
    if _is_python_scalar(x2) and isinstance(x1, torch.Tensor):
        return x1, torch.as_tensor(x2, dtype=_scalar_dtype_against(x2, x1))
    if _is_python_scalar(x1) and isinstance(x2, torch.Tensor):
        return torch.as_tensor(x1, dtype=_scalar_dtype_against(x1, x2)), x2
    if _is_python_scalar(x2) and not _is_python_scalar(x1):
        a = to_tensor(x1)
        return a, torch.as_tensor(x2, dtype=_scalar_dtype_against(x2, a))
    if _is_python_scalar(x1) and not _is_python_scalar(x2):
        b = to_tensor(x2)
        return torch.as_tensor(x1, dtype=_scalar_dtype_against(x1, b)), b
    a, b = same_device_tensors(x1, x2)
    return a, b


def _float_inputs(x: torch.Tensor) -> torch.Tensor:
    return x if x.is_floating_point() or x.is_complex() else x.to(_floatx())


def _op(name: str, fn: Callable, params: str) -> Callable:
    """An op named ``name`` whose signature is ``params`` (``"x"`` or ``"x1, x2"``)."""
    if params == "x":

        def unary(x: Any) -> torch.Tensor:
            return fn(to_tensor(x))

        impl = unary
    else:

        def binary(x1: Any, x2: Any) -> torch.Tensor:
            return fn(*binary_operands(x1, x2))

        impl = binary
    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = f"Keras' ``ops.{name}`` on torch tensors."
    return keras_op(impl)


def _small_ints_to_int32(result: torch.Tensor, source: torch.dtype) -> torch.Tensor:
    if source in _SMALL_INTS or source == torch.int32:
        return result.to(torch.int32)
    return result


# ------------------------------------------------------------------ arithmetic

add = _op("add", torch.add, "x1, x2")
subtract = _op("subtract", torch.subtract, "x1, x2")
multiply = _op("multiply", torch.multiply, "x1, x2")
maximum = _op("maximum", torch.maximum, "x1, x2")
minimum = _op("minimum", torch.minimum, "x1, x2")
arctan2 = _op("arctan2", lambda a, b: torch.atan2(_float_inputs(a), _float_inputs(b)), "x1, x2")


def _divide(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if not (a.is_floating_point() or a.is_complex() or b.is_floating_point() or b.is_complex()):
        a, b = a.to(_floatx()), b.to(_floatx())
    return torch.true_divide(a, b)


divide = _op("divide", _divide, "x1, x2")
true_divide = _op("true_divide", _divide, "x1, x2")
floor_divide = _op("floor_divide", torch.floor_divide, "x1, x2")
mod = _op("mod", torch.remainder, "x1, x2")


def _power(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.pow(a, b)


power = _op("power", _power, "x1, x2")
negative = _op("negative", torch.negative, "x")


def _absolute(x: torch.Tensor) -> torch.Tensor:
    return x if x.dtype == torch.bool else torch.abs(x)  # booleans are their own absolute value


abs = _op("abs", _absolute, "x")  # noqa: A001
absolute = _op("absolute", _absolute, "x")
sign = _op("sign", torch.sign, "x")
square = _op("square", lambda x: torch.square(x.to(torch.int32) if x.dtype == torch.bool else x), "x")
sqrt = _op("sqrt", lambda x: torch.sqrt(_float_inputs(x)), "x")
exp = _op("exp", lambda x: torch.exp(_float_inputs(x)), "x")
expm1 = _op("expm1", lambda x: torch.expm1(_float_inputs(x)), "x")
log = _op("log", lambda x: torch.log(_float_inputs(x)), "x")
log1p = _op("log1p", lambda x: torch.log1p(_float_inputs(x)), "x")
log2 = _op("log2", lambda x: torch.log2(_float_inputs(x)), "x")
log10 = _op("log10", lambda x: torch.log10(_float_inputs(x)), "x")
reciprocal = _op("reciprocal", lambda x: torch.reciprocal(_float_inputs(x)), "x")
sin = _op("sin", lambda x: torch.sin(_float_inputs(x)), "x")
cos = _op("cos", lambda x: torch.cos(_float_inputs(x)), "x")
tan = _op("tan", lambda x: torch.tan(_float_inputs(x)), "x")
tanh = _op("tanh", lambda x: torch.tanh(_float_inputs(x)), "x")
sinh = _op("sinh", lambda x: torch.sinh(_float_inputs(x)), "x")
cosh = _op("cosh", lambda x: torch.cosh(_float_inputs(x)), "x")
arcsin = _op("arcsin", lambda x: torch.asin(_float_inputs(x)), "x")
arccos = _op("arccos", lambda x: torch.acos(_float_inputs(x)), "x")
arctan = _op("arctan", lambda x: torch.atan(_float_inputs(x)), "x")
arcsinh = _op("arcsinh", lambda x: torch.asinh(_float_inputs(x)), "x")
arccosh = _op("arccosh", lambda x: torch.acosh(_float_inputs(x)), "x")
arctanh = _op("arctanh", lambda x: torch.atanh(_float_inputs(x)), "x")
floor = _op("floor", lambda x: torch.floor(_float_inputs(x)), "x")
ceil = _op("ceil", lambda x: torch.ceil(_float_inputs(x)), "x")


@keras_op(name="round")
def round(x: Any, decimals: int = 0) -> torch.Tensor:  # noqa: A001
    x = to_tensor(x)
    if not x.is_floating_point():
        if decimals >= 0:
            return x
        factor = 10 ** (-decimals)
        return (torch.round(x.double() / factor) * factor).to(x.dtype)
    return torch.round(x, decimals=decimals)


# ------------------------------------------------------------------ comparison, logic

equal = _op("equal", torch.eq, "x1, x2")
not_equal = _op("not_equal", torch.ne, "x1, x2")
greater = _op("greater", torch.gt, "x1, x2")
greater_equal = _op("greater_equal", torch.ge, "x1, x2")
less = _op("less", torch.lt, "x1, x2")
less_equal = _op("less_equal", torch.le, "x1, x2")
logical_and = _op("logical_and", torch.logical_and, "x1, x2")
logical_or = _op("logical_or", torch.logical_or, "x1, x2")
logical_xor = _op("logical_xor", torch.logical_xor, "x1, x2")
logical_not = _op("logical_not", torch.logical_not, "x")
isnan = _op("isnan", torch.isnan, "x")
isinf = _op("isinf", torch.isinf, "x")
isfinite = _op("isfinite", torch.isfinite, "x")


@keras_op
def clip(x: Any, x_min: Any, x_max: Any) -> torch.Tensor:
    x = to_tensor(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    bounds_are_float = isinstance(x_min, float) or isinstance(x_max, float)
    if bounds_are_float and not x.is_floating_point():
        x = x.to(_floatx())
    if isinstance(x_min, torch.Tensor) or isinstance(x_max, torch.Tensor):
        low, high = (to_tensor(b, x.dtype, x.device) for b in (x_min, x_max))
        return torch.minimum(torch.maximum(x, low), high)
    return torch.clamp(x, x_min, x_max)


@keras_op
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    condition = to_tensor(condition)
    if x1 is None and x2 is None:
        return tuple(i.to(torch.int32) for i in torch.nonzero(condition, as_tuple=True))
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have a value.")
    if _is_python_scalar(x1) and _is_python_scalar(x2):
        dtype = _floatx() if isinstance(x1, float) or isinstance(x2, float) else torch.int32
        a = torch.as_tensor(x1, dtype=dtype, device=condition.device)
        b = torch.as_tensor(x2, dtype=dtype, device=condition.device)
    else:
        a, b = binary_operands(x1, x2)
    return torch.where(condition.to(torch.bool), a, b)


# ------------------------------------------------------------------ linear algebra


def _product_operands(x1: Any, x2: Any) -> tuple[torch.Tensor, torch.Tensor, Optional[torch.dtype]]:
    """Operands in one dtype for torch's matrix products, and the dtype to cast the result to.

    torch multiplies no booleans: Keras computes a boolean product in ``floatx()`` and casts it
    back (any nonzero sum is True).
    """
    a, b = same_device_tensors(x1, x2)
    if a.dtype == torch.bool and b.dtype == torch.bool:
        return a.to(_floatx()), b.to(_floatx()), torch.bool
    if a.dtype != b.dtype:
        common = torch.promote_types(a.dtype, b.dtype)
        a, b = a.to(common), b.to(common)
    return a, b, None


def _cast_result(result: torch.Tensor, dtype: Optional[torch.dtype]) -> torch.Tensor:
    return result if dtype is None else result.to(dtype)


@keras_op
def matmul(x1: Any, x2: Any) -> torch.Tensor:
    a, b, result_dtype = _product_operands(x1, x2)
    return _cast_result(torch.matmul(a, b), result_dtype)


@keras_op
def dot(x1: Any, x2: Any) -> torch.Tensor:
    """NumPy's ``dot``: scalars multiply, 1-D is an inner product, N-D contracts x1[-1] with x2[-2]."""
    a, b, result_dtype = _product_operands(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return _cast_result(a * b, result_dtype)
    if b.ndim <= 2 or a.ndim == 1:
        return _cast_result(torch.matmul(a, b), result_dtype)
    return _cast_result(torch.tensordot(a, b, dims=([-1], [b.ndim - 2])), result_dtype)


@keras_op
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> torch.Tensor:
    a, b, result_dtype = _product_operands(x1, x2)
    if isinstance(axes, (list, tuple)):
        axes = [list(a_) if isinstance(a_, (list, tuple)) else [a_] for a_ in axes]
    return _cast_result(torch.tensordot(a, b, dims=axes), result_dtype)


@keras_op
def outer(x1: Any, x2: Any) -> torch.Tensor:
    a, b = same_device_tensors(x1, x2)
    return torch.outer(a.flatten(), b.flatten())


@keras_op
def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> torch.Tensor:
    tensors = same_device_tensors(*operands)
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        common = tensors[0].dtype
        for t in tensors[1:]:
            common = torch.promote_types(common, t.dtype)
        tensors = [t.to(common) for t in tensors]
    return torch.einsum(subscripts, *tensors)


# ------------------------------------------------------------------ reductions


def _reduce_axes(x: torch.Tensor, axis: Any) -> Any:
    axis = normalize_axis(axis)
    if axis is None:
        return tuple(range(x.ndim))
    return axis


@keras_op(name="sum")
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    x = to_tensor(x)
    if axis == () or axis == []:
        return x
    result = torch.sum(x, dim=_reduce_axes(x, axis), keepdim=keepdims)
    return _small_ints_to_int32(result, x.dtype)


@keras_op
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    if axis == () or axis == []:
        return x
    return torch.mean(_float_inputs(x), dim=_reduce_axes(x, axis), keepdim=keepdims)


def _extreme(reducer: Callable, combine: Callable, name: str) -> Callable:
    def extreme(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> torch.Tensor:
        x = to_tensor(x)
        if x.numel() == 0 and initial is None:
            raise ValueError(f"Cannot compute the {name} of an empty tensor without `initial`.")
        result = reducer(x, dim=_reduce_axes(x, axis), keepdim=keepdims)
        if initial is not None:
            result = combine(result, torch.as_tensor(initial, dtype=result.dtype, device=result.device))
        return result

    extreme.__name__ = extreme.__qualname__ = name
    return keras_op(extreme)


max = _extreme(torch.amax, torch.maximum, "max")  # noqa: A001
min = _extreme(torch.amin, torch.minimum, "min")  # noqa: A001


@keras_op
def amax(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    return torch.amax(x, dim=_reduce_axes(x, axis), keepdim=keepdims)


@keras_op
def amin(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    return torch.amin(x, dim=_reduce_axes(x, axis), keepdim=keepdims)


@keras_op
def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    if dtype is not None:
        x = x.to(backend.torch_dtype(dtype))
    axes = _reduce_axes(x, axis)
    result = x
    for a in sorted((a % x.ndim for a in ((axes,) if isinstance(axes, int) else axes)), reverse=True):
        result = torch.prod(result, dim=a, keepdim=keepdims)
    if dtype is not None:
        return result
    return _small_ints_to_int32(result, x.dtype)


@keras_op
def var(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = _float_inputs(to_tensor(x))
    return torch.var(x, dim=_reduce_axes(x, axis), correction=0, keepdim=keepdims)


@keras_op
def std(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = _float_inputs(to_tensor(x))
    return torch.std(x, dim=_reduce_axes(x, axis), correction=0, keepdim=keepdims)


@keras_op(name="any")
def any(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    x = to_tensor(x)
    return torch.any(x.bool(), dim=_reduce_axes(x, axis), keepdim=keepdims)


@keras_op(name="all")
def all(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    x = to_tensor(x)
    return torch.all(x.bool(), dim=_reduce_axes(x, axis), keepdim=keepdims)


def _arg_extreme(torch_fn: Callable, name: str) -> Callable:
    def arg_extreme(x: Any, axis: Optional[int] = None, keepdims: bool = False) -> torch.Tensor:
        x = to_tensor(x)
        if x.dtype == torch.bool:  # torch has no boolean argmax/argmin; Keras compares as uint8
            x = x.to(torch.uint8)
        if axis is None:
            result = torch_fn(x.flatten())
            if keepdims:
                result = result.reshape((1,) * x.ndim)
        else:
            result = torch_fn(x, dim=axis, keepdim=keepdims)
        return result.to(torch.int32)

    arg_extreme.__name__ = arg_extreme.__qualname__ = name
    return keras_op(arg_extreme)


argmax = _arg_extreme(torch.argmax, "argmax")
argmin = _arg_extreme(torch.argmin, "argmin")


@keras_op
def argsort(x: Any, axis: Optional[int] = -1) -> torch.Tensor:
    x = to_tensor(x)
    if axis is None:
        x, axis = x.flatten(), 0
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def sort(x: Any, axis: Optional[int] = -1) -> torch.Tensor:
    x = to_tensor(x)
    if axis is None:
        x, axis = x.flatten(), 0
    return torch.sort(x, dim=axis, stable=True).values


# Keras 3 computes in at most 32 bits on torch (``dtypes.result_type`` narrows 64-bit dtypes).
_NARROWED_64_BIT = {
    torch.int64: torch.int32,
    torch.uint64: torch.uint32,
    torch.float64: torch.float32,
    torch.complex128: torch.complex64,
}


def _cumulative_dtype(x: torch.Tensor, dtype: Any) -> torch.dtype:
    """Keras 3's torch-backend result dtype: ``dtype`` or the input's, narrowed to 32 bits;
    booleans count as int32. Narrower integers stay as they are (int8 sums wrap, as in Keras)."""
    result = x.dtype if dtype is None else backend.torch_dtype(dtype)
    result = _NARROWED_64_BIT.get(result, result)
    return torch.int32 if result == torch.bool else result


def _cumulative_spec_dtype(x: Any, axis: Any = None, dtype: Any = None) -> str:
    # Keras 3's symbolic spec skips the 64-bit narrowing its torch backend applies when run.
    result = backend.standardize_dtype(x.dtype if dtype is None else dtype)
    return "int32" if result == "bool" else result


def _cumulative(torch_fn: Callable, name: str) -> Callable:
    def cumulative(x: Any, axis: Optional[int] = None, dtype: Any = None) -> torch.Tensor:
        x = to_tensor(x)
        if axis is None:
            x, axis = x.flatten(), 0
        result_dtype = _cumulative_dtype(x, dtype)
        if result_dtype == torch.float16 and x.device.type == "cpu":
            # Keras accumulates float16 in float32 on the CPU.
            return torch_fn(x, dim=axis, dtype=torch.float32).to(torch.float16)
        return torch_fn(x, dim=axis, dtype=result_dtype)

    cumulative.__name__ = cumulative.__qualname__ = name
    return keras_op(cumulative, output_dtype=_cumulative_spec_dtype)


cumsum = _cumulative(torch.cumsum, "cumsum")
cumprod = _cumulative(torch.cumprod, "cumprod")


@keras_op
def count_nonzero(x: Any, axis: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    return torch.count_nonzero(x, dim=_reduce_axes(x, axis)).to(torch.int32)


# ------------------------------------------------------------------ shapes


@keras_op
def reshape(x: Any, newshape: Any) -> torch.Tensor:
    x = to_tensor(x)
    if isinstance(newshape, int):
        newshape = (newshape,)
    return torch.reshape(x, tuple(-1 if d is None else int(d) for d in newshape))


@keras_op
def transpose(x: Any, axes: Optional[Sequence[int]] = None) -> torch.Tensor:
    x = to_tensor(x)
    if axes is None:
        return x.permute(*reversed(range(x.ndim)))
    return x.permute(*axes)


@keras_op
def expand_dims(x: Any, axis: Any) -> torch.Tensor:
    x = to_tensor(x)
    if isinstance(axis, (list, tuple)):
        out_ndim = x.ndim + len(axis)
        for a in sorted(a % out_ndim for a in axis):
            x = x.unsqueeze(a)
        return x
    return x.unsqueeze(axis)


@keras_op
def squeeze(x: Any, axis: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    if axis is None:
        return x.squeeze()
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"Cannot select an axis to squeeze out which has size not equal to one. "
                f"Received: axis={axis}, x.shape={tuple(x.shape)}"
            )
    return x.squeeze(axes)


@keras_op
def swapaxes(x: Any, axis1: int, axis2: int) -> torch.Tensor:
    return torch.swapaxes(to_tensor(x), axis1, axis2)


@keras_op
def moveaxis(x: Any, source: Any, destination: Any) -> torch.Tensor:
    return torch.movedim(to_tensor(x), source, destination)


@keras_op
def ravel(x: Any) -> torch.Tensor:
    return torch.ravel(to_tensor(x))


@keras_op
def broadcast_to(x: Any, shape: Sequence[int]) -> torch.Tensor:
    return torch.broadcast_to(to_tensor(x), tuple(shape))


@keras_op
def flip(x: Any, axis: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    if axis is None:
        axis = tuple(range(x.ndim))
    return torch.flip(x, (axis,) if isinstance(axis, int) else tuple(axis))


@keras_op
def roll(x: Any, shift: Any, axis: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    if axis is None:
        return torch.roll(x.flatten(), shift).reshape(x.shape)
    return torch.roll(x, shift, axis)


@keras_op
def concatenate(xs: Sequence[Any], axis: Optional[int] = 0) -> torch.Tensor:
    tensors = same_device_tensors(*xs)
    if axis is None:
        tensors, axis = [t.flatten() for t in tensors], 0
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = torch.promote_types(common, t.dtype)
    return torch.cat([t.to(common) for t in tensors], dim=axis)


@keras_op
def stack(x: Sequence[Any], axis: int = 0) -> torch.Tensor:
    tensors = same_device_tensors(*x)
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = torch.promote_types(common, t.dtype)
    return torch.stack([t.to(common) for t in tensors], dim=axis)


@keras_op
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    x = to_tensor(x)
    if isinstance(indices_or_sections, int):
        size = x.shape[axis]
        if size % indices_or_sections:
            raise ValueError(
                f"split: the size of axis {axis} ({size}) is not divisible by "
                f"indices_or_sections={indices_or_sections}."
            )
        return list(torch.split(x, size // indices_or_sections, dim=axis))
    bounds = [0, *[int(i) for i in indices_or_sections], x.shape[axis]]
    return list(torch.split(x, [b - a for a, b in zip(bounds[:-1], bounds[1:])], dim=axis))


@keras_op
def tile(x: Any, repeats: Any) -> torch.Tensor:
    x = to_tensor(x)
    repeats = (repeats,) if isinstance(repeats, int) else tuple(int(r) for r in repeats)
    return torch.tile(x, repeats)


@keras_op
def repeat(x: Any, repeats: Any, axis: Optional[int] = None) -> torch.Tensor:
    x = to_tensor(x)
    if isinstance(repeats, (list, tuple)) or isinstance(repeats, torch.Tensor):
        repeats = to_tensor(repeats, device=x.device)
    if axis is None:
        return torch.repeat_interleave(x.flatten(), repeats)
    return torch.repeat_interleave(x, repeats, dim=axis)


@keras_op
def take(x: Any, indices: Any, axis: Optional[int] = None) -> torch.Tensor:
    x = to_tensor(x)
    indices = to_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.flatten(), 0
    axis = axis % x.ndim
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    flat = torch.index_select(x, axis, indices.flatten())
    return flat.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1 :])


@keras_op
def take_along_axis(x: Any, indices: Any, axis: Optional[int] = None) -> torch.Tensor:
    x = to_tensor(x)
    indices = to_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.flatten(), 0
    axis = axis % x.ndim
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    shape = list(torch.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1 :],
                                        indices.shape[:axis] + (1,) + indices.shape[axis + 1 :]))
    x = x.expand(shape[:axis] + [x.shape[axis]] + shape[axis + 1 :])
    indices = indices.expand(shape[:axis] + [indices.shape[axis]] + shape[axis + 1 :])
    return torch.gather(x, axis, indices)


@keras_op
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    widths = _pad_widths(pad_width, x.ndim)
    flat = [w for pair in reversed(widths) for w in pair]
    if mode == "constant":
        return torch.nn.functional.pad(x, flat, value=0 if constant_values is None else constant_values)
    if constant_values is not None:
        raise ValueError(
            "Argument `constant_values` can only be provided when `mode == 'constant'`. "
            f"Received: mode={mode}"
        )
    torch_mode = {"reflect": "reflect", "symmetric": None, "edge": "replicate", "wrap": "circular"}.get(mode)
    if torch_mode is None:
        raise NotImplementedError(f"pad(mode={mode!r}) is not implemented in kerasish.ops.")
    # torch pads only trailing spatial dims of a batched tensor: add two leading dims for that.
    padded = torch.nn.functional.pad(x[None, None], flat, mode=torch_mode)
    return padded[0, 0]


def _pad_widths(pad_width: Any, ndim: int) -> list:
    if isinstance(pad_width, int):
        return [(pad_width, pad_width)] * ndim
    pad_width = [tuple(p) if isinstance(p, (list, tuple)) else (p, p) for p in pad_width]
    if len(pad_width) == 1:
        return pad_width * ndim
    return pad_width


@keras_op
def tril(x: Any, k: int = 0) -> torch.Tensor:
    return torch.tril(to_tensor(x), diagonal=k)


@keras_op
def triu(x: Any, k: int = 0) -> torch.Tensor:
    return torch.triu(to_tensor(x), diagonal=k)


@keras_op
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    return torch.diagonal(to_tensor(x), offset=offset, dim1=axis1, dim2=axis2)


@keras_op
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    x = to_tensor(x)
    result = torch.diagonal(x, offset=offset, dim1=axis1, dim2=axis2).sum(-1)
    return _small_ints_to_int32(result, x.dtype)


@keras_op
def diag(x: Any, k: int = 0) -> torch.Tensor:
    return torch.diag(to_tensor(x), diagonal=k)


def size(x: Any) -> int:
    return math.prod(to_tensor(x).shape) if not hasattr(x, "shape") else math.prod(x.shape)


def ndim(x: Any) -> int:
    return len(x.shape) if hasattr(x, "shape") else to_tensor(x).ndim


# ------------------------------------------------------------------ creation


def _dtype_or_floatx(dtype: Any) -> torch.dtype:
    return backend.torch_dtype(dtype or backend.floatx())


def _shape_tuple(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)


def ones(shape: Any, dtype: Any = None) -> torch.Tensor:
    return torch.ones(_shape_tuple(shape), dtype=_dtype_or_floatx(dtype), device=default_device())


def zeros(shape: Any, dtype: Any = None) -> torch.Tensor:
    return torch.zeros(_shape_tuple(shape), dtype=_dtype_or_floatx(dtype), device=default_device())


def full(shape: Any, fill_value: Any, dtype: Any = None) -> torch.Tensor:
    value = to_tensor(fill_value, _dtype_or_floatx(dtype), default_device())
    return value.expand(_shape_tuple(shape)).clone()


def eye(N: int, M: Optional[int] = None, k: int = 0, dtype: Any = None) -> torch.Tensor:  # noqa: N803
    M = N if M is None else M  # noqa: N806
    ones_ = torch.ones((N, M), dtype=_dtype_or_floatx(dtype), device=default_device())
    return torch.triu(torch.tril(ones_, k), k)


def identity(n: int, dtype: Any = None) -> torch.Tensor:
    return torch.eye(n, dtype=_dtype_or_floatx(dtype), device=default_device())


@keras_op
def ones_like(x: Any, dtype: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    return torch.ones_like(x, dtype=None if dtype is None else backend.torch_dtype(dtype))


@keras_op
def zeros_like(x: Any, dtype: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    return torch.zeros_like(x, dtype=None if dtype is None else backend.torch_dtype(dtype))


@keras_op
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    target = x.dtype if dtype is None else backend.torch_dtype(dtype)
    return torch.full_like(x, 0, dtype=target).add_(to_tensor(fill_value, target, x.device))


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> torch.Tensor:
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        values = [v for v in (start, stop, step)]
        is_float = builtins.any(isinstance(v, float) for v in values)
        target = _floatx() if is_float else torch.int32
    else:
        target = backend.torch_dtype(dtype)
    return torch.arange(start, stop, step, dtype=target, device=default_device())


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    if axis != 0:
        raise NotImplementedError("linspace(axis != 0) is not implemented in kerasish.ops.")
    target = _dtype_or_floatx(dtype)
    count = num if endpoint else num + 1
    values = torch.linspace(float(start), float(stop), count, dtype=torch.float64)
    if not endpoint:
        values = values[:-1]
    step = (float(stop) - float(start)) / builtins.max(count - 1, 1)
    values = values.to(target).to(default_device())
    return (values, step) if retstep else values
