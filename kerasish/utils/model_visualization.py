"""``plot_model`` and ``model_to_dot``: a model's layer graph drawn by Graphviz (via pydot).

The picture is tf.keras 2.x's: one record-shaped box per layer (``name|Class``, optionally the
activation, dtype, input/output shapes and a T/NT trainable flag), one edge per connection.
A layer is one box however many times it is called, so a shared layer shows one box with an
edge from each of its callers. With ``expand_nested=True`` a nested model becomes a dashed
cluster of its own boxes, and edges go to the nested model's input layer and leave from the
layer that produces the output used.
"""

from __future__ import annotations

import os
import re
from typing import Any, Optional, Sequence

from kerasish.utils import tree

_GRAPHVIZ_HELP = (
    "You must install graphviz (see instructions at https://graphviz.gitlab.io/download/; "
    "on Debian or Ubuntu: `apt-get install graphviz`) for `plot_model` to work."
)


def _pydot() -> Any:
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def check_pydot() -> bool:
    """True if pydot can be imported."""
    return _pydot() is not None


def check_graphviz() -> bool:
    """True if pydot is installed and can run Graphviz's ``dot`` program."""
    pydot = _pydot()
    if pydot is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except (OSError, FileNotFoundError, AssertionError):
        return False
    except Exception as error:  # pydot raises its own exception types, which vary by version
        if type(error).__module__.startswith("pydot"):
            return False
        raise


def _require_pydot(caller: str) -> Any:
    pydot = _pydot()
    if pydot is None:
        raise ImportError(f"You must install pydot (`pip install pydot`) for {caller} to work.")
    return pydot


def _is_graph_network(model: Any) -> bool:
    from kerasish.models.functional import Functional

    return isinstance(model, Functional) and getattr(model, "_layers", None) is not None


def _escape(text: str) -> str:
    """Record labels treat ``{}|<>`` as structure: keep them literal in names and shapes."""
    return re.sub(r"([{}|<>])", r"\\\1", text)


def _format_shape(shape: Any) -> str:
    return _escape(str(shape))


def _label(
    layer: Any,
    show_shapes: bool,
    show_dtype: bool,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_trainable: bool,
) -> str:
    from kerasish.layers.wrappers import Wrapper

    name, class_name = layer.name, type(layer).__name__
    if isinstance(layer, Wrapper):
        name = f"{name}({layer.layer.name})"
        class_name = f"{class_name}({type(layer.layer).__name__})"
    label = _escape(class_name)
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        activation_name = getattr(activation, "__name__", None) or str(activation)
        label = f"{{{label}|{_escape(activation_name)}}}"
    if show_layer_names:
        label = f"{_escape(name)}|{label}"
    if show_dtype:
        label = f"{label}|{layer.dtype or '?'}"
    if show_shapes:
        try:
            outputs = _format_shape(layer.output_shape)
        except (AttributeError, RuntimeError):
            outputs = "?"
        try:
            inputs = _format_shape(layer.input_shape)
        except (AttributeError, RuntimeError):
            inputs = "?"
        label = f"{{{label}}}|{{input:|output:}}|{{{{{inputs}}}|{{{outputs}}}}}"
    if show_trainable:
        label = f"{'T' if layer.trainable else 'NT'}|{label}"
    return label


def _layer_bounds(layers: list, layer_range: Sequence[str]) -> tuple[int, int]:
    """tf.keras' ``layer_range``: from the first layer matching ``layer_range[0]`` (a regex)
    to the last one matching ``layer_range[1]``, both inclusive."""
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be of shape (2,). Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(bound, str) for bound in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    names = [layer.name for layer in layers]
    starts = [i for i, name in enumerate(names) if re.match(layer_range[0], name)]
    ends = [i for i, name in enumerate(names) if re.match(layer_range[1], name)]
    if not starts or not ends:
        missing = layer_range[0] if not starts else layer_range[1]
        raise ValueError(f"Passed layer_names does not match the layer names in the model: {missing}")
    return starts[0], ends[-1] + 1


