"""The rest of ``keras.ops``' numpy namespace: extra elementwise math, bitwise ops, stacking and
splitting, searching, statistics and array creation.

Output dtypes are those of Keras 3's torch backend, including two of its quirks worth knowing:
where that backend promotes the *torch* dtypes of its inputs (``hypot``, ``heaviside``,
``logaddexp``, ``inner``, ``quantile``...), Keras reads float64 and int64 as Python's weak
``float``/``int``, so those ops give float32/int32 for 64-bit inputs; and float functions of
int64 (``cbrt``, ``i0``, ``deg2rad``) give float64 where other integers give ``floatx()``.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.ops.core import default_device, same_device_tensors, to_tensor
from kerasish.ops.dispatch import keras_op
from kerasish.ops.numpy import _floatx, _op, binary_operands

_INTS = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _is_int(dtype: torch.dtype) -> bool:
    return dtype in _INTS


def _keras_promote(*dtypes: torch.dtype, weak_float: bool = False) -> torch.dtype:
    """Keras' ``result_type`` of torch dtypes: float64 counts as float32, int64 as int32, and
    ``weak_float`` adds Python's ``float`` (ints and bools become float32, floats stay)."""
    mapped = [{torch.float64: torch.float32, torch.int64: torch.int32}.get(d, d) for d in dtypes]
    result = mapped[0]
    for d in mapped[1:]:
        result = torch.promote_types(result, d)
    if weak_float and not result.is_floating_point:
        return torch.float32
    return result


def _float_of(x: torch.Tensor, int64_to_float64: bool = True) -> torch.Tensor:
    """``x`` as the float dtype a Keras float function gives: floats stay, int64 becomes
    float64 (when Keras does that), other integers and bools ``floatx()``."""
    if x.is_floating_point() or x.is_complex():
        return x
    if x.dtype == torch.int64 and int64_to_float64:
        return x.double()
    return x.to(_floatx())


def _float_to_floatx(x: torch.Tensor) -> torch.Tensor:
    return x if x.is_floating_point() or x.is_complex() else x.to(_floatx())


def _int_bool_to_int32(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.int32) if x.dtype == torch.bool else x


# ------------------------------------------------------------------ unary elementwise


def _cbrt(x: torch.Tensor) -> torch.Tensor:
    x = _int_bool_to_int32(x)
    if x.dtype == torch.int64:
        x = x.double()
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


def _angle(x: torch.Tensor) -> torch.Tensor:
    if x.is_complex():
        return torch.angle(x)
    return torch.angle(_float_to_floatx(x))


def _signbit(x: torch.Tensor) -> torch.Tensor:
    if x.dtype == torch.bool:
        return torch.zeros_like(x)
    return torch.signbit(x)


angle = _op("angle", _angle, "x")
cbrt = _op("cbrt", _cbrt, "x")
conj = _op("conj", lambda x: torch.conj(x).resolve_conj() if x.is_complex() else x, "x")
conjugate = _op("conjugate", lambda x: torch.conj(x).resolve_conj() if x.is_complex() else x, "x")
copy = _op("copy", torch.clone, "x")
deg2rad = _op("deg2rad", lambda x: torch.deg2rad(_float_of(x)), "x")
rad2deg = _op("rad2deg", lambda x: torch.rad2deg(_float_of(x)), "x")
erfc = _op("erfc", lambda x: torch.erfc(_float_to_floatx(x)), "x")
exp2 = _op("exp2", lambda x: torch.exp2(_float_to_floatx(x)), "x")
fabs = _op("fabs", lambda x: torch.abs(_float_to_floatx(x)), "x")
i0 = _op("i0", lambda x: torch.i0(_float_of(x)), "x")
real = _op("real", lambda x: torch.real(x) if x.is_complex() else x, "x")
isneginf = _op("isneginf", torch.isneginf, "x")
isposinf = _op("isposinf", torch.isposinf, "x")
isreal = _op("isreal", torch.isreal, "x")
signbit = _op("signbit", _signbit, "x")
sinc = _op("sinc", torch.sinc, "x")
trunc = _op("trunc", lambda x: x if x.dtype == torch.bool else torch.trunc(x), "x")
fliplr = _op("fliplr", lambda x: torch.flip(x, (1,)), "x")
flipud = _op("flipud", lambda x: torch.flip(x, (0,)), "x")


