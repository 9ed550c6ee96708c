"""``keras.utils.get_source_inputs``: the Input tensors a symbolic tensor is computed from."""

from __future__ import annotations

from typing import Any, Optional


def get_source_inputs(tensor: Any, layer: Any = None, node_index: Optional[int] = None) -> Any:
    """The list of Input tensors ``tensor`` depends on, each once, in the order the graph
    reaches them; a value with no graph history comes back unchanged. ``layer``/``node_index``
    (tf.keras 2's arguments) name the node to start from instead of the tensor's history."""
    if not hasattr(tensor, "_keras_history") or tensor._keras_history is None:
        return tensor
    if layer is None or node_index:
        layer, node_index, _ = tensor._keras_history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return list(node.flat_outputs)
    sources: list = []
    for parent, parent_index, _, parent_tensor in node.iterate_inbound():
        for x in get_source_inputs(parent_tensor, parent, parent_index):
            if all(x is not seen for seen in sources):
                sources.append(x)
    return sources