class _Drawing:
    """The dot graph of one model (and, expanded, of the models nested in it)."""

    def __init__(self, pydot: Any, options: dict, expand_nested: bool) -> None:
        self.pydot = pydot
        self.options = options
        self.expand_nested = expand_nested

    def add_model(self, dot: Any, model: Any, bounds: Optional[tuple[int, int]] = None) -> None:
        layers = model._layers
        lower, upper = bounds if bounds is not None else (0, len(layers))
        shown = layers[lower:upper]
        for layer in shown:
            if self.expand_nested and _is_graph_network(layer):
                cluster = self.pydot.Cluster(style="dashed", graph_name=_cluster_name(layer))
                cluster.set("label", layer.name)
                cluster.set("labeljust", "l")
                self.add_model(cluster, layer)
                dot.add_subgraph(cluster)
            else:
                dot.add_node(self.pydot.Node(str(id(layer)), label=_label(layer, **self.options)))
        visible = {id(layer) for layer in shown}
        for layer in shown:
            for node in layer._inbound_nodes:
                if node.is_input or node not in model._network_nodes:
                    continue
                for position, tensor in enumerate(_node_inputs(node)):
                    source_layer, _, tensor_index = tensor._keras_history
                    if id(source_layer) not in visible:
                        continue  # outside layer_range
                    source = self._source(source_layer, tensor_index)
                    destination = self._destination(layer, position)
                    _add_edge(self.pydot, dot, source, destination)

    def _source(self, layer: Any, tensor_index: int) -> Any:
        """The box an edge leaves: inside an expanded model, the layer making that output."""
        while self.expand_nested and _is_graph_network(layer):
            layer, _, tensor_index = layer.outputs[tensor_index]._keras_history
        return layer

    def _destination(self, layer: Any, position: int) -> Any:
        """The box an edge enters: inside an expanded model, the input layer it feeds."""
        while self.expand_nested and _is_graph_network(layer):
            inputs = layer.inputs
            layer = inputs[min(position, len(inputs) - 1)]._keras_history.layer
            position = 0
        return layer


def _node_inputs(node: Any) -> list:
    """The call's input tensors in call order (a tensor passed twice counts twice)."""
    from kerasish.graph.keras_tensor import KerasTensor

    flat = [x for x in tree.flatten(node.input_tensors) if isinstance(x, KerasTensor)]
    listed = {id(x) for x in flat}
    return flat + [x for x in node.keras_inputs if id(x) not in listed]


def _cluster_name(model: Any) -> str:
    # pydot.Cluster adds the "cluster_" prefix that makes Graphviz draw the subgraph as a box.
    return f"{re.sub(r'[^0-9A-Za-z_]', '_', model.name)}_{id(model)}"


def _add_edge(pydot: Any, dot: Any, source: Any, destination: Any) -> None:
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        dot.add_edge(pydot.Edge(src, dst))


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 96,
    subgraph: bool = False,
    layer_range: Optional[Sequence[str]] = None,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> Any:
    """The model as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph=True``)."""
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    pydot = _require_pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=_cluster_name(model))
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="record")
    if not _is_graph_network(model):
        # A subclassed model's graph is its own Python code: one box.
        dot.add_node(pydot.Node(str(id(model)), label=_escape(model.name)))
        return dot
    bounds = _layer_bounds(model._layers, layer_range) if layer_range is not None else None
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    _Drawing(pydot, options, expand_nested).add_model(dot, model, bounds)
    return dot


def plot_model(
    model: Any,
    to_file: Any = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 96,
    layer_range: Optional[Sequence[str]] = None,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> Any:
    """Draw the model into ``to_file`` (the format from its extension, PNG without one).

    Returns an ``IPython.display.Image`` of the file when IPython is installed (so the picture
    shows in a notebook), else None.
    """
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    _require_pydot("plot_model")
    if not check_graphviz():
        raise ImportError(_GRAPHVIZ_HELP)
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        layer_range=layer_range,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
