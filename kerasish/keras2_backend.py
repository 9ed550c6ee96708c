"""Keras 2's ``keras.backend`` tensor functions (``K.sum``, ``K.batch_dot``, ``K.function``...).

Keras 2 code calls these both on tensors inside ``Lambda`` layers and custom layers, and on
KerasTensors while defining a functional model. Each one here works on both: on tensors it runs
torch, on KerasTensors it becomes an op layer (most delegate to ``kerasish.ops``; the Keras 2
ones without an ops equivalent are registered as ``keras.backend.<name>``).

Semantics are Keras 2's / tf.keras' where they differ from Keras 3's ops: ``argmax`` defaults
to the last axis and returns int64, ``sqrt`` clips negatives to 0, ``binary_crossentropy``
adds ``epsilon`` inside the logs, ``concatenate`` and ``expand_dims`` default to ``axis=-1``.
``backend.py`` re-exports everything listed in ``__all__``.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from kerasish import ops
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.ops import dispatch
from kerasish.ops.core import default_device, same_device_tensors, to_tensor
from kerasish.utils import tree

__all__ = [
    "abs",
    "all",
    "any",
    "arange",
    "argmax",
    "argmin",
    "batch_dot",
    "batch_flatten",
    "batch_get_value",
    "batch_set_value",
    "binary_crossentropy",
    "cast",
    "categorical_crossentropy",
    "clip",
    "concatenate",
    "constant",
    "cos",
    "count_params",
    "cumprod",
    "cumsum",
    "dot",
    "dropout",
    "dtype",
    "elu",
    "equal",
    "eval",
    "exp",
    "expand_dims",
    "eye",
    "flatten",
    "function",
    "gather",
    "get_value",
    "gradients",
    "greater",
    "greater_equal",
    "hard_sigmoid",
    "in_train_phase",
    "int_shape",
    "is_keras_tensor",
    "is_tensor",
    "l2_normalize",
    "learning_phase",
    "learning_phase_scope",
    "less",
    "less_equal",
    "log",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "name_scope",
    "ndim",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "permute_dimensions",
    "placeholder",
    "pow",
    "prod",
    "random_normal",
    "random_uniform",
    "relu",
    "repeat",
    "repeat_elements",
    "reshape",
    "reverse",
    "round",
    "set_learning_phase",
    "set_value",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "sum",
    "switch",
    "tanh",
    "tile",
    "transpose",
    "var",
    "variable",
    "zeros",
    "zeros_like",
]


def _backend_op(fn: Callable) -> Callable:
    return dispatch.keras_op(fn, namespace=dispatch.BACKEND_PREFIX)


def _floatx() -> str:
    from kerasish import backend

    return backend.floatx()


def _epsilon() -> float:
    from kerasish import backend

    return backend.epsilon()


# ------------------------------------------------------------------ shapes and dtypes


def int_shape(x: Any) -> Optional[tuple]:
    """The static shape as a tuple of ints (``None`` where unknown)."""
    if hasattr(x, "shape"):
        return tuple(None if d is None else int(d) for d in x.shape)
    return None


def ndim(x: Any) -> int:
    return len(x.shape) if hasattr(x, "shape") else to_tensor(x).ndim


def dtype(x: Any) -> str:
    return ops.dtype(x)


@_backend_op
def shape(x: Any) -> torch.Tensor:
    """The dynamic shape as an int32 tensor, kept on the CPU: reading ``K.shape(x)[0]`` costs
    no device sync, even for ``meta`` tensors during shape inference."""
    return torch.tensor(tuple(x.shape), dtype=torch.int32, device="cpu")


def count_params(x: Any) -> int:
    return int(np.prod(int_shape(x)))


def is_keras_tensor(x: Any) -> bool:
    if not isinstance(x, (torch.Tensor, KerasTensor, np.ndarray)) and not hasattr(x, "value"):
        raise ValueError(
            "Unexpectedly found an instance of type `" + str(type(x)) + "`. Expected a "
            "symbolic tensor instance."
        )
    return isinstance(x, KerasTensor)


def is_tensor(x: Any) -> bool:
    return isinstance(x, (torch.Tensor, KerasTensor))


# ------------------------------------------------------------------ creation and values


def variable(value: Any, dtype: Any = None, name: Optional[str] = None, constraint: Any = None) -> torch.Tensor:
    """A tensor holding ``value``; ``set_value`` updates it in place, as a Keras 2 variable."""
    tensor = to_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value, dtype or _floatx())
    return tensor.detach().clone()


def constant(value: Any, dtype: Any = None, shape: Optional[Sequence[int]] = None, name: Optional[str] = None) -> torch.Tensor:
    tensor = to_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value, dtype or _floatx())
    if shape is not None:
        tensor = tensor.expand(tuple(shape)).clone()
    return tensor


def zeros(shape: Sequence[int], dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    return ops.zeros(shape, dtype or _floatx())


def ones(shape: Sequence[int], dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    return ops.ones(shape, dtype or _floatx())


def eye(size: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    if isinstance(size, (list, tuple)):
        return ops.eye(size[0], size[1], dtype=dtype or _floatx())
    return ops.eye(size, dtype=dtype or _floatx())


def zeros_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> Any:
    return ops.zeros_like(x, dtype)


def ones_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> Any:
    return ops.ones_like(x, dtype)


def arange(start: Any, stop: Any = None, step: int = 1, dtype: str = "int32") -> torch.Tensor:
    return ops.arange(start, stop, step, dtype=dtype)


def placeholder(
    shape: Optional[Sequence[Optional[int]]] = None,
    ndim: Optional[int] = None,
    dtype: Any = None,
    sparse: bool = False,
    name: Optional[str] = None,
    ragged: bool = False,
) -> KerasTensor:
    """A model input (``keras.Input``) of the full shape, batch axis included."""
    from kerasish.layers.input_layer import Input

    if shape is None:
        if ndim is None:
            raise ValueError("`placeholder` needs either `shape` or `ndim`.")
        shape = (None,) * ndim
    return Input(batch_shape=tuple(shape), dtype=dtype or _floatx(), name=name)


def get_value(x: Any) -> Any:
    """The value as numpy: of a tensor, a Variable, or a number (an optimizer's learning rate)."""
    if isinstance(x, KerasTensor):
        raise TypeError(f"`get_value` needs a concrete tensor or variable; {x} is symbolic.")
    value = ops.convert_to_numpy(x)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        value = value.astype(_floatx() if isinstance(x, float) else value.dtype)
    return value[()] if value.ndim == 0 else value


eval = get_value  # noqa: A001 - Keras 2's name


def batch_get_value(tensors: Sequence[Any]) -> list:
    return [get_value(x) for x in tensors]


def set_value(x: Any, value: Any) -> None:
    """Assign ``value`` to ``x`` in place.

    ``x`` is a tensor, a Variable (anything with ``assign``), or an object with a settable
    ``learning_rate`` (an optimizer), which covers Keras 2's ``K.set_value(model.optimizer.lr,
    1e-3)`` as long as ``optimizer.lr`` returns such an object.
    """
    if isinstance(x, torch.Tensor):
        with torch.no_grad():
            x.copy_(to_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value, x.dtype, x.device))
        return
    if hasattr(x, "assign"):
        x.assign(value)
        return
    if hasattr(x, "learning_rate"):
        x.learning_rate = value
        return
    raise TypeError(
        f"`set_value` cannot assign to {x!r} of type {type(x).__name__}: it needs a tensor, a "
        "Variable (with `assign`) or an optimizer. A plain Python number cannot be updated in "
        "place; to change an optimizer's learning rate, pass the optimizer or set "
        "`optimizer.learning_rate = value`."
    )


