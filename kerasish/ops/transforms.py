"""The ``keras.ops`` that take a Python function: ``associative_scan``, ``custom_gradient``,
``jvp`` and ``vectorize``.

They run eagerly on tensors (inside a layer's ``call``, a ``Lambda`` or a training step). An op
layer stores its op by name and its arguments as config values, which a Python function is
not, so on KerasTensors they raise ``NotImplementedError`` naming the op and the way round it.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any, Callable, Optional

import torch

from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import contains_keras_tensor
from kerasish.utils import tree


def _refuse_symbolic(op: str, args: tuple, kwargs: Optional[dict] = None) -> None:
    if contains_keras_tensor(tuple(tree.flatten(list(args))), kwargs or {}):
        raise NotImplementedError(
            f"kerasish.ops.{op} on KerasTensors (symbolic inputs) is not implemented: it takes a "
            "Python function, which an op layer cannot store. Call it inside a Lambda layer or "
            "a custom layer's call() instead."
        )


# ------------------------------------------------------------------ associative_scan


def _along(x: torch.Tensor, axis: int, start: Optional[int], stop: Optional[int], step: int = 1) -> torch.Tensor:
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, stop, step)
    return x[tuple(index)]


def _interleave(even: torch.Tensor, odd: torch.Tensor, axis: int) -> torch.Tensor:
    """``[e0, o0, e1, o1, ...]`` along ``axis``; ``even`` may be one longer than ``odd``."""
    pairs = min(even.shape[axis], odd.shape[axis])
    woven = torch.stack([_along(even, axis, 0, pairs), odd], dim=axis + 1).flatten(axis, axis + 1)
    if even.shape[axis] == pairs:
        return woven
    return torch.cat([woven, _along(even, axis, pairs, None)], dim=axis)


def associative_scan(f: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Inclusive scan with an associative ``f``, in O(log n) rounds of vectorised ``f`` calls
    (the Blelloch recursion Keras' torch backend uses, so ``f`` sees the same operands and
    float results agree). Unlike Keras 3.15's torch backend, which interleaves through
    float32 zeros, results keep the input dtype."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    _refuse_symbolic("associative_scan", (elems,))
    flat = [to_tensor(e) for e in tree.flatten(elems)]
    axis = axis % flat[0].ndim
    lengths = [e.shape[axis] for e in flat]
    if any(n != lengths[0] for n in lengths):
        raise ValueError(
            "Array inputs to associative_scan must have the same size along the scanned axis "
            f"{axis}. (saw shapes: {[tuple(e.shape) for e in flat]})"
        )
    if reverse:
        flat = [torch.flip(e, (axis,)) for e in flat]

    def combine(a: list, b: list) -> list:
        out = f(tree.pack_sequence_as(elems, a), tree.pack_sequence_as(elems, b))
        return [to_tensor(o) for o in tree.flatten(out)]

    def scan(parts: list) -> list:
        n = parts[0].shape[axis]
        if n < 2:
            return parts
        odd = scan(combine([_along(p, axis, 0, -1, 2) for p in parts], [_along(p, axis, 1, None, 2) for p in parts]))
        later = [_along(p, axis, 2, None, 2) for p in parts]
        heads = [_along(o, axis, 0, -1) for o in odd] if n % 2 == 0 else odd
        even = [torch.cat([_along(p, axis, 0, 1), c], dim=axis) for p, c in zip(parts, combine(heads, later))]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    scanned = scan(flat)
    if reverse:
        scanned = [torch.flip(s, (axis,)) for s in scanned]
    return tree.pack_sequence_as(elems, scanned)


# ------------------------------------------------------------------ custom_gradient


def _grad_caller(grad: Callable) -> Callable:
    """Keras' torch convention is ``grad(*inputs, upstream=...)``; TensorFlow/JAX code writes
    ``grad(upstream)``, which Keras' torch backend cannot call. Both are accepted here."""
    try:
        params = inspect.signature(grad).parameters.values()
    except (TypeError, ValueError):
        return lambda inputs, upstream: grad(*inputs, upstream=upstream)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    tf_style = len(positional) == 1 and not any(
        p.kind is p.VAR_POSITIONAL or (p.kind is p.KEYWORD_ONLY and p.name == "upstream") for p in params
    )
    if not tf_style:
        return lambda inputs, upstream: grad(*inputs, upstream=upstream)
    return lambda inputs, upstream: grad(upstream)


class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, f: Callable, *args: Any) -> Any:
        result = f(*args)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
            raise TypeError(
                "A function decorated with custom_gradient must return `(output, grad_fn)`. "
                f"Received: {type(result).__name__}"
            )
        output, grad = result
        ctx.call_grad = _grad_caller(grad)
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
        ctx.others = [None if isinstance(a, torch.Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_positions))
        return output

    @staticmethod
    def backward(ctx: Any, upstream: torch.Tensor) -> tuple:
        inputs = list(ctx.others)
        for i, tensor in zip(ctx.tensor_positions, ctx.saved_tensors):
            inputs[i] = tensor
        grads = ctx.call_grad(inputs, upstream)
        grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        return (None,) + grads


