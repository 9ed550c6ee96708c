"""InputLayer and ``Input()``: where a symbolic graph starts.

An InputLayer owns exactly one node, with no inbound tensors and one output KerasTensor; that
tensor is what ``Input()`` returns. Input names count from 1 (``input_1``) as in tf.keras 2.x.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.graph.node import Node
from kerasish.layers.base import Layer


class InputLayer(Layer):
    def __init__(
        self,
        input_shape: Optional[Sequence[Optional[int]]] = None,
        batch_size: Optional[int] = None,
        dtype: Any = None,
        input_tensor: Optional[KerasTensor] = None,
        sparse: Optional[bool] = None,
        name: Optional[str] = None,
        ragged: Optional[bool] = None,
        batch_shape: Optional[Sequence[Optional[int]]] = None,
        batch_input_shape: Optional[Sequence[Optional[int]]] = None,
        **kwargs: Any,
    ) -> None:
        if sparse or ragged:
            raise NotImplementedError(
                "InputLayer: sparse and ragged inputs are not supported by kerasish."
            )
        kwargs.pop("trainable", None)
        name = name or backend.unique_object_name("input", zero_based=False)
        super().__init__(name=name, dtype=dtype, **kwargs)
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if input_tensor is not None:
            batch_shape = input_tensor.shape
            dtype = dtype or input_tensor.dtype
        if batch_shape is None:
            if input_shape is None:
                raise ValueError(
                    "You must pass a `shape` (or `batch_shape`) argument to `Input` / "
                    "`InputLayer`."
                )
            batch_shape = (batch_size,) + tuple(input_shape)
        elif input_shape is not None or batch_size is not None:
            raise ValueError(
                "Only provide the `shape` and `batch_size` arguments or the `batch_shape` "
                f"argument to `{type(self).__name__}`, not both."
            )
        self._batch_input_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._dtype = backend.standardize_dtype(dtype)
        self.built = True
        self.supports_masking = True
        tensor = KerasTensor(self._batch_input_shape, self._dtype, name=self.name)
        Node(self, outputs=tensor)

    @property
    def batch_shape(self) -> tuple:
        return self._batch_input_shape

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {
            "batch_input_shape": self._batch_input_shape,
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict) -> InputLayer:
        config = dict(config)
        if "batch_shape" in config:  # Keras 3 spelling
            config["batch_input_shape"] = config.pop("batch_shape")
        return cls(**config)


def Input(  # noqa: N802 - Keras' public name
    shape: Optional[Sequence[Optional[int]]] = None,
    batch_size: Optional[int] = None,
    name: Optional[str] = None,
    dtype: Any = None,
    sparse: Optional[bool] = None,
    tensor: Optional[KerasTensor] = None,
    ragged: Optional[bool] = None,
    batch_shape: Optional[Sequence[Optional[int]]] = None,
    **kwargs: Any,
) -> KerasTensor:
    """A symbolic input tensor: the start of a functional model."""
    if "batch_input_shape" in kwargs and batch_shape is None:
        batch_shape = kwargs.pop("batch_input_shape")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to Input: {kwargs}")
    layer = InputLayer(
        input_shape=shape,
        batch_size=batch_size,
        name=name,
        dtype=dtype,
        sparse=sparse,
        input_tensor=tensor,
        ragged=ragged,
        batch_shape=batch_shape,
    )
    return layer._inbound_nodes[0].outputs
