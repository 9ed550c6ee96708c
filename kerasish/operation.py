"""Keras 3's ``keras.Operation`` and ``keras.Function``.

An ``Operation`` subclass defines ``call`` (and, for symbolic use, ``compute_output_spec``).
Called on tensors it runs ``call``; called on KerasTensors it records a node through a small
private layer that runs the operation, since kerasish graphs are made of layers (ops become
op layers the same way). Such graphs can be run and trained but not serialized.

``Function(inputs, outputs)`` is the operation graph between KerasTensors, callable on data:
kerasish runs it as a ``Functional`` graph (its generated ``forward``).
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.utils import tree


class Operation:
    """Base class of user-written operations: override ``call`` (and
    ``compute_output_spec`` to use the operation on KerasTensors)."""

    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name or backend.unique_object_name(backend.to_snake_case(type(self).__name__))
        self._layer: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(x, KerasTensor) for x in tree.flatten((args, kwargs))):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Operation {type(self).__name__} must implement `call()`.")

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        if self._layer is None:
            self._layer = _operation_layer(self)
        return self._layer(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Default: the spec found by running ``call`` on meta tensors (as layers do)."""
        if self._layer is None:
            self._layer = _operation_layer(self)
        return self._layer._meta_output_spec(args, kwargs)

    def get_config(self) -> dict:
        return {"name": self.name}


def _operation_layer(operation: Operation) -> Any:
    from kerasish.layers.base import Layer

    class OperationLayer(Layer):
        """Runs ``operation`` as a graph node; not serializable (an Operation is not a layer)."""

        def call(self, *args: Any, **kwargs: Any) -> Any:
            return operation.call(*args, **kwargs)

        def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
            if type(operation).compute_output_spec is not Operation.compute_output_spec:
                return operation.compute_output_spec(*args, **kwargs)
            return self._meta_output_spec(args, kwargs)

        def get_config(self) -> dict:
            raise NotImplementedError(
                f"Serializing a graph that uses keras.Operation '{operation.name}' is not "
                "implemented; write it as a Layer to save it."
            )

    return OperationLayer(name=operation.name)


class Function:
    """Keras 3's ``keras.Function(inputs, outputs)``: the graph between KerasTensors as a
    callable. The inputs must be ``keras.Input`` tensors."""

    def __init__(self, inputs: Any, outputs: Any, name: Optional[str] = None) -> None:
        from kerasish.models.functional import Functional

        self.name = name or backend.unique_object_name("function")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._graph = Functional(inputs, outputs, name=self.name)

    @property
    def inputs(self) -> list:
        return tree.flatten(self._inputs_struct)

    @property
    def outputs(self) -> list:
        return tree.flatten(self._outputs_struct)

    @property
    def operations(self) -> list:
        return self._graph.layers

    def __call__(self, inputs: Any) -> Any:
        return self._graph(inputs)

    def call(self, inputs: Any) -> Any:
        return self._graph(inputs)

    def compute_output_spec(self, inputs: Any) -> Any:
        return self._graph.compute_output_spec(inputs)