def custom_gradient(f: Callable) -> Callable:
    """Decorate ``f(*inputs) -> (output, grad)`` so autograd uses ``grad`` for ``f``'s
    gradient (one gradient per positional input)."""

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        _refuse_symbolic("custom_gradient", args)
        return _CustomGradient.apply(f, *args)

    return wrapper


# ------------------------------------------------------------------ jvp


def jvp(fun: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> tuple:
    """Forward-mode derivative: ``(fun(*primals), J @ tangents)`` (plus ``aux`` with
    ``has_aux``), via ``torch.func.jvp``."""
    _refuse_symbolic("jvp", (primals, tangents))
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            "jvp: `primals` and `tangents` must be tuples or lists of tensors (one per argument "
            f"of `fun`). Received: primals={type(primals).__name__}, tangents={type(tangents).__name__}"
        )
    primals = tuple(to_tensor(p) for p in primals)
    tangents = tuple(to_tensor(t) for t in tangents)
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)


# ------------------------------------------------------------------ vectorize

_DIMENSIONS = r"\w+"
_CORE = r"\((?:\w+(?:,\w+)*)?\)"
_SIGNATURE = re.compile(rf"^{_CORE}(?:,{_CORE})*->{_CORE}(?:,{_CORE})*$")


def _parse_signature(signature: str) -> tuple:
    compact = re.sub(r"\s+", "", signature)
    if not _SIGNATURE.match(compact):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    sides = compact.split("->")
    return tuple(
        [tuple(re.findall(_DIMENSIONS, arg)) for arg in re.findall(r"\([^()]*\)", side)] for side in sides
    )


def _core_sizes(sizes: dict, shape: tuple, core: tuple, what: str) -> None:
    if len(shape) < len(core) or (what == "output" and len(shape) != len(core)):
        raise ValueError(
            f"vectorize: {what} with shape {shape} does not match its core dimensions {core}"
        )
    for name, size in zip(core, shape[len(shape) - len(core):]):
        if sizes.setdefault(name, size) != size:
            raise ValueError(f"vectorize: inconsistent size for core dimension {name!r}: {size} vs {sizes[name]}")


def vectorize(pyfunc: Callable, *, excluded: Any = None, signature: Optional[str] = None) -> Callable:
    """NumPy's ``vectorize`` on ``torch.vmap``: ``pyfunc`` sees one element (or one core-shaped
    slice, per ``signature``) of its broadcast inputs. Positions or names in ``excluded`` are
    passed through unvectorized (Keras 3.15 drops ``excluded``, vectorizing everything), and so
    are keyword arguments."""
    if not callable(pyfunc):
        raise ValueError(f"Expected argument `pyfunc` to be a callable. Received: pyfunc={pyfunc}")
    excluded = set(excluded or ())
    in_core, out_core = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def vectorized(*args: Any, **kwargs: Any) -> Any:
        _refuse_symbolic("vectorize", args, kwargs)
        fixed = {i: a for i, a in enumerate(args) if i in excluded or a is None}
        mapped = [to_tensor(a) for i, a in enumerate(args) if i not in fixed]
        cores = in_core if in_core is not None else [()] * len(mapped)
        if len(cores) != len(mapped):
            raise TypeError(f"vectorize: wrong number of positional arguments: expected {len(cores)}, got {len(mapped)}")
        sizes: dict = {}
        for x, core in zip(mapped, cores):
            _core_sizes(sizes, tuple(x.shape), core, "input")
        loops = [tuple(x.shape[: x.ndim - len(core)]) for x, core in zip(mapped, cores)]
        loop_shape = torch.broadcast_shapes(*loops) if loops else ()
        mapped = [x.expand(*loop_shape, *x.shape[x.ndim - len(core):]) for x, core in zip(mapped, cores)]

        def call(*values: torch.Tensor) -> Any:
            full, it = [], iter(values)
            for i in range(len(args)):
                full.append(fixed[i] if i in fixed else next(it))
            out = pyfunc(*full, **kwargs)
            outs = out if isinstance(out, tuple) else (out,)
            expected = out_core if out_core is not None else [()] * len(outs)
            if len(outs) != len(expected):
                raise TypeError(f"vectorize: wrong number of outputs: expected {len(expected)}, got {len(outs)}")
            known = dict(sizes)
            for o, core in zip(outs, expected):
                _core_sizes(known, tuple(o.shape), core, "output")
            return out

        function = call
        for _ in loop_shape:
            function = torch.vmap(function)
        return function(*mapped)

    return vectorized
