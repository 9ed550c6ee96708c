"""Node: one call of a layer on symbolic tensors.

A layer called N times owns N nodes (``layer._inbound_nodes``), indexed 0..N-1; that index is
what ``get_output_at(i)`` and the ``[layer, node_index, tensor_index]`` triples of saved configs
refer to. A functional model also owns node 0 for itself (its own inputs to its own outputs),
as Keras 2 numbered it, so its calls as a layer in a bigger model are nodes 1, 2, ...
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from kerasish.graph.keras_tensor import KerasHistory, KerasTensor
from kerasish.utils import tree


class Node:
    def __init__(
        self,
        layer: Any,
        call_args: tuple = (),
        call_kwargs: Optional[dict] = None,
        outputs: Any = None,
        *,
        input_masks: Any = None,
        owns_outputs: bool = True,
    ) -> None:
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        # Masks the call saw; a layer computing its output mask from them depends on them even
        # when its ``call`` takes no ``mask`` argument.
        self.input_masks = input_masks
        self.keras_inputs: list[KerasTensor] = []
        seen: set = set()
        for x in tree.flatten((self.call_args, self.call_kwargs, input_masks)):
            if isinstance(x, KerasTensor) and id(x) not in seen:
                seen.add(id(x))
                self.keras_inputs.append(x)
        self.flat_outputs: list[KerasTensor] = tree.flatten(outputs)
        # Masks produced by this call, aligned with ``flat_outputs`` (None where unmasked).
        self.output_masks: list[Optional[KerasTensor]] = [None] * len(self.flat_outputs)

        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        if owns_outputs:
            for i, tensor in enumerate(self.flat_outputs):
                tensor._keras_history = KerasHistory(layer, node_index, i)
            for tensor in self.keras_inputs:
                tensor._keras_history.layer._outbound_nodes.append(self)

    @property
    def is_input(self) -> bool:
        return not self.keras_inputs

    @property
    def input_tensors(self) -> Any:
        """The first argument of the call: a tensor, or the list/dict of tensors."""
        if self.call_args:
            return self.call_args[0]
        return self.call_kwargs.get("inputs", self.outputs)

    @property
    def parent_nodes(self) -> list[Node]:
        return [x.node for x in self.keras_inputs]

    @property
    def input_shapes(self) -> Any:
        return tree.map_structure(_shape_of, self.input_tensors)

    @property
    def output_shapes(self) -> Any:
        return tree.map_structure(_shape_of, self.outputs)

    def iterate_inbound(self) -> Iterator[tuple[Any, int, int, KerasTensor]]:
        """The tensors passed to the call, as Keras lists a node's inbound tensors: every
        argument, but not the masks the framework added on the caller's behalf."""
        if self.is_input:
            return
        kwargs = self.call_kwargs
        if getattr(self, "mask_from_framework", False):
            kwargs = {key: value for key, value in kwargs.items() if key != "mask"}
        for x in tree.flatten((self.call_args, kwargs)):
            if not isinstance(x, KerasTensor):
                continue
            layer, node_index, tensor_index = x._keras_history
            yield layer, node_index, tensor_index, x

    def __repr__(self) -> str:
        return f"<Node of layer '{self.layer.name}', {len(self.keras_inputs)} input(s)>"


def _shape_of(x: Any) -> Any:
    return x.shape if isinstance(x, KerasTensor) else x
