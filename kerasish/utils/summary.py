"""``Model.summary()``: the layer table, laid out as tf.keras 2.x printed it.

A model counts as "sequential-like" when it is a ``Sequential``, a subclassed model, or a graph
in which every depth holds a single node reading at most one tensor and no layer is called more
than once. Those get three columns (Layer (type), Output Shape, Param #, 65 characters wide);
any other graph gets a fourth, "Connected to", listing the ``layer[node][tensor]`` entries each
call of the layer reads (98 characters wide). Cells too long for their column continue on the
following lines, cut preferably just after a ``),``/``],``/``},``/``',``.

Parameter totals come with thousands separators (``Total params: 2,920``), as Keras 2 and the
tf.keras releases before the memory-size suffix printed them.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional, Sequence

import numpy as np

# After one of these, a wrapped cell prefers to break (tuples, dicts, lists, quoted names).
_BREAK_AFTER = ("),", "},", "],", "',")


def count_params(weights: Sequence[Any]) -> int:
    """Number of scalars in ``weights``, each distinct tensor counted once."""
    seen: set = set()
    total = 0
    for weight in weights:
        tensor = getattr(weight, "tensor", weight)
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        shape = getattr(weight, "shape", None)
        if shape is None:
            continue
        total += int(np.prod([0 if d is None else int(d) for d in shape]))
    return total


def is_sequential_like(model: Any) -> bool:
    """Whether the summary of ``model`` needs no "Connected to" column."""
    if type(model).__name__ == "Sequential":
        return True
    nodes_by_depth = getattr(model, "_nodes_by_depth", None)
    if nodes_by_depth is None:
        return True  # subclassed models read as a plain list of layers
    nodes: list = []
    for depth_nodes in nodes_by_depth.values():
        if len(depth_nodes) > 1:
            return False
        if len(depth_nodes) == 1 and len(depth_nodes[0].keras_inputs) > 1:
            return False
        nodes.extend(depth_nodes)
    node_ids = {id(node) for node in nodes}
    for layer in model.layers:
        calls_in_model = sum(id(node) in node_ids for node in layer._inbound_nodes)
        if calls_in_model > 1:
            return False
    return True


def layer_index_bounds(model: Any, layer_range: Optional[Sequence[str]] = None) -> list[int]:
    """``[first, last + 1]`` indices into ``model.layers`` for a ``(start, end)`` name range.

    The two names may be regular expressions (matched from the start of the layer name): the
    range opens at the first layer matching ``start`` and closes at the last matching ``end``.
    """
    layers = model.layers
    if layer_range is None:
        return [0, len(layers)]
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    starts = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    ends = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not starts or not ends:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(starts) > max(ends):
        return [min(ends), max(starts) + 1]
    return [min(starts), max(ends) + 1]


def _absolute_positions(positions: Sequence[float], line_length: int) -> list[int]:
    positions = list(positions)
    if positions[-1] <= 1:
        return [int(line_length * p) for p in positions]
    return [int(p) for p in positions]


class _Table:
    """Writes rows into fixed column positions, wrapping long cells over several lines."""

    def __init__(self, positions: list[int], line_length: int, print_fn: Callable) -> None:
        self.positions = positions
        self.line_length = line_length
        self.print_fn = print_fn

    def row(self, fields: Sequence[Any], nested_level: int = 0) -> None:
        remaining = [str(field) for field in fields]
        last_col = len(self.positions) - 1
        while any(remaining):
            line = ""
            for col, text in enumerate(remaining):
                start = self.positions[col - 1] if col > 0 else 0
                end = self.positions[col]
                gap = 0 if col == last_col else 2  # two spaces between columns
                width = end - start - gap
                if col != last_col:
                    width -= 1  # the leading space of the row shifts every column by one
                if col == 0:
                    width -= nested_level
                width = max(width, 1)
                piece = text[:width]
                breaks = [piece.find(m) + len(m) for m in _BREAK_AFTER if piece.find(m) >= 0]
                if breaks:
                    piece = piece[: min(breaks)]
                if col == 0:
                    line += "|" * nested_level + " "
                line += piece + " " * gap
                remaining[col] = text[len(piece) :]
                target = end - nested_level if (nested_level and col == last_col) else end
                line += " " * (target - len(line))
            self.print_fn(line + "|" * nested_level)

    def rule(self, char: str, nested_level: int = 0, inner: bool = False) -> None:
        """A full-width line of ``char`` between ``nested_level`` borders on each side.

        ``inner`` opens a nested block: the borders are one deeper than the text around them.
        """
        bars = nested_level + 1 if inner else nested_level
        self.print_fn("|" * bars + char * (self.line_length - 2 * bars) + "|" * bars)


def print_summary(
    model: Any,
    line_length: Optional[int] = None,
    positions: Optional[Sequence[float]] = None,
    print_fn: Optional[Callable[[str], Any]] = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Optional[Sequence[str]] = None,
) -> None:
    """Print the summary table of ``model``, one ``print_fn`` call per line.

    Args:
        model: the model (functional, Sequential or subclassed).
        line_length: total width of the table (65, or 98 with "Connected to", by default).
        positions: where each column ends, as fractions of ``line_length`` (last one ``<= 1``)
            or as absolute character positions.
        print_fn: called with each line; ``print`` by default.
        expand_nested: also list the layers of nested models, inside ``|`` borders.
        show_trainable: add a "Trainable" column (``Y``/``N``).
        layer_range: ``(first_name, last_name)``, both inclusive, regular expressions allowed:
            print only that slice of ``model.layers``.
    """
    if print_fn is None:
        print_fn = print

    sequential_like = is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = _absolute_positions(positions or [0.45, 0.85, 1.0], line_length)
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = _absolute_positions(positions or [0.3, 0.6, 0.7, 1.0], line_length)
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if show_trainable:
        line_length += 11
        positions.append(line_length)
        headers.append("Trainable")
    if len(positions) < len(headers):
        raise ValueError(
            f"`positions` needs one entry per column ({len(headers)}: {headers}). "
            f"Received {len(positions)} positions."
        )
    first, stop = layer_index_bounds(model, layer_range)
    table = _Table(positions, line_length, print_fn)

    def layer_fields(layer: Any, relevant_nodes: Optional[set]) -> list:
        try:
            output_shape: Any = layer.output_shape
        except AttributeError:
            output_shape = "multiple"
        except RuntimeError:
            output_shape = "?"
        if not layer.built and not hasattr(layer, "_nodes_by_depth"):
            params: Any = "0 (unused)"  # a layer the model never called has no weights yet
        else:
            params = layer.count_params()
        fields = [f"{layer.name} ({type(layer).__name__})", output_shape, params]
        if not sequential_like:
            fields.append(_connections(layer, relevant_nodes))
        if show_trainable:
            fields.append("Y" if layer.trainable else "N")
        return fields

    def print_layer(
        layer: Any,
        relevant_nodes: Optional[set],
        nested_level: int = 0,
        last_in_block: bool = False,
    ) -> None:
        table.row(layer_fields(layer, relevant_nodes), nested_level)
        sublayers = getattr(layer, "layers", None) if expand_nested else None
        if sublayers:
            table.rule("¯", nested_level, inner=True)
            inner_nodes = _model_nodes(layer)
            for i, sublayer in enumerate(sublayers):
                print_layer(sublayer, inner_nodes, nested_level + 1, i == len(sublayers) - 1)
            table.rule("¯", nested_level)
        if not last_in_block:
            table.rule(" ", nested_level)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    table.row(headers)
    print_fn("=" * line_length)
    top_nodes = _model_nodes(model)
    for layer in model.layers[first:stop]:
        print_layer(layer, top_nodes)
    print_fn("=" * line_length)

    trainable_count = count_params(model.trainable_weights)
    non_trainable_count = count_params(model.non_trainable_weights)
    print_fn(f"Total params: {trainable_count + non_trainable_count:,}")
    print_fn(f"Trainable params: {trainable_count:,}")
    print_fn(f"Non-trainable params: {non_trainable_count:,}")
    print_fn("_" * line_length)


def _model_nodes(model: Any) -> Optional[set]:
    """Ids of the nodes that belong to ``model``'s graph (None for a model without a graph)."""
    nodes_by_depth = getattr(model, "_nodes_by_depth", None)
    if not nodes_by_depth:
        return None
    return {id(node) for depth_nodes in nodes_by_depth.values() for node in depth_nodes}


def _connections(layer: Any, relevant_nodes: Optional[set]) -> list[str]:
    """``inbound_layer[node_index][tensor_index]`` for every tensor every call of ``layer`` reads."""
    entries = []
    for node in layer._inbound_nodes:
        if relevant_nodes and id(node) not in relevant_nodes:
            continue  # a call made outside this model
        for inbound_layer, node_index, tensor_index, _ in node.iterate_inbound():
            entries.append(f"{inbound_layer.name}[{node_index}][{tensor_index}]")
    return entries
