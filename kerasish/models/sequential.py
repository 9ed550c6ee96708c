"""Sequential: a linear stack of layers, kept as a Functional graph.

Each ``add`` calls the new layer on the current output, once, so every layer has exactly one
inbound node in the model and ``layer.output`` stays well defined. Without an input shape the
graph waits: it is built on the first call on data (or ``build``), from that data's shape.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.layers.input_layer import InputLayer
from kerasish.models.functional import Functional
from kerasish.models.model import Model
from kerasish.variables import current_path, layer_scope


class Sequential(Functional):
    def __init__(
        self,
        layers: Optional[Sequence[Any]] = None,
        name: Optional[str] = None,
        trainable: bool = True,
    ) -> None:
        Layer.__init__(self, name=name, trainable=trainable)
        self._stack: list[Layer] = []
        self._set_input_layer(None)
        self._graph_ready = False
        self._build_input_shape: Optional[tuple] = None
        for layer in layers or []:
            self.add(layer)

    @classmethod
    def _default_name(cls) -> str:
        return "sequential"

    # ----------------------------------------------------------------- editing

    def add(self, layer: Any) -> None:
        if isinstance(layer, KerasTensor):
            origin = layer._keras_history.layer if layer._keras_history else None
            if not isinstance(origin, InputLayer):
                raise TypeError(
                    "The added layer must be an instance of class Layer or an `Input` tensor. "
                    f"Received: {layer}"
                )
            layer = origin
        if not isinstance(layer, torch.nn.Module) or not isinstance(layer, Layer):
            raise TypeError(
                "The added layer must be an instance of class Layer. "
                f"Received: layer={layer} of type {type(layer)}."
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(
                    f"Sequential model '{self.name}' already has an input; an InputLayer can "
                    "only be the first layer."
                )
            self._set_input_layer(layer)
            self._rebuild()
            return
        if not self._stack and self._input_layer is None and getattr(layer, "_keras1_connected", False):
            from kerasish.legacy.keras1_merge import start_merged_sequential

            return start_merged_sequential(self, layer)  # Keras 1: Sequential([Merge([a, b]), ...])
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f'All layers added to a Sequential model should have unique names. Name "'
                f'{layer.name}" is already the name of a layer in this model. Update the `name` '
                "argument to pass a unique name."
            )
        if not self._stack and self._input_layer is None:
            batch_shape = getattr(layer, "_batch_input_shape", None)
            if batch_shape is not None:
                self._set_input_layer(
                    InputLayer(
                        batch_input_shape=batch_shape,
                        dtype=layer.dtype,
                        name=f"{layer.name}_input",
                    )
                )
        self._stack.append(layer)
        if self._graph_ready:
            self._append_to_graph(layer)
        else:
            self._rebuild()

    def pop(self) -> Layer:
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._rebuild(reuse_outputs=True)
        return layer

    # ------------------------------------------------------------------ graph

    def _rebuild(self, reuse_outputs: bool = False) -> None:
        """(Re)create the graph from the input layer through the stack, if there is an input.

        Layers are called in the model's name scope, which makes their Keras 3 paths
        ``sequential/dense/...``; the scope is opened only once there is an input, so a
        model first built inside another layer's call gets that layer's prefix, as in Keras."""
        if self._input_layer is None:
            self._rebuild_graph(reuse_outputs)
            return
        with layer_scope(self):
            self.__dict__["_path"] = current_path()
            self._rebuild_graph(reuse_outputs)

    def _rebuild_graph(self, reuse_outputs: bool) -> None:
        self._graph_ready = False
        self._lowered = None
        self.__dict__.pop("forward", None)
        if self._input_layer is None:
            self._clear_graph()
            return
        x = self._input_layer._inbound_nodes[0].outputs
        for layer in self._stack:
            if reuse_outputs and self._node_in_chain(layer, x) is not None:
                x = self._node_in_chain(layer, x).outputs
            else:
                x = layer(x)
            if isinstance(x, (list, tuple)):
                raise ValueError(
                    "All layers in a Sequential model should have a single output tensor. For "
                    f"multi-output layers, use the functional API. Layer '{layer.name}' "
                    f"returned {len(x)} tensors."
                )
        self._init_graph(self._input_layer._inbound_nodes[0].outputs, x)
        self._graph_ready = True

    @staticmethod
    def _node_in_chain(layer: Layer, x: KerasTensor):
        for node in layer._inbound_nodes:
            if node.keras_inputs and node.keras_inputs[0] is x:
                return node
        return None

    def _append_to_graph(self, layer: Layer) -> None:
        with layer_scope(self):
            x = layer(self.outputs[0])
        if isinstance(x, (list, tuple)):
            self._stack.pop()
            raise ValueError(
                "All layers in a Sequential model should have a single output tensor. For "
                f"multi-output layers, use the functional API. Layer '{layer.name}' returned "
                f"{len(x)} tensors."
            )
        self._init_graph(self.inputs[0], x)

    def _clear_graph(self) -> None:
        for key in list(self._modules):
            del self._modules[key]
        self._module_names = {}
        for layer in self._stack:
            attr = layer.name.replace(".", "_")
            self.add_module(attr, layer)
            self._module_names[layer] = attr
        self.inputs, self.outputs = [], []
        self.input_names, self.output_names = [], []
        self._layers = list(self._stack)
        self.built = False

    def _set_input_layer(self, layer: Optional[InputLayer]) -> None:
        # Kept out of ``_modules``: an InputLayer has no weights and is not called in forward.
        self.__dict__["_input_layer"] = layer

    def build(self, input_shape: Any = None, dtype: Any = None) -> None:
        if self._graph_ready:
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        if not self._stack:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build.")
        shape = tuple(input_shape)
        self._build_input_shape = shape
        self._set_input_layer(
            InputLayer(
                batch_input_shape=(None,) + shape[1:],
                name=f"{self._stack[0].name}_input",
                dtype=dtype or self._stack[0].dtype,
            )
        )
        self._rebuild()

    # ------------------------------------------------------------ properties

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def _tracked_layers(self) -> list[Layer]:
        return list(self._stack)

    # ---------------------------------------------------------------- calling

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._graph_ready and args:
            self._build_from_data(args[0])
        return super().__call__(*args, **kwargs)

    def _prepare_inputs(self, x: Any) -> list:
        if not self._graph_ready:
            self._build_from_data(x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x)
        return super()._prepare_inputs(x)

    def _build_from_data(self, first: Any) -> None:
        shape = first.shape if hasattr(first, "shape") else np.shape(first)
        dtype = getattr(first, "dtype", None)
        # A model built from data takes integer data as integers (an Embedding first layer),
        # and text as strings (a TextVectorization first layer).
        integer = dtype is not None and "int" in str(dtype)
        if isinstance(dtype, np.dtype) and dtype.kind in "USO":
            self.build(tuple(shape), "string")
            return
        self.build(tuple(shape), backend.standardize_dtype(dtype) if integer else None)

    def summary(self, *args: Any, **kwargs: Any) -> None:
        if not self._graph_ready:
            raise ValueError(
                f"Sequential model '{self.name}' has not yet been built. Build the model first "
                "by calling `build()` or by calling the model on a batch of data."
            )
        return Model.summary(self, *args, **kwargs)

    # ---------------------------------------------------------------- config

    def get_config(self) -> dict:
        from kerasish.saving.model_config import serialize_layer

        layers = ([self._input_layer] if self._input_layer is not None else []) + self._stack
        config: dict = {"name": self.name, "layers": [serialize_layer(layer) for layer in layers]}
        if self._build_input_shape is not None:
            config["build_input_shape"] = self._build_input_shape
        return config

    @classmethod
    def from_config(cls, config: Any, custom_objects: Optional[dict] = None) -> Sequential:
        from kerasish.saving.model_config import deserialize_layer

        if isinstance(config, list):  # Keras 2.2.0-2.2.2: a bare list of layer configs
            name, layer_configs, build_shape = None, config, None
        else:
            name = config.get("name")
            layer_configs = config["layers"]
            build_shape = config.get("build_input_shape")
        model = cls(name=name)
        for layer_config in layer_configs:
            model.add(deserialize_layer(layer_config, custom_objects))
        if not model._graph_ready and build_shape:
            model.build(build_shape)
        return model

