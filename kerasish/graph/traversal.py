"""From a model's input and output tensors to its ordered nodes and layers.

The walk follows ``_keras_history`` back from the outputs. Depths are assigned as tf.keras
does (outputs at depth 0, each parent at least one deeper), and ``layers`` is ordered by
decreasing depth, ties broken by discovery order. That ordering is not cosmetic: Keras 2 ``.h5``
weights load by topological position, so ``model.layers`` must come out exactly as in tf.keras.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.graph.node import Node


@dataclass
class GraphMap:
    nodes: set  # the Nodes (by identity) that belong to this model
    nodes_by_depth: dict  # depth -> [Node]
    layers: list  # every layer, InputLayers included, in Keras order
    execution_order: list  # non-input Nodes in an order where inputs come first


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> GraphMap:
    ordered_nodes, layer_indices = _walk(outputs)
    node_depths: dict[Node, int] = {}
    layer_depths: dict[Any, int] = {}
    for node in reversed(ordered_nodes):
        depth = max(node_depths.setdefault(node, 0), layer_depths.get(node.layer, 0))
        layer_depths[node.layer] = depth
        node_depths[node] = depth
        for parent in node.parent_nodes:
            node_depths[parent] = max(depth + 1, node_depths.get(parent, 0))

    for tensor in inputs:
        layer = tensor._keras_history.layer
        if layer not in layer_depths:
            layer_depths[layer] = 0
            layer_indices[layer] = -1
            node_depths[layer._inbound_nodes[0]] = 0

    nodes_by_depth: dict[int, list] = defaultdict(list)
    for node, depth in node_depths.items():
        nodes_by_depth[depth].append(node)
    layers_by_depth: dict[int, list] = defaultdict(list)
    for layer, depth in layer_depths.items():
        layers_by_depth[depth].append(layer)

    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda layer: layer_indices[layer]))

    computable = {id(x) for x in inputs}
    accessed: list[str] = []
    execution_order = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue
            for x in node.keras_inputs:
                if id(x) not in computable:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {x} at layer "
                        f'"{node.layer.name}". The following previous layers were accessed '
                        f"without issue: {accessed}"
                    )
            computable.update(id(x) for x in node.flat_outputs)
            computable.update(id(m) for m in node.output_masks if m is not None)
            accessed.append(node.layer.name)
            execution_order.append(node)

    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                "names should be unique."
            )
    return GraphMap(set(node_depths), dict(nodes_by_depth), layers, execution_order)


def _walk(outputs: list[KerasTensor]) -> tuple[list[Node], dict]:
    """Post-order walk from the outputs: every node after the nodes it reads from."""
    finished: set = set()
    in_progress: set = set()
    ordered: list[Node] = []
    layer_indices: dict = {}

    for output in outputs:
        stack = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            node = tensor.node
            if expanded:
                in_progress.discard(node)
                if node not in finished:
                    finished.add(node)
                    ordered.append(node)
                continue
            if node in finished:
                continue
            if node in in_progress:
                raise ValueError(
                    f'The tensor {tensor} at layer "{node.layer.name}" is part of a cycle.'
                )
            layer_indices.setdefault(node.layer, len(layer_indices))
            in_progress.add(node)
            stack.append((tensor, True))
            for parent_tensor in reversed(node.keras_inputs):
                stack.append((parent_tensor, False))
    return ordered, layer_indices