def batch_set_value(tuples: Sequence[tuple]) -> None:
    for x, value in tuples:
        set_value(x, value)


def gradients(loss: Any, variables: Any) -> list:
    """Gradients of a computed (eager) ``loss`` with respect to tensors, via torch autograd."""
    symbolic = [v for v in tree.flatten(variables) if isinstance(v, KerasTensor)]
    if isinstance(loss, KerasTensor) or symbolic:
        raise NotImplementedError(
            "K.gradients on symbolic KerasTensors (Keras 2 graph mode) is not supported by "
            "kerasish: compute the loss eagerly on torch tensors and call K.gradients (or "
            "torch.autograd.grad) on that."
        )
    variables = [getattr(v, "value", v) for v in tree.flatten(variables)]
    grads = torch.autograd.grad(loss, variables, allow_unused=True, retain_graph=True)
    return list(grads)


def stop_gradient(variables: Any) -> Any:
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)


@contextlib.contextmanager
def name_scope(name: str):
    """Keras 2's graph name scope: nothing to name in torch, so only a context."""
    yield name


# ------------------------------------------------------------------ learning phase


class _LearningPhase(int):
    """What ``learning_phase()`` returns: the current phase as an int, and the marker that
    ``K.function`` recognizes among its inputs (Keras 2's ``[x, K.learning_phase()]``)."""


