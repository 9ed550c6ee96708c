"""Core ops: tensor conversion, dtypes and shapes, slicing, control flow (``keras.ops`` core).

Conversions follow Keras 3's torch backend: a Python ``float`` becomes ``floatx()``, a Python
``int`` becomes int32 (int64 if it does not fit), numpy arrays keep their dtype, and lists take
the dtype their elements promote to.
"""

from __future__ import annotations

import builtins
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.ops.dispatch import keras_op
from kerasish.utils import tree

# The device that ops creating tensors from nothing (``ones``, ``random_normal``) use. A Lambda
# layer sets it to its input's device (``meta`` during shape inference) while its function runs,
# so Keras 2 code like ``K.random_normal((K.shape(x)[0], 2))`` lands next to ``x``.
_DEVICE_HINT: list = [None]


def default_device() -> torch.device:
    return _DEVICE_HINT[0] or torch.get_default_device()


def set_device_hint(device: Any) -> Any:
    """Set the creation device; returns the previous one, to restore afterwards."""
    previous = _DEVICE_HINT[0]
    _DEVICE_HINT[0] = device
    return previous


def _python_scalar_dtype(x: Any) -> torch.dtype:
    if isinstance(x, bool):
        return torch.bool
    if isinstance(x, int):
        return torch.int64 if not -(2**31) <= x < 2**31 else torch.int32
    if isinstance(x, float):
        return backend.torch_dtype(backend.floatx())
    return torch.complex64


def to_tensor(x: Any, dtype: Any = None, device: Any = None) -> torch.Tensor:
    """``convert_to_tensor`` without graph dispatch, for the ops' own eager code."""
    target = None if dtype is None else backend.torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        if device is not None and x.device != torch.device(device) and x.device.type != "meta":
            x = x.to(device)
        return x if target is None or x.dtype == target else x.to(target)
    value = getattr(x, "value", None)  # a kerasish Variable
    if isinstance(value, torch.Tensor):
        return to_tensor(value, dtype, device)
    if isinstance(x, (bool, int, float, complex)):
        return torch.as_tensor(x, dtype=target or _python_scalar_dtype(x), device=device)
    if isinstance(x, (np.ndarray, np.generic)):
        array = np.asarray(x)
        if array.dtype == np.uint32:  # torch has no usable uint32/uint16; Keras widens them
            array = array.astype(np.int64)
        elif array.dtype == np.uint16:
            array = array.astype(np.int32)
        # torch shares memory only with writeable arrays of non-negative strides (not x[::-1]);
        # others are copied.
        shareable = array.flags.writeable and builtins.all(s >= 0 for s in array.strides)
        tensor = torch.from_numpy(array if shareable else np.array(array, order="C"))
        if device is not None:
            tensor = tensor.to(device)
        return tensor if target is None else tensor.to(target)
    if isinstance(x, (list, tuple)):
        flat = tree.flatten(x)
        if any(isinstance(item, torch.Tensor) for item in flat):
            return torch.stack([to_tensor(item, dtype, device) for item in x])
        if target is None:
            target = _promote_python(flat)
        return torch.as_tensor(x, dtype=target, device=device)
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"A KerasTensor is symbolic and cannot be converted to a torch tensor: {x}. Use it "
            "in a layer or a `keras.ops` function to build a model instead."
        )
    return torch.as_tensor(np.asarray(x), dtype=target, device=device)


def _promote_python(values: list) -> torch.dtype:
    dtype = torch.bool
    for value in values:
        dtype = torch.promote_types(dtype, _python_scalar_dtype(value))
    return dtype


def same_device_tensors(*values: Any) -> list[torch.Tensor]:
    """Tensors for ``values``, non-tensors created on the device of the first tensor among them."""
    device = next((v.device for v in values if isinstance(v, torch.Tensor)), None)
    return [to_tensor(v, device=device) for v in values]


def normalize_axis(axis: Any) -> Any:
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return axis


# ------------------------------------------------------------------ conversion


@keras_op
def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> torch.Tensor:
    if sparse:
        raise ValueError("`sparse=True` is not supported with the torch backend")
    if ragged:
        raise ValueError("`ragged=True` is not supported with the torch backend")
    return to_tensor(x, dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    """A numpy array for a tensor (copied off the device), Variable or array-like."""
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"A KerasTensor is symbolic and holds no data, so it cannot become a numpy array: {x}"
        )
    value = getattr(x, "value", None)
    if isinstance(value, torch.Tensor):
        x = value
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    if isinstance(x, (list, tuple)):
        return np.array([convert_to_numpy(item) for item in x])
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def dtype(x: Any) -> str:
    """The Keras dtype name (``"float32"``) of a tensor, KerasTensor, array or Variable."""
    if isinstance(x, (KerasTensor, np.ndarray, np.generic)) or hasattr(x, "dtype"):
        return backend.standardize_dtype(x.dtype)
    return backend.standardize_dtype(to_tensor(x).dtype)


@keras_op
def cast(x: Any, dtype: Any) -> torch.Tensor:
    return to_tensor(x, dtype)


def shape(x: Any) -> tuple:
    """The shape as a tuple; ``None`` for the unknown dimensions of a KerasTensor."""
    if isinstance(x, (KerasTensor, torch.Tensor, np.ndarray)):
        return tuple(x.shape)
    return tuple(to_tensor(x).shape)


