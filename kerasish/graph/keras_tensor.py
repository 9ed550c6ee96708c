"""KerasTensor: a placeholder for a value that a model will compute.

Building a functional model means calling layers on tensors that hold no data. Each such tensor
knows its shape (``None`` where a dimension is only known at run time), its dtype, and where it
came from (``_keras_history``: the layer, the index of that layer's call, and which of the
call's outputs it is). That history is all ``Model(inputs, outputs)`` needs to rebuild the
graph, so no global graph object exists.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence


class KerasHistory(NamedTuple):
    layer: Any
    node_index: int
    tensor_index: int


class KerasTensor:
    """A symbolic tensor: a shape, a dtype and the call that produced it."""

    def __init__(
        self,
        shape: Sequence[Optional[int]],
        dtype: str = "float32",
        name: Optional[str] = None,
    ) -> None:
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history: Optional[KerasHistory] = None
        # A symbolic mask travels with the tensor it masks (Embedding(mask_zero=True) -> LSTM).
        self._keras_mask: Optional[KerasTensor] = None

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def node(self):
        """The Node that produced this tensor."""
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self) -> str:
        producer = ""
        if self._keras_history is not None:
            producer = f", created by layer '{self._keras_history.layer.name}'"
        return (
            f"<KerasTensor shape={self._shape}, dtype={self.dtype}, "
            f"name={self.name}{producer}>"
        )

    def __len__(self) -> int:
        if not self._shape or self._shape[0] is None:
            raise TypeError(f"len() of a KerasTensor with unknown first dimension: {self}")
        return self._shape[0]

    def __bool__(self) -> bool:
        raise TypeError(
            "A KerasTensor is symbolic and has no truth value; it cannot be used in Python "
            f"control flow: {self}"
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A KerasTensor is symbolic and holds no data, so it cannot become a numpy array. "
            f"Build a Model and call predict() instead: {self}"
        )

    # Python operators record op layers (tf.keras' TFOpLambda symbols), so `a + b`, `x * 2`
    # and `x[:, 0]` are graph nodes. `==` stays identity, as in tf.keras and Keras 3.
    __array_ufunc__ = None  # `ndarray * kt` defers to `kt.__rmul__`

    def __iter__(self):
        if not self._shape or self._shape[0] is None:
            raise TypeError(f"Cannot iterate over a KerasTensor with unknown first dimension: {self}")
        return (self[i] for i in range(self._shape[0]))

    def __add__(self, other):
        return _op("__operators__.add", self, other)

    def __radd__(self, other):
        return _op("__operators__.add", other, self)

    def __sub__(self, other):
        return _op("math.subtract", self, other)

    def __rsub__(self, other):
        return _op("math.subtract", other, self)

    def __mul__(self, other):
        return _op("math.multiply", self, other)

    def __rmul__(self, other):
        return _op("math.multiply", other, self)

    def __truediv__(self, other):
        return _op("math.truediv", self, other)

    def __rtruediv__(self, other):
        return _op("math.truediv", other, self)

    def __floordiv__(self, other):
        return _op("math.floordiv", self, other)

    def __rfloordiv__(self, other):
        return _op("math.floordiv", other, self)

    def __mod__(self, other):
        return _op("math.floormod", self, other)

    def __rmod__(self, other):
        return _op("math.floormod", other, self)

    def __pow__(self, other):
        return _op("math.pow", self, other)

    def __rpow__(self, other):
        return _op("math.pow", other, self)

    def __matmul__(self, other):
        return _op("linalg.matmul", self, other)

    def __rmatmul__(self, other):
        return _op("linalg.matmul", other, self)

    def __neg__(self):
        return _op("math.negative", self)

    def __abs__(self):
        return _op("math.abs", self)

    def __lt__(self, other):
        return _op("math.less", self, other)

    def __le__(self, other):
        return _op("math.less_equal", self, other)

    def __gt__(self, other):
        return _op("math.greater", self, other)

    def __ge__(self, other):
        return _op("math.greater_equal", self, other)

    def __ne__(self, other):
        return _op("math.not_equal", self, other)

    def __and__(self, other):
        return _op("math.logical_and", self, other)

    def __rand__(self, other):
        return _op("math.logical_and", other, self)

    def __or__(self, other):
        return _op("math.logical_or", self, other)

    def __ror__(self, other):
        return _op("math.logical_or", other, self)

    def __xor__(self, other):
        return _op("math.logical_xor", self, other)

    def __rxor__(self, other):
        return _op("math.logical_xor", other, self)

    def __invert__(self):
        return _op("math.logical_not", self)

    def __getitem__(self, key):
        return _op("__operators__.getitem", self, key)


def _op(symbol: str, *args: Any) -> Any:
    from kerasish.ops.dispatch import symbolic_call

    return symbolic_call(symbol, args, {})


def is_keras_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)