@keras_op
def imag(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    if x.is_complex():
        return torch.imag(x)
    return torch.zeros_like(x)


def _bitwise_operand(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.is_floating_point() or x.is_complex():
        raise TypeError(f"`{name}` takes integer or boolean tensors. Received: dtype={x.dtype}")
    return x


bitwise_not = _op("bitwise_not", lambda x: torch.bitwise_not(_bitwise_operand(x, "bitwise_not")), "x")
bitwise_invert = _op(
    "bitwise_invert", lambda x: torch.bitwise_not(_bitwise_operand(x, "bitwise_invert")), "x"
)


# ------------------------------------------------------------------ binary elementwise


def _fmod(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.dtype == torch.bool and b.dtype == torch.bool:
        a, b = a.to(torch.int32), b.to(torch.int32)
    return torch.fmod(a, b)


def _integer_pair(name: str, torch_fn: Any) -> Any:
    def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        for t in (a, b):
            if not _is_int(t.dtype) and not (t.dtype == torch.bool and name.startswith("bitwise_")
                                             and "shift" not in name):
                raise TypeError(f"`{name}` takes integer tensors. Received: dtype={t.dtype}")
        return torch_fn(a, b)

    return fn


def _float_pair(torch_fn: Any, weak_float: bool, compute_in: Optional[torch.dtype] = None) -> Any:
    """A binary float op whose result dtype is Keras' promotion of the two input dtypes."""

    def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        dtype = _keras_promote(a.dtype, b.dtype, weak_float=weak_float)
        if not dtype.is_floating_point:
            dtype = _floatx()
        work = compute_in or dtype
        return torch_fn(a.to(work), b.to(work)).to(dtype)

    return fn


def _heaviside(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dtype = _keras_promote(a.dtype, b.dtype)
    if _is_int(dtype):
        dtype = _floatx()
    return torch.heaviside(a.to(dtype), b.to(dtype))


def _ldexp(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if not _is_int(b.dtype):
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={b.dtype}")
    dtype = _keras_promote(a.dtype, b.dtype, weak_float=True)
    return torch.ldexp(a.to(dtype), b).to(dtype)


def _logaddexp2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.logaddexp2(a, b)


def _divide_no_nan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dtype = _keras_promote(a.dtype, b.dtype, weak_float=True)
    a, b = a.to(dtype), b.to(dtype)
    zero = b == 0
    return torch.where(zero, torch.zeros((), dtype=dtype), a / torch.where(zero, torch.ones((), dtype=dtype), b))


fmod = _op("fmod", _fmod, "x1, x2")
gcd = _op("gcd", _integer_pair("gcd", torch.gcd), "x1, x2")
lcm = _op("lcm", _integer_pair("lcm", torch.lcm), "x1, x2")
heaviside = _op("heaviside", _heaviside, "x1, x2")
hypot = _op("hypot", _float_pair(torch.hypot, weak_float=False), "x1, x2")
ldexp = _op("ldexp", _ldexp, "x1, x2")
logaddexp = _op("logaddexp", _float_pair(torch.logaddexp, weak_float=True, compute_in=None), "x1, x2")
logaddexp2 = _op("logaddexp2", _float_pair(_logaddexp2, weak_float=True), "x1, x2")
nextafter = _op("nextafter", _float_pair(torch.nextafter, weak_float=True, compute_in=torch.float64), "x1, x2")
divide_no_nan = _op("divide_no_nan", _divide_no_nan, "x1, x2")
bitwise_and = _op("bitwise_and", _integer_pair("bitwise_and", torch.bitwise_and), "x, y")
bitwise_or = _op("bitwise_or", _integer_pair("bitwise_or", torch.bitwise_or), "x, y")
bitwise_xor = _op("bitwise_xor", _integer_pair("bitwise_xor", torch.bitwise_xor), "x, y")
bitwise_left_shift = _op(
    "bitwise_left_shift", _integer_pair("bitwise_left_shift", torch.bitwise_left_shift), "x, y"
)
bitwise_right_shift = _op(
    "bitwise_right_shift", _integer_pair("bitwise_right_shift", torch.bitwise_right_shift), "x, y"
)
left_shift = _op("left_shift", _integer_pair("left_shift", torch.bitwise_left_shift), "x, y")
right_shift = _op("right_shift", _integer_pair("right_shift", torch.bitwise_right_shift), "x, y")


def _promoted(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    dtype = torch.promote_types(a.dtype, b.dtype)
    return a.to(dtype), b.to(dtype)


@keras_op
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> torch.Tensor:
    a, b = _promoted(*binary_operands(x1, x2))
    if a.is_floating_point():
        return torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return torch.eq(a, b)


@keras_op
def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> torch.Tensor:
    """A 0-d bool tensor (not a Python bool, which would sync with the device)."""
    return torch.all(isclose.eager(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


@keras_op
def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> torch.Tensor:
    a, b = same_device_tensors(x1, x2)
    a, b = _promoted(a, b)
    return torch.isin(a, b, assume_unique=assume_unique, invert=invert)


@keras_op
def inner(x1: Any, x2: Any) -> torch.Tensor:
    a, b = same_device_tensors(x1, x2)
    result = _keras_promote(a.dtype, b.dtype)
    compute = result if result.is_floating_point else torch.float32
    if compute == torch.float16 and a.device.type == "cpu":
        compute = torch.float32
    return torch.inner(a.to(compute), b.to(compute)).to(result)


@keras_op
def kron(x1: Any, x2: Any) -> torch.Tensor:
    a, b = _promoted(*same_device_tensors(x1, x2))
    return torch.kron(a, b)


@keras_op
def cross(
    x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Optional[int] = None
) -> torch.Tensor:
    a, b = same_device_tensors(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    result = _keras_promote(a.dtype, b.dtype)
    if a.shape[axisa] != 3 or b.shape[axisb] != 3:
        raise NotImplementedError(
            "cross() of 2-element vectors is not implemented (as in Keras' torch backend). "
            f"Received: x1.shape={tuple(a.shape)}, x2.shape={tuple(b.shape)}"
        )
    compute = torch.float32 if result == torch.float16 and a.device.type == "cpu" else result
    a = torch.movedim(a, axisa, -1).to(compute)
    b = torch.movedim(b, axisb, -1).to(compute)
    a, b = torch.broadcast_tensors(a, b)
    return torch.movedim(torch.linalg.cross(a, b, dim=-1), -1, axisc).to(result)


# ------------------------------------------------------------------ shapes, stacking, splitting


@keras_op
def rot90(array: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> torch.Tensor:
    return torch.rot90(to_tensor(array), k, tuple(axes))


def _common(tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t.to(dtype) for t in tensors]


@keras_op
def hstack(xs: Sequence[Any]) -> torch.Tensor:
    return torch.hstack(_common(same_device_tensors(*xs)))


@keras_op
def vstack(xs: Sequence[Any]) -> torch.Tensor:
    return torch.vstack(_common(same_device_tensors(*xs)))


@keras_op
def dstack(xs: Sequence[Any]) -> torch.Tensor:
    return torch.dstack(_common(same_device_tensors(*xs)))


def _sections(x: torch.Tensor, indices_or_sections: Any, axis: int, exact: bool, name: str) -> list:
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if exact and size % indices_or_sections:
            raise ValueError(
                f"{name}: the size of axis {axis} ({size}) is not divisible by "
                f"indices_or_sections={indices_or_sections}."
            )
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], dim=axis))


@keras_op
def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    if not isinstance(indices_or_sections, int):
        raise TypeError(
            "Argument `indices_or_sections` must be of type `int`. "
            f"Received: indices_or_sections={indices_or_sections}"
        )
    return _sections(to_tensor(x), indices_or_sections, axis, False, "array_split")


@keras_op
def hsplit(x: Any, indices_or_sections: Any) -> list:
    x = to_tensor(x)
    return _sections(x, indices_or_sections, 0 if x.ndim == 1 else 1, True, "hsplit")


@keras_op
def vsplit(x: Any, indices_or_sections: Any) -> list:
    return _sections(to_tensor(x), indices_or_sections, 0, True, "vsplit")


@keras_op
def dsplit(x: Any, indices_or_sections: Any) -> list:
    return _sections(to_tensor(x), indices_or_sections, 2, True, "dsplit")


@keras_op
def append(x1: Any, x2: Any, axis: Optional[int] = None) -> torch.Tensor:
    a, b = same_device_tensors(x1, x2)
    dtype = _keras_promote(a.dtype, b.dtype) if torch.bool in (a.dtype, b.dtype) else None
    a, b = _common([a, b])
    if dtype is not None:
        a, b = a.to(dtype), b.to(dtype)
    if axis is None:
        return torch.cat([a.flatten(), b.flatten()])
    return torch.cat([a, b], dim=axis)


@keras_op
def diff(a: Any, n: int = 1, axis: int = -1) -> torch.Tensor:
    return torch.diff(to_tensor(a), n=n, dim=axis)


@keras_op
def diagflat(x: Any, k: int = 0) -> torch.Tensor:
    return torch.diagflat(to_tensor(x), offset=k)


@keras_op
def nonzero(x: Any) -> torch.Tensor:
    """The indices as one int32 tensor of shape ``(x.ndim, count)``, as Keras' torch backend
    gives them (unpacking it gives one index row per axis). The count depends on the data, so
    this syncs with the device."""
    return torch.stack(torch.nonzero(to_tensor(x), as_tuple=True)).to(torch.int32)


@keras_op
def unravel_index(indices: Any, shape: Sequence[int]) -> tuple:
    indices = to_tensor(indices)
    coords = []
    for dim in reversed(tuple(int(d) for d in shape)):
        coords.append(torch.remainder(indices, dim).to(torch.int32))
        indices = torch.div(indices, dim, rounding_mode="floor")
    return tuple(reversed(coords))


# ------------------------------------------------------------------ searching, counting


@keras_op
def digitize(x: Any, bins: Any) -> torch.Tensor:
    x, bins = same_device_tensors(x, bins)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    if bins.dtype == torch.bool:
        bins = bins.to(torch.int32)
    x, bins = _common([x, bins])
    return torch.bucketize(x, bins, out_int32=True, right=True)


@keras_op
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> torch.Tensor:
    sequence, values = same_device_tensors(sorted_sequence, values)
    if sequence.ndim != 1:
        raise ValueError(
            "`searchsorted` only supports 1-D sorted sequences. You can use `keras.ops.vectorized_map` "
            f"to extend it to N-D sequences. Received: sorted_sequence.shape={tuple(sequence.shape)}"
        )
    if sequence.dtype == torch.bool or values.dtype == torch.bool:
        raise NotImplementedError("searchsorted() of boolean tensors is not implemented (as in Keras' torch backend).")
    sequence, values = _common([sequence, values])
    return torch.searchsorted(sequence, values, side=side, out_int32=True)


@keras_op
def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> torch.Tensor:
    """Counts over the last axis of a 1-D or 2-D ``x``. The output length depends on the data's
    maximum, so this syncs with the device."""
    if sparse:
        raise NotImplementedError("bincount(sparse=True) is not implemented in kerasish.ops.")
    x = to_tensor(x)
    if weights is None:
        dtype = torch.int32
    else:
        weights = to_tensor(weights, device=x.device)
        dtype = _keras_promote(weights.dtype, torch.int32)
        if weights.dtype == torch.bool:
            dtype = torch.int32
        weights = weights.to(dtype if dtype.is_floating_point else torch.float64)
    if x.ndim == 1:
        return torch.bincount(x, weights=weights, minlength=minlength).to(dtype)
    if x.ndim != 2:
        raise ValueError(f"bincount: `x` must be 1-D or 2-D. Received: x.shape={tuple(x.shape)}")
    length = builtins.max(int(x.max()) + 1 if x.numel() else 0, minlength)
    rows = torch.zeros((x.shape[0], length), dtype=dtype if weights is None else weights.dtype, device=x.device)
    source = torch.ones_like(x, dtype=rows.dtype) if weights is None else weights
    return rows.scatter_add_(1, x.long(), source).to(dtype)


# ------------------------------------------------------------------ statistics


@keras_op
def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    if x.dtype == torch.bool:
        raise TypeError("ptp() is not defined for boolean tensors (torch cannot subtract booleans).")
    dims = tuple(range(x.ndim)) if axis is None else axis
    return torch.amax(x, dim=dims, keepdim=keepdims) - torch.amin(x, dim=dims, keepdim=keepdims)


def _stat_dtype(x: torch.Tensor) -> torch.dtype:
    return _keras_promote(x.dtype, weak_float=True)


@keras_op
def average(x: Any, axis: Any = None, weights: Any = None) -> torch.Tensor:
    x = to_tensor(x)
    dtype = _stat_dtype(x)
    if weights is not None:
        weights = to_tensor(weights, device=x.device)
        dtype = _keras_promote(dtype, weights.dtype, weak_float=True)
    x = x.to(dtype)
    dims = tuple(range(x.ndim)) if axis is None else axis
    if weights is None:
        return torch.mean(x, dim=dims)
    weights = weights.to(dtype)
    if weights.ndim == 1 and x.ndim > 1:
        if axis is None or (isinstance(axis, (list, tuple)) and len(axis) != 1):
            raise ValueError("Axis must be specified when shapes of a and weights differ.")
        axis_ = axis[0] if isinstance(axis, (list, tuple)) else axis
        axis_ %= x.ndim
        if weights.shape[0] != x.shape[axis_]:
            raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
        weights = weights.reshape([-1 if d == axis_ else 1 for d in range(x.ndim)])
    elif weights.shape != x.shape:
        raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
    return torch.sum(x * weights, dim=dims) / torch.sum(weights.expand_as(x), dim=dims)


@keras_op
def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    dtype = _stat_dtype(x)
    work = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    q_tensor = to_tensor(q, dtype=work, device=x.device)
    x = x.to(work)
    if axis is None:
        result = torch.quantile(x.flatten(), q_tensor, interpolation=method)
        if keepdims:
            result = result.reshape(q_tensor.shape + (1,) * x.ndim)
        return result.to(dtype)
    axes = sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    kept = [d for d in range(x.ndim) if d not in axes]
    moved = x.permute(*kept, *axes).reshape([x.shape[d] for d in kept] + [-1])
    result = torch.quantile(moved, q_tensor, dim=-1, interpolation=method)
    if keepdims:
        shape = list(result.shape[: q_tensor.ndim]) + [1 if d in axes else x.shape[d] for d in range(x.ndim)]
        result = result.reshape(shape)
    return result.to(dtype)


@keras_op
def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> torch.Tensor:
    q = to_tensor(q, dtype=torch.float64) / 100.0
    return quantile.eager(x, q, axis=axis, method=method, keepdims=keepdims)


@keras_op
def median(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return quantile.eager(x, 0.5, axis=axis, keepdims=keepdims)


@keras_op
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> torch.Tensor:
    y = to_tensor(y)
    y = _float_of(y) if y.dtype != torch.int64 else y.to(_floatx())
    if x is None:
        return torch.trapezoid(y, dx=dx, dim=axis)
    return torch.trapezoid(y, to_tensor(x, device=y.device).to(y.dtype), dim=axis)


@keras_op
def nan_to_num(x: Any, nan: float = 0.0, posinf: Optional[float] = None, neginf: Optional[float] = None) -> torch.Tensor:
    x = to_tensor(x)
    if not x.is_floating_point():
        return x
    return torch.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@keras_op
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> torch.Tensor:
    if len(condlist) != len(choicelist):
        raise ValueError(
            "condlist and choicelist must have the same length. Received: "
            f"len(condlist)={len(condlist)}, len(choicelist)={len(choicelist)}"
        )
    conditions = same_device_tensors(*condlist)
    choices = _common(same_device_tensors(*choicelist))
    out = torch.as_tensor(default, dtype=choices[0].dtype, device=choices[0].device)
    for condition, choice in zip(reversed(conditions), reversed(choices)):
        out = torch.where(condition.to(torch.bool), choice, out)
    return out


@keras_op
def vander(x: Any, N: Optional[int] = None, increasing: bool = False) -> torch.Tensor:  # noqa: N803
    x = to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: `x` must be 1-D. Received: x.shape={tuple(x.shape)}")
    dtype = _keras_promote(x.dtype)
    result = torch.vander(x.to(dtype) if dtype != torch.bool else x.to(torch.int32), N=N, increasing=increasing)
    return result.to(dtype)


@keras_op
def meshgrid(*x: Any, indexing: str = "xy") -> list:
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: indexing={indexing}")
    return list(torch.meshgrid(*same_device_tensors(*x), indexing=indexing))


# ------------------------------------------------------------------ creation


def tri(N: int, M: Optional[int] = None, k: int = 0, dtype: Any = None) -> torch.Tensor:  # noqa: N803
    M = N if M is None else M  # noqa: N806
    ones_ = torch.ones((N, M), dtype=backend.torch_dtype(dtype or backend.floatx()), device=default_device())
    return torch.tril(ones_, k)


def empty(shape: Any, dtype: Any = None) -> torch.Tensor:
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
    return torch.empty(shape, dtype=backend.torch_dtype(dtype or backend.floatx()), device=default_device())


@keras_op
def empty_like(x: Any, dtype: Any = None) -> torch.Tensor:
    return torch.empty_like(to_tensor(x), dtype=None if dtype is None else backend.torch_dtype(dtype))


def array(x: Any, dtype: Any = None) -> torch.Tensor:
    return to_tensor(x, dtype=dtype, device=default_device())


def logspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10, dtype: Any = None, axis: int = 0
) -> torch.Tensor:
    if axis != 0:
        raise NotImplementedError("logspace(axis != 0) is not implemented in kerasish.ops.")
    count = num if endpoint else num + 1
    exponents = torch.linspace(float(start), float(stop), count, dtype=torch.float64)[:num]
    values = torch.pow(torch.as_tensor(float(base), dtype=torch.float64), exponents)
    return values.to(backend.torch_dtype(dtype or backend.floatx())).to(default_device())


def geomspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> torch.Tensor:
    if axis != 0:
        raise NotImplementedError("geomspace(axis != 0) is not implemented in kerasish.ops.")
    if float(start) == 0 or float(stop) == 0:
        raise ValueError("geomspace: `start` and `stop` must be non-zero.")
    count = num if endpoint else num + 1
    log_start, log_stop = math.log(abs(float(start))), math.log(abs(float(stop)))
    values = torch.exp(torch.linspace(log_start, log_stop, count, dtype=torch.float64)[:num])
    if float(start) < 0 and float(stop) < 0:
        values = -values
    return values.to(backend.torch_dtype(dtype or backend.floatx())).to(default_device())


@keras_op
def vdot(x1: Any, x2: Any) -> torch.Tensor:
    """The dot product of the flattened inputs (NumPy's ``vdot``; Keras' torch backend takes
    1-D inputs only), conjugating ``x1``; integer results are computed in float as Keras does."""
    a, b = same_device_tensors(x1, x2)
    result = _keras_promote(a.dtype, b.dtype)
    compute = _keras_promote(result, weak_float=True)
    if compute == torch.float16 and a.device.type == "cpu":
        compute = torch.float32
    return torch.vdot(a.flatten().to(compute), b.flatten().to(compute)).to(result)


@keras_op
def histogram(x: Any, bins: int = 10, range: Optional[Sequence[float]] = None) -> tuple:  # noqa: A002
    """``(counts, bin_edges)`` of a 1-D ``x``, the counts as floats like torch's. Works on any
    device (``torch.histogram`` is CPU-only) and without reading the data's range back to the
    host; values outside ``range`` are not counted, the last bin includes its right edge."""
    x = to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={tuple(x.shape)}")
    if not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"Argument `bins` should be a positive integer. Received: bins={bins}")
    if not x.is_floating_point():
        raise NotImplementedError(f"histogram() of {x.dtype} tensors is not implemented (as in Keras' torch backend).")
    if range is None:
        low, high = torch.amin(x), torch.amax(x)
    else:
        low, high = (torch.as_tensor(float(v), dtype=x.dtype, device=x.device) for v in range)
    equal = low == high
    low, high = torch.where(equal, low - 0.5, low), torch.where(equal, high + 0.5, high)
    steps = torch.arange(bins + 1, dtype=torch.float64, device=x.device) / bins
    edges = (low.double() + (high.double() - low.double()) * steps).to(x.dtype)
    index = torch.bucketize(x, edges, right=True) - 1
    inside = (x >= low) & (x <= high)
    index = index.clamp(0, bins - 1)
    counts = torch.zeros(bins, dtype=x.dtype, device=x.device).scatter_add_(0, index, inside.to(x.dtype))
    return counts, edges


# ------------------------------------------------------------------ NaN-ignoring reductions


def _dims(x: torch.Tensor, axis: Any) -> Any:
    if axis is None:
        return tuple(range(x.ndim))
    return tuple(axis) if isinstance(axis, list) else axis


@keras_op
def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    dtype = torch.int32 if x.dtype in (torch.bool, torch.uint8, torch.int8, torch.int16) else x.dtype
    if axis == () or axis == []:
        return torch.nan_to_num(x, nan=0).to(dtype)
    if not (x.is_floating_point() or x.is_complex()):
        return torch.sum(x, dim=_dims(x, axis), keepdim=keepdims).to(dtype)
    return torch.nansum(x, dim=_dims(x, axis), keepdim=keepdims).to(dtype)


@keras_op
def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    if axis == () or axis == []:
        return x
    x = x.to(_keras_promote(x.dtype, weak_float=True))
    return torch.nanmean(x, dim=_dims(x, axis), keepdim=keepdims)


def _nan_extreme(x: Any, axis: Any, keepdims: bool, largest: bool) -> torch.Tensor:
    x = to_tensor(x)
    reduce = torch.amax if largest else torch.amin
    if not x.is_floating_point():
        return reduce(x, dim=_dims(x, axis), keepdim=keepdims)
    if axis == () or axis == []:
        return x
    dims = _dims(x, axis)
    missing = torch.isnan(x)
    out = reduce(x.masked_fill(missing, float("-inf") if largest else float("inf")), dim=dims, keepdim=keepdims)
    return out.masked_fill(missing.all(dim=dims, keepdim=keepdims), float("nan"))


@keras_op
def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return _nan_extreme(x, axis, keepdims, largest=True)


@keras_op
def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return _nan_extreme(x, axis, keepdims, largest=False)


@keras_op
def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    from kerasish.ops.numpy import prod

    x = to_tensor(x)
    if axis == () or axis == []:
        return torch.nan_to_num(x, nan=1)
    if x.is_floating_point():
        x = x.masked_fill(torch.isnan(x), 1)
    result = prod.eager(x, axis=axis, keepdims=keepdims)
    return result.to(_keras_promote(result.dtype))


@keras_op
def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    x = to_tensor(x)
    x = x.to(_keras_promote(x.dtype, weak_float=True))
    if axis == () or axis == []:
        return torch.where(torch.isnan(x), x, torch.zeros((), dtype=x.dtype))
    dims = _dims(x, axis)
    valid = ~torch.isnan(x)
    mean = torch.nanmean(x, dim=dims, keepdim=True)
    centered = torch.where(valid, x - mean, torch.zeros((), dtype=x.dtype)).square()
    return centered.sum(dim=dims, keepdim=keepdims) / valid.sum(dim=dims, keepdim=keepdims)


@keras_op
def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.sqrt(nanvar.eager(x, axis=axis, keepdims=keepdims))


def _nan_aware_pair(torch_fn: Any) -> Any:
    def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.dtype != b.dtype:
            dtype = torch.promote_types(a.dtype, b.dtype)
            a, b = a.to(dtype), b.to(dtype)
        return torch_fn(a, b)

    return fn


fmax = _op("fmax", _nan_aware_pair(torch.fmax), "x1, x2")
fmin = _op("fmin", _nan_aware_pair(torch.fmin), "x1, x2")