# --------------------------------------------------------------- slicing, gradients


@keras_op
def stop_gradient(variable: Any) -> torch.Tensor:
    return to_tensor(variable).detach()


@keras_op
def slice(inputs: Any, start_indices: Sequence[int], shape: Sequence[int]) -> torch.Tensor:
    inputs = to_tensor(inputs)
    index = tuple(
        builtins.slice(int(start), None if size == -1 else int(start) + int(size))
        for start, size in zip(_ints(start_indices), _ints(shape))
    )
    return inputs[index]


@keras_op
def slice_update(inputs: Any, start_indices: Sequence[int], updates: Any) -> torch.Tensor:
    inputs = to_tensor(inputs)
    updates = to_tensor(updates, dtype=inputs.dtype, device=inputs.device)
    index = tuple(
        builtins.slice(int(start), int(start) + size)
        for start, size in zip(_ints(start_indices), updates.shape)
    )
    result = inputs.clone()
    result[index] = updates
    return result


def _ints(values: Any) -> list:
    if isinstance(values, torch.Tensor):
        return values.tolist()
    return list(values)


@keras_op
def scatter(indices: Any, values: Any, shape: Sequence[int]) -> torch.Tensor:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (duplicates accumulate)."""
    indices, values = same_device_tensors(indices, values)
    indices = indices.long()
    result = torch.zeros(tuple(shape), dtype=values.dtype, device=values.device)
    return result.index_put_(tuple(indices.unbind(-1)), values, accumulate=True)


@keras_op
def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: Optional[str] = None) -> torch.Tensor:
    inputs, indices, updates = same_device_tensors(inputs, indices, updates)
    if reduction not in (None, "add"):
        raise NotImplementedError(
            f"scatter_update(reduction={reduction!r}) is not implemented; only None and 'add'."
        )
    result = inputs.clone()
    return result.index_put_(
        tuple(indices.long().unbind(-1)), updates.to(inputs.dtype), accumulate=reduction == "add"
    )


@keras_op
def unstack(x: Any, num: Optional[int] = None, axis: int = 0) -> list:
    return list(torch.unbind(to_tensor(x), axis))


# ------------------------------------------------------------------ control flow


def cond(pred: Any, true_fn: Callable, false_fn: Callable) -> Any:
    """Python-level branch: a tensor predicate is read once (one host sync), as in torch code."""
    return true_fn() if bool(pred) else false_fn()


def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``branches[index](*operands)``, the index clamped into range as Keras does; a tensor
    index is read once on the host (one sync), as Keras' torch backend reads it."""
    position = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[position](*operands)


def scan(
    f: Callable,
    init: Any,
    xs: Any = None,
    length: Optional[int] = None,
    reverse: bool = False,
    unroll: Any = 1,
) -> tuple:
    """``carry, y = f(carry, x)`` over the leading axis of ``xs`` (nested structures allowed);
    returns the last carry and the stacked ``y``s. A Python loop, as in Keras' torch backend;
    ``unroll`` is validated and otherwise has no effect there either."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be an positive integer or boolean. Received: unroll={unroll}")
    if xs is None and length is None:
        raise ValueError("Got no `xs` to scan over and `length` not provided.")
    xs_flat = [] if xs is None else [to_tensor(x) for x in tree.flatten(xs)]
    steps = int(length) if length is not None else xs_flat[0].shape[0]
    init_flat = [to_tensor(x) for x in tree.flatten(init)]
    carry = tree.pack_sequence_as(init, init_flat) if tree.is_nested(init) else init_flat[0]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    ys = []
    for i in order:
        if xs_flat:
            parts = [x[i] for x in xs_flat]
            step_xs = tree.pack_sequence_as(xs, parts) if tree.is_nested(xs) else parts[0]
        else:
            step_xs = None
        carry, y = f(carry, step_xs)
        ys.append(y if y is not None else [torch.zeros_like(x) for x in init_flat])
    if reverse:
        ys.reverse()
    columns = zip(*(tree.flatten(y) for y in ys))
    stacked = [torch.stack([to_tensor(v) for v in column]) for column in columns]
    return carry, tree.pack_sequence_as(ys[0], stacked) if tree.is_nested(ys[0]) else stacked[0]


def while_loop(cond: Callable, body: Callable, loop_vars: Any, maximum_iterations: Optional[int] = None) -> Any:
    is_tuple = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    step = 0
    while (maximum_iterations is None or step < maximum_iterations) and bool(cond(*state)):
        result = body(*state)
        state = tuple(result) if isinstance(result, (list, tuple)) else (result,)
        step += 1
    return type(loop_vars)(state) if is_tuple else state[0]


def fori_loop(lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def map(f: Callable, xs: Any) -> Any:
    """``f`` applied to each slice of ``xs`` along axis 0, results stacked."""
    results = [f(x) for x in torch.unbind(to_tensor(xs), 0)]
    if isinstance(results[0], (list, tuple, dict)):
        return _stack_structures(results)
    return torch.stack(results)


def vectorized_map(function: Callable, elements: Any) -> Any:
    return torch.vmap(function)(elements)


def _stack_structures(results: list) -> Any:
    flat = [tree.flatten(r) for r in results]
    stacked = [torch.stack(items) for items in zip(*flat)]
    return tree.pack_sequence_as(results[0], stacked)