_LEARNING_PHASE: list = [None]


def learning_phase() -> _LearningPhase:
    """0 (inference) unless ``set_learning_phase(1)`` was called."""
    return _LearningPhase(_LEARNING_PHASE[0] or 0)


def set_learning_phase(value: int) -> None:
    """Keras 2's global learning phase: ``K.function`` and ``in_train_phase`` use it when
    no phase is passed to them."""
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    _LEARNING_PHASE[0] = value


@contextlib.contextmanager
def learning_phase_scope(value: int):
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    previous = _LEARNING_PHASE[0]
    _LEARNING_PHASE[0] = value
    try:
        yield value
    finally:
        _LEARNING_PHASE[0] = previous


def global_learning_phase() -> Optional[int]:
    """The phase set by ``set_learning_phase``/``learning_phase_scope``, ``None`` if unset."""
    return _LEARNING_PHASE[0]


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    if training is None:
        training = _LEARNING_PHASE[0] or 0
    chosen = x if training in (1, True) else alt
    return chosen() if callable(chosen) else chosen


# ------------------------------------------------------------------ K.function


class Function:
    """``K.function(inputs, outputs)``: call with a list of arrays, get a list of arrays.

    The graph between ``inputs`` (model inputs, or ``placeholder`` results) and ``outputs`` is
    made into a kerasish model once; a ``K.learning_phase()`` among the inputs takes its value
    (0 or 1) from the call, as in Keras 2 (``f([x, 1])`` runs dropout in training mode).
    """

    def __init__(self, inputs: Sequence[Any], outputs: Any, updates: Any = None, name: Optional[str] = None) -> None:
        if updates:
            raise NotImplementedError(
                "K.function(updates=...) is not supported by kerasish: Keras 2 graph updates "
                "have no torch equivalent. Apply the updates in Python after the call."
            )
        from kerasish.models.functional import Functional

        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._phase_index = next(
            (i for i, x in enumerate(inputs) if isinstance(x, _LearningPhase)), None
        )
        tensors = [x for i, x in enumerate(inputs) if i != self._phase_index]
        self._outputs_structure = outputs
        flat_outputs = tree.flatten(outputs)
        self._model = Functional(tensors, flat_outputs, name=name)
        self._input_dtypes = [x.dtype for x in tensors]

    def __call__(self, inputs: Sequence[Any]) -> Any:
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        phase = values.pop(self._phase_index) if self._phase_index is not None else None
        if phase is None:
            phase = _LEARNING_PHASE[0]
        device = self._model._device
        tensors = [
            to_tensor(v, dtype if not isinstance(v, torch.Tensor) else None, device)
            for v, dtype in zip(values, self._input_dtypes)
        ]
        with torch.no_grad():
            if phase is None:
                result = self._model(*tensors)
            else:
                result = self._model(*tensors, training=bool(phase))
        flat = tree.flatten(result) if isinstance(result, (list, tuple, dict)) else [result]
        arrays = [ops.convert_to_numpy(x) for x in flat]
        if isinstance(self._outputs_structure, (list, tuple, dict)):
            return tree.pack_sequence_as(self._outputs_structure, arrays)
        return arrays[0]


def function(inputs: Sequence[Any], outputs: Any, updates: Any = None, name: Optional[str] = None, **kwargs: Any) -> Function:
    return Function(inputs, outputs, updates=updates, name=name)


# ------------------------------------------------------------------ forwarded to keras.ops
# Keras 2 functions that are a ``keras.ops`` op under Keras 2's argument names. Each is its own
# function, named as in Keras 2, so its signature is Keras 2's; it passes its arguments on as
# it always has (reductions by keyword), which is what an op layer's config records.


