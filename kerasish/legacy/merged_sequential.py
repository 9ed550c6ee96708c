"""The Keras 1 Sequential whose first layer is a connected ``Merge`` (see ``keras1_merge``)."""

from __future__ import annotations

from typing import Optional

from kerasish.layers.base import Layer
from kerasish.models.functional import Functional
from kerasish.models.sequential import Sequential


class MergedSequential(Sequential):
    """A Keras 1 Sequential whose first layer is a connected ``Merge``: one input per branch.

    ``layers`` is Keras 1's (the merge, then the added layers); the branches' layers are part of
    the graph, so they are the model's modules and weights.
    """

    _keras1_connected = True  # added first to a Sequential, it starts another MergedSequential

    def _rebuild(self, reuse_outputs: bool = False) -> None:
        self._lowered = None
        self.__dict__.pop("forward", None)
        x = self._stack[0]._inbound_nodes[0].outputs
        for layer in self._stack[1:]:
            node = self._node_in_chain(layer, x) if reuse_outputs else None
            x = node.outputs if node is not None else layer(x)
            if isinstance(x, (list, tuple)):
                raise ValueError(
                    "All layers in a Sequential model should have a single output tensor. For "
                    f"multi-output layers, use the functional API. Layer '{layer.name}' "
                    f"returned {len(x)} tensors."
                )
        self._init_graph(self._source_inputs(), x)
        self._graph_ready = True

    def _source_inputs(self) -> list:
        from kerasish.utils.layer_utils import get_source_inputs

        return list(get_source_inputs(self._stack[0]._inbound_nodes[0].outputs))

    def _append_to_graph(self, layer: Layer) -> None:
        x = layer(self.outputs[0])
        if isinstance(x, (list, tuple)):
            self._stack.pop()
            raise ValueError(
                "All layers in a Sequential model should have a single output tensor. For "
                f"multi-output layers, use the functional API. Layer '{layer.name}' returned "
                f"{len(x)} tensors."
            )
        self._init_graph(self._source_inputs(), x)

    def pop(self) -> Layer:
        if len(self._stack) == 1:
            raise TypeError(
                f"Sequential model '{self.name}': its first layer is a Keras 1 `Merge`, which "
                "cannot be popped (the model's inputs come from it)."
            )
        return super().pop()

    def _tracked_layers(self) -> list[Layer]:
        # Keras 1's Sequential gathered weights over its flattened layers; a branch model
        # that is not itself in this graph (a Sequential nested in a branch) stands for its
        # own layers.
        graph = Functional._tracked_layers(self)
        ordered: list[Layer] = []

        def take(layer: Layer) -> None:
            if any(layer is seen for seen in ordered):
                return
            if any(layer is member for member in graph):
                ordered.append(layer)
            elif isinstance(layer, Functional):
                for member in layer._tracked_layers():
                    take(member)

        for layer in self.keras1_flattened_layers() + graph:
            take(layer)
        return ordered

    def keras1_flattened_layers(self) -> list[Layer]:
        """Keras 1's ``flattened_layers``: each merged branch's layers (or the connected first
        model itself), then the layers added after it. Keras 1 wrote (and read by position)
        weights files in this order."""
        first = self._stack[0]
        flattened: list[Layer] = []
        for branch in getattr(first, "_keras1_merge_branches", None) or [None]:
            if branch is None:
                members = [first]
            elif isinstance(branch, MergedSequential):
                members = branch.keras1_flattened_layers()
            else:
                members = getattr(branch, "layers", None) or [branch]
            flattened.extend(layer for layer in members if not any(layer is seen for seen in flattened))
        flattened.extend(layer for layer in self._stack[1:] if not any(layer is seen for seen in flattened))
        return flattened

    def get_layer(self, name: Optional[str] = None, index: Optional[int] = None) -> Layer:
        # Keras 1 looked names up in the whole graph, the branches' layers included.
        if name is not None and index is None:
            for layer in self._layers:
                if layer.name == name:
                    return layer
        return super().get_layer(name, index)

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Saving the config of Sequential model '{self.name}', whose first layer is a Keras 1 "
            "`Merge`: no Keras 2/3 format has a multi-input Sequential. Save its weights "
            "(`save_weights`), or build the model with the functional API "
            "(`keras.layers.concatenate([...])`...)."
        )
