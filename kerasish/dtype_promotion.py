"""``keras.backend.result_type``: Keras 3's dtype promotion, as its torch backend applies it.

Keras promotes on JAX's lattice: Python ``int``/``float`` are "weak" types that take the
precision of the other operand, unsigned and signed integers meet at the next wider signed
type, and the result is then narrowed to 32 bits (``int64`` -> ``int32``, ``float64`` ->
``float32``, ``complex128`` -> ``complex64``) because that is JAX's default and Keras' torch
backend keeps it. ``kerasish.ops`` reaches the same results by its own shortcuts; this module
is the general rule for user code.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

_FLOAT8 = ("float8_e4m3fn", "float8_e5m2")
_ALLOWED = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64",
    "complex128",
)
_PYTHON_TYPES = {bool: "bool", int: "int32", float: "float32", str: "string", complex: "complex64"}

# Each type's immediate successors on the promotion lattice ("int"/"float" are the weak types).
_LATTICE = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"],
    "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"],
    "uint64": ["float"],
    "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"],
    "int16": ["int32"],
    "int32": ["int64"],
    "int64": ["float"],
    "float": ["bfloat16", "float16"],
    "bfloat16": ["float32"],
    "float16": ["float32"],
    "float32": ["float64", "complex64"],
    "float64": ["complex128"],
    "complex64": ["complex128"],
    "complex128": [],
}
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def _upper_bounds() -> dict[str, frozenset]:
    bounds: dict[str, frozenset] = {}

    def reach(node: str) -> frozenset:
        if node not in bounds:
            bounds[node] = frozenset({node}).union(*(reach(n) for n in _LATTICE[node]))
        return bounds[node]

    for node in _LATTICE:
        reach(node)
    return bounds


_UPPER = _upper_bounds()


def standardize(dtype: Any) -> str:
    """Keras' dtype name for a Python type, string, NumPy or torch dtype (Keras 3's
    ``standardize_dtype``: ``None`` is ``floatx()``, Python ``int`` is int32)."""
    if dtype is None:
        from kerasish.backend import floatx

        return floatx()
    if isinstance(dtype, type) and dtype in _PYTHON_TYPES:
        dtype = _PYTHON_TYPES[dtype]
    elif dtype == "int":
        dtype = "int32"
    if isinstance(dtype, torch.dtype):
        dtype = str(dtype).split(".")[-1]
    elif hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype not in _ALLOWED:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


@functools.lru_cache(512)
def _least_upper_bound(*nodes: str) -> str:
    unknown = [n for n in nodes if n not in _UPPER]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion.")
    common = frozenset.intersection(*(_UPPER[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(str(n) for n in nodes)} have no available implicit dtype "
            "promotion path. Try explicitly casting inputs to the desired output type."
        )
    return next(iter(least))


def _weak(dtype: str) -> str:
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    raise ValueError(f"Invalid value for argument `dtype`. Expected one of {_ALLOWED}. Received: dtype={dtype}")


def _resolve_weak(dtype: str, precision: str) -> str:
    kind = "f" if dtype == "bfloat16" else dtype[:1]
    if kind == "b":
        return "bool"
    if kind == "i":
        return f"int{precision}"
    if kind == "u":
        return f"uint{precision}"
    return f"float{precision}"


def result_type(*dtypes: Any) -> str:
    """The dtype Keras gives an operation on values of ``dtypes`` (``None`` reads as
    ``floatx()``; no argument gives ``floatx()``)."""
    from kerasish.backend import floatx

    if not dtypes:
        return floatx()
    for dtype in dtypes:
        if dtype in _FLOAT8:
            raise ValueError(
                "There is no implicit conversions from float8 dtypes to others. You must cast "
                f"it internally. Received: {dtypes}"
            )
    args = [floatx() if d is None else d for d in dtypes]
    weak = [arg is int or arg is float for arg in args]
    names = [standardize(arg) for arg in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*sorted(set(names))), True
    else:
        out = _least_upper_bound(*sorted({_weak(n) if w else n for n, w in zip(names, weak)}))
        out_weak = out in ("int", "float")
    if out != "bool" and out_weak:
        out = _resolve_weak(out, floatx()[-2:])
    return _NARROWED.get(out, out)


def is_float_dtype(dtype: Any) -> bool:
    return standardize(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    return standardize(dtype).startswith(("int", "uint"))
