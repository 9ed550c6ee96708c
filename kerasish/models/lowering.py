"""Lowering: a functional model's node DAG becomes one generated Python ``forward``.

The graph is written once into a ``torch.fx.Graph`` (a placeholder per model input, a
``call_module`` per layer call, ``getitem`` for multi-output layers, ``compute_mask`` where a
layer produces a mask) and turned into source code by fx's code generator. The result is an
ordinary function: running the model costs exactly the layer calls, with no per-node dispatch,
dictionary lookups or interpretation, and ``torch.compile``/``torch.export`` see plain Python.
"""

from __future__ import annotations

import keyword
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.fx

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.utils import tree


@dataclass
class LoweredForward:
    function: Callable
    source: str
    graph: torch.fx.Graph


def python_identifier(name: str, taken: set) -> str:
    """A valid, unused Python identifier close to ``name``."""
    ident = re.sub(r"\W", "_", name)
    if not ident or ident[0].isdigit():
        ident = f"_{ident}"
    if keyword.iskeyword(ident) or ident in {"self", "training"}:
        ident = f"{ident}_"
    candidate, i = ident, 1
    while candidate in taken:
        candidate = f"{ident}_{i}"
        i += 1
    taken.add(candidate)
    return candidate


def recorded_training(outer: Any, recorded: bool) -> Any:
    """``training`` for a layer call that recorded its own value, as Keras 3 resolves it."""
    return recorded if outer is None else outer


def lower(model: Any) -> LoweredForward:
    """Generate ``forward(self, <inputs>, training=None)`` for a Functional ``model``."""
    graph = torch.fx.Graph()
    values: dict[int, torch.fx.Node] = {}
    taken: set = set()
    for tensor in model.inputs:
        values[id(tensor)] = graph.placeholder(python_identifier(tensor.node.layer.name, taken))
    training = graph.placeholder("training", default_value=None)

    constants: list = []

    def value_of(x: Any) -> Any:
        if isinstance(x, KerasTensor):
            try:
                return values[id(x)]
            except KeyError:
                raise ValueError(
                    f"Lowering model '{model.name}': tensor {x} is used before it is computed."
                ) from None
        if isinstance(x, (torch.Tensor, np.ndarray)):
            # A constant array argument (``x * np_array``) cannot be written into source code:
            # it becomes a non-persistent buffer of the model, read with get_attr.
            attr = f"_constant_{len(constants)}"
            tensor = torch.as_tensor(x).detach().clone().to(model._device)
            model.register_buffer(attr, tensor, persistent=False)
            constants.append(attr)
            return graph.get_attr(attr)
        if isinstance(x, np.generic):
            return x.item()
        return x

    consumed = {
        id(x) for node in model._execution_order for x in node.keras_inputs
    } | {id(x) for x in model.outputs}

    for node in model._execution_order:
        layer = node.layer
        target = model._module_names[layer]
        args = tree.map_structure(value_of, node.call_args)
        kwargs = tree.map_structure(value_of, node.call_kwargs)
        if layer._call_accepts_training:
            if "training" not in kwargs:
                kwargs["training"] = training
            elif isinstance(kwargs["training"], bool):
                # A value recorded at graph-building time (Keras 3 configs record False on
                # Dropout calls) holds only while the model's own call leaves training unset.
                kwargs["training"] = graph.call_function(
                    recorded_training, (training, kwargs["training"])
                )
        result = graph.call_module(target, tuple(args), kwargs)
        paths = tree.leaf_paths(node.outputs)
        for tensor, path in zip(node.flat_outputs, paths):
            value = result
            for key in path:
                value = graph.call_function(operator.getitem, (value, key))
            values[id(tensor)] = value
        if getattr(node, "computes_masks", False) and any(
            m is not None and id(m) in consumed for m in node.output_masks
        ):
            module = graph.get_attr(target)
            inputs = tree.map_structure(value_of, node.input_tensors)
            mask = tree.map_structure(value_of, node.input_masks)
            masks = graph.call_method("compute_mask", (module, inputs, mask))
            computed = [m for m in node.output_masks if m is not None and id(m) not in values]
            if len(node.flat_outputs) == 1:
                for m in computed:
                    values[id(m)] = masks
            else:
                for i, m in enumerate(node.output_masks):
                    if m is not None and id(m) not in values:
                        values[id(m)] = graph.call_function(operator.getitem, (masks, i))

    graph.output(tree.map_structure(value_of, model._nested_outputs))
    graph.lint()
    code = graph.python_code(root_module="self")
    namespace = dict(code.globals)
    exec(compile(code.src, f"<kerasish forward of {model.name}>", "exec"), namespace)
    return LoweredForward(namespace["forward"], code.src, graph)
