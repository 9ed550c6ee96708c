"""Keras 3's per-layer state API, mixed into ``Layer``: how a layer is rebuilt when loading
(``get_build_config``/``build_from_config``), what it writes into a weights file
(``save_own_variables``/``load_own_variables``), its ``path``, and calling it on other
variable values (``stateless_call``) or under rematerialization (``rematerialized_call``).

Keras calls these methods while saving and loading, and custom layers override them; the
defaults here produce exactly what ``saving/keras3_config.py`` and ``keras3_weights.py`` write.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional

import numpy as np
import torch

from kerasish import rematerialization as remat_lib
from kerasish import scopes
from kerasish.utils import tree


class LayerStateMixin:
    # Class-level defaults, so a subclass may declare them as plain class attributes, as in
    # Keras (``input_spec = InputSpec(ndim=2)``); instances may set them too.
    supports_masking = False
    input_spec = None
    _remat_mode: Optional[remat_lib.RematMode] = None
    _build_shapes_dict: Optional[dict] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not hasattr(build, "_records_shapes"):
            cls.build = _recording_build(build)

    # ---------------------------------------------------------------- identity

    @property
    def input_dtype(self) -> str:
        """The dtype floating inputs are cast to: the compute dtype, as in Keras 3."""
        return self.compute_dtype

    # --------------------------------------------------------------- weights

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: Optional[str] = None,
    ) -> torch.Tensor:
        """Keras 3's alias of ``add_weight`` with its own argument order (shape first)."""
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            regularizer=regularizer,
            constraint=constraint,
            name=name,
        )

    def save_own_variables(self, store: dict) -> None:
        """Keras 3's default: the layer's own variables (not its sublayers'), trainable first,
        under ``"0"``, ``"1"``... Override it to save other state; ``.keras`` and
        ``.weights.h5`` files then hold what the override writes."""
        from kerasish.saving.keras3_weights import own_variables

        for i, variable in enumerate(own_variables(self)):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Keras 3's default: assign ``store["0"]``, ``store["1"]``... to the own variables."""
        from kerasish.saving.keras3_weights import own_variables

        variables = own_variables(self)
        if len(store.keys()) != len(variables):
            if not variables and not self.built:
                raise ValueError(
                    f"Layer '{self.name}' was never built and thus it doesn't have any "
                    f"variables. However the weights file lists {len(store.keys())} variables "
                    "for this layer. Implement `build_from_config(config)` (and "
                    "`get_build_config()`) on the layer to create its state when loading."
                )
            raise ValueError(
                f"Layer '{self.name}' expected {len(variables)} variables, but received "
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name for v in variables]}"
            )
        for i, variable in enumerate(variables):
            variable.assign(np.asarray(store[str(i)]))

    # ------------------------------------------------------------------ build

    def get_build_config(self) -> Optional[dict]:
        """What ``.keras`` files store as ``build_config``: the input shape the layer was
        built with (``None`` for an unbuilt layer or an ``InputLayer``)."""
        from kerasish.layers.input_layer import InputLayer
        from kerasish.models.functional import Functional
        from kerasish.models.sequential import Sequential

        if isinstance(self, InputLayer) or not self.built:
            return None
        if isinstance(self, Sequential):
            return {"input_shape": _listed(self.inputs[0].shape) if self.inputs else None}
        if isinstance(self, Functional):
            return {"input_shape": None}
        if hasattr(self, "keras3_build_config"):  # layers whose build takes several shapes
            return self.keras3_build_config()
        for node in self._inbound_nodes:
            if not node.is_input:
                return {"input_shape": _listed(node.input_shapes)}
        shapes = self._build_shapes_dict
        if shapes is None:
            return None
        if len(shapes) == 1:
            return {"input_shape": _listed(next(iter(shapes.values())))}
        return {"shapes_dict": {key: _listed(value) for key, value in shapes.items()}}

    def build_from_config(self, config: Optional[dict]) -> None:
        """Keras 3's default: ``build(config["input_shape"])`` (or ``build(**shapes_dict)``)."""
        if not config or self.built:
            return
        from kerasish.saving.serialization import _shape_from_json

        if config.get("input_shape") is not None:
            self._maybe_build(_shape_from_json(config["input_shape"]))
        elif "shapes_dict" in config:
            shapes = {k: _shape_from_json(v) for k, v in config["shapes_dict"].items()}
            self.build(**shapes)
            self.built = True

    # ---------------------------------------------------------------- calling

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        """Keras 3: the output spec (KerasTensors) of a call, without recording a node."""
        return self.compute_output_spec(*args, **kwargs)

    def stateless_call(
        self,
        trainable_variables: list,
        non_trainable_variables: list,
        *args: Any,
        return_losses: bool = False,
        **kwargs: Any,
    ) -> tuple:
        """Keras 3: call the layer on the given variable values (Keras layout, 1:1 with
        ``trainable_variables``/``non_trainable_variables``) and return
        ``(outputs, non_trainable_values)`` (and the losses with ``return_losses``). The
        layer's own variables are untouched; gradients flow to the given trainable values."""
        name = type(self).__name__
        if not self.built:
            raise ValueError(
                f"To call stateless_call, {name} must be built (i.e. its variables must have "
                "been already created). You can build it by calling it on some data."
            )
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        for given, expected, what in (
            (trainable_variables, trainable, "trainable_variables"),
            (non_trainable_variables, non_trainable, "non_trainable_variables"),
        ):
            if len(given) != len(expected):
                raise ValueError(
                    f"Argument `{what}` must be a list of tensors corresponding 1:1 to "
                    f"{name}().{what}. Received list with length {len(given)}, but expected "
                    f"{len(expected)} variables."
                )
        # Non-trainable values are copied: a layer updates its state in place (moving
        # statistics), which must not write into the caller's tensors.
        mapping = list(zip(trainable, trainable_variables)) + [
            (variable, torch.as_tensor(value).clone())
            for variable, value in zip(non_trainable, non_trainable_variables)
        ]
        with scopes.StatelessScope(mapping, collect_losses=return_losses) as scope:
            outputs = self(*args, **kwargs)
            losses = self.losses if return_losses else None
        updated = [scope.get_current_value(variable) for variable in non_trainable]
        if return_losses:
            return outputs, updated, losses
        return outputs, updated

    def rematerialized_call(self, layer_call: Callable, *args: Any, **kwargs: Any) -> Callable:
        """``layer_call``, rematerialized as the ``RematScope`` active at the layer's creation
        asks (Keras 3's modes); ``layer_call`` itself when no mode applies."""
        mode = self._remat_mode
        if not mode or mode.mode is None:
            return layer_call
        if mode.mode == "full":
            return remat_lib.remat(layer_call)
        if mode.mode == "list_of_layers":
            return remat_lib.remat(layer_call) if self.name in mode.layer_names else layer_call
        if mode.mode == "activations":
            if getattr(self, "activation", None) is None:
                return layer_call
            return _with_remat_activation(self, layer_call)
        # "larger_than": by the size of the output spec.
        if _output_size(self, args, kwargs) > mode.output_size_threshold:
            return remat_lib.remat(layer_call)
        return layer_call

    # ----------------------------------------------------------- quantization

    @property
    def quantization_mode(self) -> Optional[str]:
        """The quantization mode of the layer's dtype policy, ``None`` when not quantized."""
        from kerasish.mixed_precision import quantized_policies

        return quantized_policies.mode_of(self._dtype)

    def quantize(self, mode: Optional[str] = None, type_check: bool = True, config: Any = None) -> None:
        """Keras 3's base: only layers with quantized variants (Dense, EinsumDense, Embedding)
        override it."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `quantize` method implemented."
        )

    def quantized_build(self, input_shape: Any, mode: str) -> None:
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `quantized_build` method implemented."
        )

    def quantized_call(self, *args: Any, **kwargs: Any) -> Any:
        """Keras 3: the call of the layer's quantization mode (``_int8_call``...)."""
        mode = self.quantization_mode
        if mode is None:
            raise NotImplementedError(
                "Invalid quantization mode. Expected one of ('int8', 'int4', 'float8'). "
                f"Received: quantization_mode={mode}"
            )
        call = getattr(self, f"_{mode}_call", None)
        if call is None:
            raise NotImplementedError(
                f"Layer {type(self).__name__} does not have a `_{mode}_call` method "
                "implemented."
            )
        return call(*args, **kwargs)


