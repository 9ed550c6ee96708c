"""Functional: a model defined by its input and output KerasTensors.

Construction maps the graph (``graph.traversal``), registers every layer as a submodule under
its Keras name (so ``state_dict`` keys read ``dense.weight``), and lowers the graph to a
generated ``forward`` (``models.lowering``). The model also records node 0 for itself, inputs
to outputs, as Keras 2 did: calls of the model inside a bigger model are its nodes 1, 2, ...
"""

from __future__ import annotations

import types
from typing import Any, Optional

import torch

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.graph.node import Node
from kerasish.graph.traversal import map_graph
from kerasish.layers import base
from kerasish.layers.base import Layer
from kerasish.layers.input_layer import InputLayer
from kerasish.models import lowering
from kerasish.models.model import Model
from kerasish.training import data as data_adapter
from kerasish.utils import tree
from kerasish.variables import current_path, layer_scope


class _ForwardOnAccess:
    """``model.forward`` before lowering: reading the attribute lowers the model.

    ``torch.compile(model)`` reads ``model.forward`` when it wraps the model, outside any
    trace, so a model compiled before its first call is lowered then; lowering during the trace
    would hit torch.fx, which dynamo does not trace (a graph break, an error with
    ``fullgraph=True``). Afterwards the generated forward sits in the instance ``__dict__`` and
    this descriptor is not consulted again until the graph changes.
    """

    def __get__(self, model: Any, owner: Any = None) -> Any:
        if model is None:
            return self
        if "_lowered" not in model.__dict__ or not getattr(model, "_graph_ready", True):
            return types.MethodType(Functional._unlowered_forward, model)
        model._ensure_lowered()
        return model.__dict__["forward"]