def _named_like(op: Callable, function: Callable) -> Callable:
    function.__name__ = function.__qualname__ = op.__name__
    return function


def _reduction(op: Callable) -> Callable:
    def reduce(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return op(x, axis=axis, keepdims=keepdims)

    return _named_like(op, reduce)


def _elementwise(op: Callable) -> Callable:
    def apply(x: Any) -> Any:
        return op(x)

    return _named_like(op, apply)


def _comparison(op: Callable) -> Callable:
    def compare(x: Any, y: Any) -> Any:
        return op(x, y)

    return _named_like(op, compare)


sum = _reduction(ops.sum)  # noqa: A001
mean = _reduction(ops.mean)
max = _reduction(ops.max)  # noqa: A001
min = _reduction(ops.min)  # noqa: A001
prod = _reduction(ops.prod)
std = _reduction(ops.std)
var = _reduction(ops.var)
any = _reduction(ops.any)  # noqa: A001
all = _reduction(ops.all)  # noqa: A001

square = _elementwise(ops.square)
abs = _elementwise(ops.abs)  # noqa: A001
exp = _elementwise(ops.exp)
log = _elementwise(ops.log)
sign = _elementwise(ops.sign)
round = _elementwise(ops.round)  # noqa: A001
sin = _elementwise(ops.sin)
cos = _elementwise(ops.cos)
tanh = _elementwise(ops.tanh)
sigmoid = _elementwise(ops.sigmoid)
softplus = _elementwise(ops.softplus)
softsign = _elementwise(ops.softsign)

maximum = _comparison(ops.maximum)
minimum = _comparison(ops.minimum)
equal = _comparison(ops.equal)
not_equal = _comparison(ops.not_equal)
greater = _comparison(ops.greater)
greater_equal = _comparison(ops.greater_equal)
less = _comparison(ops.less)
less_equal = _comparison(ops.less_equal)


# ------------------------------------------------------------------ reductions


@_backend_op
def argmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.argmax(to_tensor(x), dim=axis)


@_backend_op
def argmin(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.argmin(to_tensor(x), dim=axis)


def cumsum(x: Any, axis: int = 0) -> Any:
    return ops.cumsum(x, axis=axis)


def cumprod(x: Any, axis: int = 0) -> Any:
    return ops.cumprod(x, axis=axis)


# ------------------------------------------------------------------ elementwise


@_backend_op
def sqrt(x: Any) -> torch.Tensor:
    """Keras 2 clips negative inputs to 0 before the square root."""
    x = to_tensor(x)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    return torch.sqrt(torch.clamp(x, min=0.0))


@_backend_op
def hard_sigmoid(x: Any) -> torch.Tensor:
    """Keras 2's ``clip(0.2 * x + 0.5, 0, 1)`` (Keras 3 changed the slope to 1/6)."""
    return torch.clamp(0.2 * to_tensor(x) + 0.5, 0.0, 1.0)


def elu(x: Any, alpha: float = 1.0) -> Any:
    return ops.elu(x, alpha)


@_backend_op
def relu(x: Any, alpha: float = 0.0, max_value: Optional[float] = None, threshold: float = 0.0) -> torch.Tensor:
    from kerasish import activations

    return activations.relu(to_tensor(x), negative_slope=alpha, max_value=max_value, threshold=threshold)


def softmax(x: Any, axis: int = -1) -> Any:
    return ops.softmax(x, axis=axis)


@_backend_op
def pow(x: Any, a: Any) -> torch.Tensor:  # noqa: A001
    return torch.pow(to_tensor(x), a)


@_backend_op
def clip(x: Any, min_value: Any = None, max_value: Any = None) -> torch.Tensor:
    """tf.keras' ``clip``: ``None`` bounds are open, and ``max < min`` raises max to min."""
    x = to_tensor(x)
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    if min_value is None:
        min_value = -math.inf
    if max_value is None:
        max_value = math.inf
    if isinstance(min_value, torch.Tensor) or isinstance(max_value, torch.Tensor):
        low, high = (to_tensor(b, x.dtype, x.device) for b in (min_value, max_value))
        return torch.minimum(torch.maximum(x, low), high)
    return torch.clamp(x, min_value, max_value)


def cast(x: Any, dtype: Any) -> Any:
    return ops.cast(x, dtype)


@_backend_op
def l2_normalize(x: Any, axis: Any = None) -> torch.Tensor:
    """``x / sqrt(max(sum(x**2), 1e-12))`` along ``axis`` (all axes when ``None``), as tf."""
    x = to_tensor(x)
    dims = tuple(range(x.ndim)) if axis is None else axis
    square_sum = torch.sum(torch.square(x), dim=dims, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=1e-12))


@_backend_op
def dropout(x: Any, level: float, noise_shape: Optional[Sequence[int]] = None, seed: Optional[int] = None) -> torch.Tensor:
    x = to_tensor(x)
    if noise_shape is None:
        return F.dropout(x, level, True)
    keep = torch.empty(tuple(noise_shape), dtype=x.dtype, device=x.device).bernoulli_(1 - level)
    return x * keep / (1 - level)


@_backend_op
def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """Elementwise choice; a condition of lower rank selects along the leading axes."""
    condition = to_tensor(condition)
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    if condition.ndim == 0:
        return then_value if bool(condition) else else_value
    then_value, else_value = same_device_tensors(then_value, else_value)
    if condition.ndim > then_value.ndim:
        raise ValueError(
            "Rank of `condition` should be less than or equal to rank of `then_expression` and "
            f"`else_expression`. ndim(condition)={condition.ndim}, "
            f"ndim(then_expression)={then_value.ndim}"
        )
    condition = condition.reshape(tuple(condition.shape) + (1,) * (then_value.ndim - condition.ndim))
    return torch.where(condition.bool(), then_value, else_value)


# ------------------------------------------------------------------ shapes


def reshape(x: Any, shape: Sequence[Any]) -> Any:
    return ops.reshape(x, shape)


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Any:
    return ops.transpose(x, tuple(pattern))


def transpose(x: Any) -> Any:
    return ops.transpose(x)


def expand_dims(x: Any, axis: int = -1) -> Any:
    return ops.expand_dims(x, axis)


def squeeze(x: Any, axis: int) -> Any:
    return ops.squeeze(x, axis)


def concatenate(tensors: Sequence[Any], axis: int = -1) -> Any:
    return ops.concatenate(list(tensors), axis=axis)


def stack(x: Sequence[Any], axis: int = 0) -> Any:
    return ops.stack(list(x), axis=axis)


def repeat_elements(x: Any, rep: int, axis: int) -> Any:
    return ops.repeat(x, rep, axis=axis)


@_backend_op
def repeat(x: Any, n: int) -> torch.Tensor:
    """``(batch, dim)`` -> ``(batch, n, dim)``, as ``RepeatVector``."""
    x = to_tensor(x)
    return x.unsqueeze(1).expand(x.shape[0], n, *x.shape[1:]).contiguous()


@_backend_op
def tile(x: Any, n: Any) -> torch.Tensor:
    x = to_tensor(x)
    n = (n,) if isinstance(n, int) else tuple(int(i) for i in n)
    return torch.tile(x, n)


@_backend_op
def flatten(x: Any) -> torch.Tensor:
    return torch.reshape(to_tensor(x), (-1,))


@_backend_op
def batch_flatten(x: Any) -> torch.Tensor:
    x = to_tensor(x)
    return torch.reshape(x, (x.shape[0], -1))


@_backend_op
def reverse(x: Any, axes: Any) -> torch.Tensor:
    return torch.flip(to_tensor(x), (axes,) if isinstance(axes, int) else tuple(axes))


def gather(reference: Any, indices: Any) -> Any:
    return ops.take(reference, indices, axis=0)


@_backend_op
def one_hot(indices: Any, num_classes: int) -> torch.Tensor:
    return ops.one_hot(indices, num_classes, dtype="float32")


# ------------------------------------------------------------------ products


@_backend_op
def dot(x: Any, y: Any) -> torch.Tensor:
    """Keras 2's ``dot``: contracts x's last axis with y's second-to-last (y's last if 1-D/2-D)."""
    x, y = same_device_tensors(x, y)
    if x.ndim > 2 or y.ndim > 2:
        if y.ndim == 1:
            return torch.tensordot(x, y, dims=([-1], [0]))
        return torch.tensordot(x, y, dims=([-1], [y.ndim - 2]))
    return torch.matmul(x, y)


@_backend_op
def batch_dot(x: Any, y: Any, axes: Any = None) -> torch.Tensor:
    """tf.keras' ``batch_dot``: per-sample dot products over ``axes``.

    2-D inputs give ``(batch, 1)``; by default x's last axis meets y's second-to-last (y's
    last when y is 2-D). The other axes of x, then of y, follow the batch axis.
    """
    x, y = same_device_tensors(x, y)
    x_ndim, y_ndim = x.ndim, y.ndim
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(
            "Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            "Cannot do batch_dot on inputs with different batch sizes. Received inputs with "
            f"shapes {tuple(x.shape)} and {tuple(y.shape)}."
        )
    if isinstance(axes, int):
        axes = [axes, axes]
    if axes is None:
        axes = [x_ndim - 1, y_ndim - 1] if y_ndim == 2 else [x_ndim - 1, y_ndim - 2]
    a0, a1 = (a + n if a < 0 else a for a, n in zip(axes, (x_ndim, y_ndim)))
    if a0 == 0 or a1 == 0:
        raise ValueError(
            "Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
            "batch dimension to your inputs using K.expand_dims(x, 0)"
        )
    if x.shape[a0] != y.shape[a1]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with shapes {tuple(x.shape)} and {tuple(y.shape)} "
            f"with axes={[a0, a1]}. x.shape[{a0}] != y.shape[{a1}] ({x.shape[a0]} != {y.shape[a1]})."
        )
    x_rest = [x.shape[i] for i in range(1, x_ndim) if i != a0]
    y_rest = [y.shape[i] for i in range(1, y_ndim) if i != a1]
    x3 = torch.movedim(x, a0, -1).reshape(x.shape[0], -1, x.shape[a0])
    y3 = torch.movedim(y, a1, 1).reshape(y.shape[0], y.shape[a1], -1)
    result = torch.bmm(x3, y3).reshape([x.shape[0], *x_rest, *y_rest])
    if result.ndim == 1:
        result = result.unsqueeze(1)
    return result


