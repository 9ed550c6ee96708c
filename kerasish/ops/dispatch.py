"""How an op runs: eagerly on tensors, or as a graph node when a KerasTensor is among its inputs.

Every op in ``kerasish.ops`` is an ordinary function on torch tensors. Called with a KerasTensor
anywhere in its arguments, it instead creates an op layer (``TFOpLambda``) that runs the same
function when the model runs, and returns that layer's symbolic output. This is what tf.keras
did with ``tf.*`` calls on KerasTensors (``TFOpLambda``) and what Keras 3 does with its
operations, so ``keras.ops.add(a, b)``, ``K.sum(x, axis=1)`` and ``a + b`` all build nodes.

Each op is registered under a *symbol*, the name an op layer's config stores: ``keras.ops.sum``
for kerasish ops, and tf.keras' own names (``math.add``, ``__operators__.getitem``) for the
TensorFlow functions tf.keras configs refer to (see ``tf_symbols``).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional

import torch

from kerasish.graph.keras_tensor import KerasTensor

KERAS_PREFIX = "keras.ops."
# Keras 2 backend functions with no ``keras.ops`` equivalent (``K.batch_dot``).
BACKEND_PREFIX = "keras.backend."

_SYMBOLS: dict[str, Callable] = {}
_SYMBOL_OF: dict[int, str] = {}
# Ops whose Keras 3 symbolic spec has another dtype than running the op gives (``cumsum`` of an
# int64 tensor is int64 symbolically, int32 when run): symbol -> rule(*args, **kwargs) -> dtype.
_OUTPUT_DTYPES: dict[str, Callable] = {}


def register_symbol(symbol: str, function: Callable) -> None:
    _SYMBOLS[symbol] = function
    _SYMBOL_OF.setdefault(id(function), symbol)


def lookup_symbol(symbol: str) -> Callable:
    try:
        return _SYMBOLS[symbol]
    except KeyError:
        raise ValueError(
            f"Unknown op symbol {symbol!r} in an op layer (TFOpLambda). kerasish knows the "
            f"kerasish.ops functions ('{KERAS_PREFIX}<name>') and these TensorFlow functions: "
            f"{sorted(s for s in _SYMBOLS if not s.startswith((KERAS_PREFIX, BACKEND_PREFIX)))}."
        ) from None


def output_dtype_rule(symbol: str) -> Optional[Callable]:
    return _OUTPUT_DTYPES.get(symbol)


def symbol_of(function: Callable) -> str:
    """The registered symbol of an op (the public op or its eager implementation)."""
    symbol = getattr(function, "symbol", None) or _SYMBOL_OF.get(id(function))
    if symbol is None:
        raise ValueError(
            f"{function!r} is not a registered op, so it cannot become an op layer. Wrap it in "
            "a `Lambda` layer instead."
        )
    return symbol


def contains_keras_tensor(args: tuple, kwargs: dict) -> bool:
    for x in args:
        if _has_keras_tensor(x):
            return True
    for x in kwargs.values():
        if _has_keras_tensor(x):
            return True
    return False


def _has_keras_tensor(x: Any) -> bool:
    kind = type(x)
    if kind is torch.Tensor:  # the eager hot path: answer at once
        return False
    if isinstance(x, KerasTensor):
        return True
    if kind is list or kind is tuple:
        return any(_has_keras_tensor(item) for item in x)
    if kind is dict:
        return any(_has_keras_tensor(item) for item in x.values())
    return False


def keras_op(
    function: Optional[Callable] = None,
    *,
    name: Optional[str] = None,
    namespace: str = KERAS_PREFIX,
    output_dtype: Optional[Callable] = None,
) -> Callable:
    """Register ``function`` as ``<namespace><name>`` (``keras.ops.sum``) and make it build
    graph nodes on KerasTensors. ``output_dtype(*args, **kwargs)`` gives the symbolic output's
    dtype where Keras 3's spec differs from what running the op gives."""

    def decorate(fn: Callable) -> Callable:
        symbol = namespace + (name or fn.__name__)
        register_symbol(symbol, fn)
        if output_dtype is not None:
            _OUTPUT_DTYPES[symbol] = output_dtype

        @functools.wraps(fn)
        def op(*args: Any, **kwargs: Any) -> Any:
            if contains_keras_tensor(args, kwargs):
                return symbolic_call(symbol, args, kwargs)
            return fn(*args, **kwargs)

        op.symbol = symbol
        op.eager = fn
        _SYMBOL_OF[id(op)] = symbol
        return op

    return decorate(function) if function is not None else decorate


def symbolic_call(symbol: str, args: tuple, kwargs: dict) -> Any:
    """Record one call of the op ``symbol`` on KerasTensors as a new op layer."""
    from kerasish.ops.op_layer import SlicingOpLambda, TFOpLambda

    function = lookup_symbol(symbol)
    args, kwargs = _positional(function, args, kwargs)
    cls = SlicingOpLambda if symbol in SLICING_SYMBOLS else TFOpLambda
    return cls(symbol)(*args, **kwargs)


# tf.keras records these with SlicingOpLambda, whose configs hold slices as dicts.
SLICING_SYMBOLS = frozenset({"__operators__.getitem"})


def _positional(function: Callable, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Arguments bound to positions where the signature allows, so a config names each one."""
    if not kwargs:
        return args, kwargs
    try:
        bound = call_signature(function).bind(*args, **kwargs)
    except TypeError as err:
        name = getattr(function, "__name__", function)
        raise TypeError(f"Invalid arguments for op '{name}': {err}") from None
    return tuple(bound.args), dict(bound.kwargs)


@functools.cache
def call_signature(function: Callable) -> inspect.Signature:
    return inspect.signature(function)