class Functional(Model):
    def __init__(
        self,
        inputs: Any,
        outputs: Any,
        name: Optional[str] = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)
        with layer_scope(self):  # Keras builds a functional model when it is made
            self.__dict__["_path"] = current_path()

    # ---------------------------------------------------------- construction

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        if isinstance(inputs, list) and len(tree.flatten(inputs)) == 1:
            inputs = inputs[0]
        if isinstance(outputs, list) and len(tree.flatten(outputs)) == 1:
            outputs = outputs[0]
        flat_inputs, flat_outputs = tree.flatten(inputs), tree.flatten(outputs)
        _validate_inputs(flat_inputs)
        _validate_outputs(flat_outputs)

        graph = map_graph(flat_inputs, flat_outputs)
        for layer in graph.layers:
            if layer is self:
                raise ValueError(f"Model '{self.name}' cannot contain itself.")

        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = flat_inputs
        self.outputs = flat_outputs
        self._network_nodes = graph.nodes
        self._nodes_by_depth = graph.nodes_by_depth
        self._layers = graph.layers
        self._execution_order = graph.execution_order
        self.input_names = [x.node.layer.name for x in flat_inputs]
        self.output_names = _output_names(outputs, flat_outputs)

        for key in list(self._modules):
            del self._modules[key]
        self._module_names: dict[Layer, str] = {}
        taken = set(dir(type(self))) | set(self.__dict__)
        for layer in self._layers:
            if isinstance(layer, InputLayer):
                continue
            attr = lowering.python_identifier(layer.name, taken)
            self.add_module(attr, layer)
            self._module_names[layer] = attr

        self.built = True
        self._batch_input_shape = None
        self._inbound_nodes = [n for n in self._inbound_nodes if not getattr(n, "is_own", False)]
        own = Node(self, (inputs,), {}, outputs, owns_outputs=False)
        own.is_own = True
        self._inbound_nodes.insert(0, self._inbound_nodes.pop())
        self._lowered = None
        self.__dict__.pop("forward", None)

    # -------------------------------------------------------------- the graph

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def _tracked_layers(self) -> list[Layer]:
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    @property
    def input(self) -> Any:
        return self._nested_inputs

    @property
    def output(self) -> Any:
        return self._nested_outputs

    @property
    def input_shape(self) -> Any:
        return tree.map_structure(lambda x: x.shape, self._nested_inputs)

    @property
    def output_shape(self) -> Any:
        return tree.map_structure(lambda x: x.shape, self._nested_outputs)

    # -------------------------------------------------------------- lowering

    def _ensure_lowered(self) -> lowering.LoweredForward:
        if self._lowered is None:
            self._lowered = lowering.lower(self)
            self.forward = types.MethodType(self._lowered.function, self)
            # Nested models too: their lowering (torch.fx) must not happen inside a trace.
            for layer in self._module_names:
                if isinstance(layer, Functional) and getattr(layer, "_graph_ready", True):
                    layer._ensure_lowered()
        return self._lowered

    def _unlowered_forward(self, *args: Any, **kwargs: Any) -> Any:
        self._ensure_lowered()
        return self.forward(*args, **kwargs)

    forward = _ForwardOnAccess()

    def forward_source(self) -> str:
        """The Python source of the generated ``forward``."""
        return self._ensure_lowered().source

    def call(self, inputs: Any, training: Optional[bool] = None, mask: Any = None) -> Any:
        flat = data_adapter.flatten_model_inputs(self, inputs)
        return self.forward(*flat, training=training)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("forward", None)
        state["_lowered"] = None
        return state

    # ---------------------------------------------------------------- calling

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not base._CALL_STATE.depth:
            return base.call_as_top_level(self, args, kwargs)
        if (
            args
            and type(args[0]) is torch.Tensor
            and len(args) == len(self.inputs)
            and kwargs.keys() <= {"training"}
        ):
            try:
                return torch.nn.Module.__call__(self, *args, **kwargs)
            except RuntimeError:
                self._check_input_shapes(list(args))  # a clearer error, if the shapes are wrong
                raise
        if len(args) == 1 and type(args[0]) in (list, tuple, dict):
            # ``model([a, b])`` / ``model({"a": a})`` with torch tensors: matched to the inputs
            # here, not by Layer's fast path (that one passes a list through as one argument).
            leaves = tree.flatten(args[0])
            if leaves and all(type(leaf) is torch.Tensor for leaf in leaves):
                return self._eager_call(args, dict(kwargs))
        return Layer.__call__(self, *args, **kwargs)

    def _eager_call(self, args: tuple, kwargs: dict) -> Any:
        training = kwargs.pop("training", None)
        kwargs.pop("mask", None)
        if "inputs" in kwargs:
            args = (kwargs.pop("inputs"),) + args
        if kwargs:
            raise TypeError(f"Model '{self.name}' got unexpected keyword arguments {sorted(kwargs)}.")
        if len(args) == 1:
            flat = data_adapter.flatten_model_inputs(self, args[0])
        else:
            flat = list(args)
        device = self._device
        flat = [
            data_adapter.to_tensor(value, spec.dtype, device) if not isinstance(value, torch.Tensor) else value
            for value, spec in zip(flat, self.inputs)
        ]
        self._check_input_shapes(flat)
        if training is None:
            return torch.nn.Module.__call__(self, *flat)
        return torch.nn.Module.__call__(self, *flat, training=training)

    def _check_input_shapes(self, values: list) -> None:
        if len(values) != len(self.inputs):
            raise ValueError(
                f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it received '
                f"{len(values)} input tensors."
            )
        for index, (value, spec) in enumerate(zip(values, self.inputs)):
            shape = tuple(value.shape)
            expected = spec.shape
            if len(shape) != len(expected) or any(
                e is not None and e != s for e, s in zip(expected, shape)
            ):
                raise ValueError(
                    f'Input {index} of layer "{self.name}" is incompatible with the layer: '
                    f"expected shape={expected}, found shape={shape}"
                )

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else kwargs["inputs"]
        flat = data_adapter.flatten_model_inputs(self, inputs)
        self._check_input_shapes(flat)
        return self._meta_output_spec(tuple(flat), {})

    def compute_output_shape(self, input_shape: Any) -> Any:
        from kerasish.layers.base import specs_from_shapes

        specs = specs_from_shapes(input_shape, self.compute_dtype)
        flat = tree.flatten(specs)
        for spec, own in zip(flat, self.inputs):
            spec.dtype = own.dtype
        result = self._meta_output_spec(tuple(flat), {})
        return tree.map_structure(lambda t: t.shape, result)

    # ---------------------------------------------------------------- config

    def get_config(self) -> dict:
        from kerasish.saving.model_config import functional_config

        return functional_config(self)


def _validate_inputs(flat_inputs: list) -> None:
    seen = set()
    for x in flat_inputs:
        if not isinstance(x, KerasTensor) or x._keras_history is None:
            raise ValueError(
                "Input tensors to a Functional model must come from `keras.Input`. "
                f"Received: {x} (missing previous layer metadata)."
            )
        if not isinstance(x._keras_history.layer, InputLayer):
            raise ValueError(
                "Input tensors to a Functional model must come from `keras.Input`. Received: "
                f"{x}, which is the output of layer '{x._keras_history.layer.name}'."
            )
        if id(x) in seen:
            raise ValueError(
                "The list of inputs passed to the model contains the same input multiple "
                "times. All inputs should only appear once."
            )
        seen.add(id(x))


def _validate_outputs(flat_outputs: list) -> None:
    for x in flat_outputs:
        if not isinstance(x, KerasTensor) or x._keras_history is None:
            raise ValueError(
                "Output tensors of a Functional model must be the output of a Keras `Layer` "
                f"(thus holding past layer metadata). Found: {x}"
            )


def _output_names(outputs: Any, flat_outputs: list) -> list[str]:
    if isinstance(outputs, dict):
        return sorted(outputs)
    names: list[str] = []
    counts: dict[str, int] = {}
    for x in flat_outputs:
        base = x._keras_history.layer.name
        proposal = base
        while proposal in names:
            counts[base] = counts.get(base, 1)
            proposal = f"{base}_{counts[base]}"
            counts[base] += 1
        names.append(proposal)
    return names
