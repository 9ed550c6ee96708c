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


def is_keras_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)