def _listed(shape: Any) -> Any:
    """Shapes as JSON writes them (lists), nested structures kept."""
    if isinstance(shape, dict):
        return {key: _listed(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [_listed(d) for d in shape]
    return shape


def _recording_build(build: Callable) -> Callable:
    """``build`` recording its arguments for ``get_build_config``, as Keras' build wrapper
    does; in a ``super().build(...)`` chain the outermost (the class' own) call records last."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def recording_build(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = build(self, *args, **kwargs)  # Layer wraps this in the layer's name scope
        arguments = signature.bind(self, *args, **kwargs).arguments
        arguments.pop(next(iter(signature.parameters)))  # self
        self._build_shapes_dict = dict(arguments)
        self.built = True  # as Keras' wrapper: a direct ``layer.build(shape)`` builds it
        return result

    recording_build._records_shapes = True
    return recording_build


def _with_remat_activation(layer: Any, layer_call: Callable) -> Callable:
    @functools.wraps(layer_call)
    def call(*args: Any, **kwargs: Any) -> Any:
        original = layer.activation
        layer.activation = remat_lib.remat(original)
        try:
            return layer_call(*args, **kwargs)
        finally:
            layer.activation = original

    return call


def _output_size(layer: Any, args: tuple, kwargs: dict) -> int:
    """Elements in the output spec of a call on ``args`` (unknown dims count as 1)."""
    from kerasish import backend
    from kerasish.graph.keras_tensor import KerasTensor

    def spec(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return KerasTensor(tuple(x.shape), backend.standardize_dtype(x.dtype))
        return x

    outputs = layer.compute_output_spec(*tree.map_structure(spec, args), **kwargs)
    return sum(
        int(np.prod([d or 1 for d in x.shape])) if isinstance(x, KerasTensor) else 0
        for x in tree.flatten(outputs)
    )