# ------------------------------------------------------------------ losses


@_backend_op
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> torch.Tensor:
    """tf.keras' formula: clip to ``[eps, 1-eps]``, then ``-(t log(p + eps) + (1-t) log(1-p+eps))``."""
    target, output = same_device_tensors(target, output)
    target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = _epsilon()
    output = torch.clamp(output, eps, 1.0 - eps)
    return -(target * torch.log(output + eps) + (1 - target) * torch.log(1 - output + eps))


@_backend_op
def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> torch.Tensor:
    target, output = same_device_tensors(target, output)
    target = target.to(output.dtype)
    if from_logits:
        return -(target * torch.log_softmax(output, dim=axis)).sum(dim=axis)
    eps = _epsilon()
    output = output / output.sum(dim=axis, keepdim=True)
    return -(target * torch.log(torch.clamp(output, eps, 1.0 - eps))).sum(dim=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    return ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


# ------------------------------------------------------------------ random


def _random(sampler: Callable, size: tuple, dtype: Any, seed: Optional[int]) -> torch.Tensor:
    from kerasish import backend

    device = default_device()
    torch_dtype = backend.torch_dtype(dtype or _floatx())
    if seed is None or device.type == "meta":
        return sampler(size, dtype=torch_dtype, device=device)
    generator = torch.Generator(device=device).manual_seed(seed)
    return sampler(size, generator=generator, dtype=torch_dtype, device=device)


@_backend_op
def random_normal(shape: Sequence[Any], mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Optional[int] = None) -> torch.Tensor:
    size = tuple(int(d) for d in shape)
    values = _random(torch.randn, size, dtype, seed)
    return values * stddev + mean


@_backend_op
def random_uniform(shape: Sequence[Any], minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Optional[int] = None) -> torch.Tensor:
    size = tuple(int(d) for d in shape)
    values = _random(torch.rand, size, dtype, seed)
    return values * (maxval - minval) + minval
