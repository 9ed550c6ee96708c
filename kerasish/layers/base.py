"""Layer: a Keras layer that is also a ``torch.nn.Module``.

Calling a layer does one of two things, decided by what it is called on:

* on KerasTensors (symbolic), it builds itself if needed, works out the output spec, records a
  ``Node`` and returns new KerasTensors. Output specs come from ``compute_output_shape`` when the
  layer defines one; otherwise ``call`` is run on ``meta``-device tensors (no data, no compute),
  twice with different sizes for the unknown dimensions, and the dimensions that changed become
  ``None``. User-written layers therefore need no shape code.
* on torch tensors or numpy arrays (eager), it builds itself if needed and runs the ordinary
  ``nn.Module.__call__`` -> ``forward`` -> ``call``.

Keras' ``training=None`` means "inference unless told otherwise"; torch's equivalent is the
module's ``training`` flag. Layers start in eval mode so that ``model(x)`` is inference as in
Keras; ``fit`` switches to train mode, and a torch user's own loop calls ``model.train()`` as
usual. An explicit ``training=`` argument always wins.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import torch
from torch.func import functional_call

from kerasish import backend, devices, initializers, regularizers
from kerasish import rematerialization as remat_lib
from kerasish.graph.keras_tensor import KerasHistory, KerasTensor
from kerasish.graph.node import Node
from kerasish.layers.input_spec import assert_input_compatibility
from kerasish.layers.layer_metrics import LayerMetricsMixin
from kerasish.layers.layer_state import LayerStateMixin
from kerasish.mixed_precision import autocast as autocast_lib
from kerasish.mixed_precision import policy as policy_lib
from kerasish.saving import layouts, registry
from kerasish.utils import tree
from kerasish.variables import Variable, current_path, layer_scope, weight_path

# Two sizes substituted for unknown dimensions during meta-device shape inference. Meta tensors
# hold no data, so generous sizes cost nothing and keep strided or large kernels valid.
_PROBE_SIZES = (64, 96)

# Constructor keywords every Keras layer accepts (Keras 2 spellings included).
_BASE_KWARGS = {
    "input_shape",
    "batch_input_shape",
    "batch_size",
    "input_dim",
    "weights",
    "activity_regularizer",
    "autocast",
}


class _CallState(threading.local):
    """Whether a layer call is under way in this thread (depth 0: the next call is top-level)."""

    depth = 0


_CALL_STATE = _CallState()
# Set once any layer has recorded a call loss; until then top-level calls skip the clearing walk.
_LOSSES_RECORDED = [False]


def call_as_top_level(layer: Layer, args: tuple, kwargs: dict) -> Any:
    """Run ``layer(*args, **kwargs)`` as a top-level call.

    Keras keeps the losses added during a layer's latest top-level call (``add_loss``, activity
    regularizers) and clears them when the next one starts. Nested calls see ``depth == 1`` and
    pay one attribute check; only the outermost call pays for the bookkeeping.
    """
    state = _CALL_STATE
    state.depth = 1
    try:
        if _LOSSES_RECORDED[0]:
            layer._clear_losses()
        if layer._casts_direct_inputs and args and layer.autocast:
            args = autocast_lib.cast_direct_inputs(layer, args)
        return type(layer).__call__(layer, *args, **kwargs)
    finally:
        state.depth = 0


def is_shape(value: Any) -> bool:
    """True for one shape tuple (ints and Nones), False for a structure of shapes."""
    if isinstance(value, torch.Size):
        return True
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in value
    )


def _shape_structure(value: Any) -> Any:
    """Shapes of a structure of tensors (KerasTensor, torch or numpy), same structure."""
    return tree.map_structure(
        lambda x: tuple(x.shape) if hasattr(x, "shape") else None, value
    )


class Layer(LayerStateMixin, LayerMetricsMixin, torch.nn.Module):
    """Base class of every kerasish layer and model."""

    _call_accepts_training = False
    _call_accepts_mask = False
    _fast_kwargs: frozenset = frozenset()
    # A layer called directly on tensors casts their floats to its compute dtype, as Keras'
    # layers do; models take their input dtypes from their Input layers instead.
    _casts_direct_inputs = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        params = inspect.signature(cls.call).parameters
        cls._call_accepts_training = "training" in params
        cls._call_accepts_mask = "mask" in params
        cls._fast_kwargs = frozenset(
            name for name in ("training", "mask") if name in params
        )
        registry.register_builtin(cls.__name__, cls)
        if "build" in cls.__dict__:
            cls.build = _scoped_build(cls.__dict__["build"])

    def __init__(
        self,
        trainable: bool = True,
        name: Optional[str] = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - _BASE_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {key: kwargs[key] for key in sorted(unknown)} }"
            )
        super().__init__()
        self.training = False
        self._name = name or backend.unique_object_name(self._default_name())
        # The dtype policy's name ("float32", "mixed_bfloat16"...); None: the global policy.
        self._dtype = policy_lib.policy_name(dtype)
        self.autocast = bool(kwargs.get("autocast", True))
        self._casts_inputs = False  # set by a graph call on inputs of another float dtype
        self._trainable = bool(trainable)
        self.built = False
        remat_mode = remat_lib.current_remat_mode()
        if remat_mode is not None:  # Keras: a layer keeps the RematScope of its creation
            self._remat_mode = remat_mode
        self._inbound_nodes: list[Node] = []
        self._outbound_nodes: list[Node] = []
        self._keras_variables: list[Variable] = []
        self._initial_weights = kwargs.get("weights")
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        self._call_losses: list[torch.Tensor] = []
        self._batch_input_shape = self._batch_input_shape_from(kwargs)

    @classmethod
    def _default_name(cls) -> str:
        return backend.to_snake_case(cls.__name__)

    @staticmethod
    def _batch_input_shape_from(kwargs: dict) -> Optional[tuple]:
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        if kwargs.get("input_shape") is not None:
            return (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        if kwargs.get("input_dim") is not None:
            return (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        return None

    # ----------------------------------------------------------------- identity

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def path(self) -> Optional[str]:
        """Keras 3: the name scopes open when the layer was built (``None`` before)."""
        return self.__dict__.get("_path")

    @property
    def dtype(self) -> str:
        """Keras: an alias of ``variable_dtype`` (float32 under a mixed policy)."""
        return policy_lib.variable_dtype_of(self._dtype)

    @property
    def compute_dtype(self) -> str:
        return policy_lib.compute_dtype_of(self._dtype)

    @property
    def variable_dtype(self) -> str:
        return policy_lib.variable_dtype_of(self._dtype)

    @property
    def dtype_policy(self) -> policy_lib.DTypePolicy:
        return policy_lib.DTypePolicy(self._dtype)

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        self._dtype = policy_lib.policy_name(value)

    # ------------------------------------------------------------------ calling

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not _CALL_STATE.depth:
            return call_as_top_level(self, args, kwargs)
        if args and self.built and kwargs.keys() <= self._fast_kwargs:
            first = args[0]
            if type(first) is torch.Tensor or (
                type(first) in (list, tuple) and first and type(first[0]) is torch.Tensor
            ):
                return torch.nn.Module.__call__(self, *args, **kwargs)
        if any(isinstance(x, KerasTensor) for x in tree.flatten((args, kwargs))):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._casts_inputs or (policy_lib.MIXED_IN_USE[0] and autocast_lib.applies(self)):
            outputs = autocast_lib.call_with_policy(self, args, kwargs)
        elif self._remat_mode is not None:
            outputs = self.rematerialized_call(self.call, *args, **kwargs)(*args, **kwargs)
        else:
            outputs = self.call(*args, **kwargs)
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        return outputs

    def _add_activity_losses(self, outputs: Any) -> None:
        """Keras 3: the regularizer of each output, divided by that output's batch size."""
        for output in tree.flatten(outputs):
            if isinstance(output, torch.Tensor):
                loss = self.activity_regularizer(output)
                if output.ndim > 0:
                    loss = loss / max(output.shape[0], 1)  # an empty batch's penalty is 0
                self.add_loss(loss)

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def _eager_call(self, args: tuple, kwargs: dict) -> Any:
        if not self._call_accepts_training:
            kwargs.pop("training", None)
        if not self._call_accepts_mask:
            kwargs.pop("mask", None)
        args = tree.map_structure(self._to_tensor, args)
        if self.built:
            return torch.nn.Module.__call__(self, *args, **kwargs)
        # The first call runs in the layer's name scope: sublayers built lazily in ``call``
        # get its path as prefix, as in Keras.
        with layer_scope(self):
            first = args[0] if args else kwargs.get("inputs")
            self._check_input_spec(first)
            self._maybe_build(_shape_structure(first))
            self._move_weights_to(first)
            return torch.nn.Module.__call__(self, *args, **kwargs)

    def _to_tensor(self, value: Any) -> Any:
        if isinstance(value, np.ndarray) or isinstance(value, np.generic):
            tensor = torch.from_numpy(np.asarray(value))
            if tensor.is_floating_point():
                tensor = tensor.to(backend.torch_dtype(self.compute_dtype))
            # Arrays go where the weights are (or will be created).
            weight = next(iter(self.parameters()), None)
            return tensor.to(devices.current() if weight is None else weight.device)
        return value

    def _move_weights_to(self, first_input: Any) -> None:
        tensors = [x for x in tree.flatten(first_input) if isinstance(x, torch.Tensor)]
        if not tensors:
            return
        device = tensors[0].device
        if device.type == "meta":
            return
        for p in self.parameters():
            if p.device != device:
                self.to(device)
                return

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        if not self._call_accepts_training:
            kwargs.pop("training", None)
        if args:
            inputs = args[0]
        elif "inputs" in kwargs:
            inputs = kwargs["inputs"]
        else:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        input_masks = self._incoming_masks(inputs, kwargs.get("mask"))
        mask_from_framework = False
        if self._call_accepts_mask and kwargs.get("mask") is None and input_masks is not None:
            kwargs["mask"] = input_masks
            mask_from_framework = True
        self._check_input_spec(inputs)
        autocast_lib.note_symbolic_inputs(self, args, kwargs)
        with layer_scope(self):
            self._maybe_build(_shape_structure(inputs))
            outputs = self.compute_output_spec(*args, **kwargs)
        flat_outputs = tree.flatten(outputs)
        for i, tensor in enumerate(flat_outputs):
            tensor.name = self.name if len(flat_outputs) == 1 else f"{self.name}_{i}"
        node = Node(self, args, kwargs, outputs, input_masks=input_masks)
        node.mask_from_framework = mask_from_framework
        self._attach_output_masks(node, inputs, input_masks)
        return outputs

    def _incoming_masks(self, inputs: Any, explicit: Any) -> Any:
        """The masks this call sees: the explicit ``mask=`` or those carried by the inputs."""
        if explicit is not None:
            return explicit
        if not (
            self.supports_masking
            or self._call_accepts_mask
            or type(self).compute_mask is not Layer.compute_mask
        ):
            return None
        masks = [getattr(x, "_keras_mask", None) for x in tree.flatten(inputs)]
        if all(m is None for m in masks):
            return None
        return tree.pack_sequence_as(inputs, masks)

    def _check_input_spec(self, inputs: Any) -> None:
        if self.input_spec is None:
            return
        shapes = [tuple(x.shape) if hasattr(x, "shape") else None for x in tree.flatten(inputs)]
        assert_input_compatibility(self.input_spec, shapes, self.name)

    # ------------------------------------------------------------------ masking

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.supports_masking:
            return None
        return mask

    def _attach_output_masks(self, node: Node, inputs: Any, mask: Any) -> None:
        overrides = type(self).compute_mask is not Layer.compute_mask
        if not overrides:
            if mask is None or not self.supports_masking:
                return
            flat_masks = [m for m in tree.flatten(mask) if m is not None]
            if len(flat_masks) == 1:  # pass the incoming mask through unchanged
                for i, tensor in enumerate(node.flat_outputs):
                    tensor._keras_mask = flat_masks[0]
                    node.output_masks[i] = flat_masks[0]
                return
        meta_inputs = tree.map_structure(lambda x: _meta_like(x, _PROBE_SIZES[0]), inputs)
        meta_mask = tree.map_structure(
            lambda x: _meta_like(x, _PROBE_SIZES[0]) if isinstance(x, KerasTensor) else x, mask
        )
        with torch.no_grad():
            computed = self.compute_mask(meta_inputs, meta_mask)
        flat_computed = tree.flatten(computed)
        if len(node.flat_outputs) > 1 and len(flat_computed) == 1:
            flat_computed = flat_computed + [None] * (len(node.flat_outputs) - 1)
        node_index = len(self._inbound_nodes) - 1
        for i, (tensor, value) in enumerate(zip(node.flat_outputs, flat_computed)):
            if value is None:
                continue
            shape = tuple(
                None if t is None else d for t, d in zip(_pad(tensor.shape, value.ndim), value.shape)
            )
            mask_tensor = KerasTensor(
                shape, backend.standardize_dtype(value.dtype), name=f"{self.name}_mask"
            )
            mask_tensor._keras_history = KerasHistory(self, node_index, i)
            tensor._keras_mask = mask_tensor
            node.output_masks[i] = mask_tensor
            node.computes_masks = True

    # ------------------------------------------------------------------- build

    def build(self, input_shape: Any) -> None:
        self.built = True

    def _maybe_build(self, input_shape: Any) -> None:
        if self.built:
            return
        with layer_scope(self):
            self.__dict__["_path"] = current_path()
            self.build(input_shape)
        self.built = True
        if self._initial_weights is not None:
            initial, self._initial_weights = self._initial_weights, None
            self.set_weights(initial)

    # ------------------------------------------------------------ output specs

    def compute_output_shape(self, input_shape: Any) -> Any:
        inputs = specs_from_shapes(input_shape, self.compute_dtype)
        spec = self._meta_output_spec((inputs,), {})
        return tree.map_structure(lambda t: t.shape, spec)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            inputs = args[0] if args else kwargs["inputs"]
            shapes = self.compute_output_shape(_shape_structure(inputs))
            dtype = self.compute_dtype
            return specs_from_shapes(shapes, dtype)
        return self._meta_output_spec(args, kwargs)

    def _meta_output_spec(self, args: tuple, kwargs: dict) -> Any:
        kwargs = dict(kwargs)
        if self._call_accepts_training:
            kwargs["training"] = False
        has_unknown = any(
            d is None
            for x in tree.flatten((args, kwargs))
            if isinstance(x, KerasTensor)
            for d in x.shape
        )
        runs = [self._run_on_meta(args, kwargs, size) for size in _PROBE_SIZES[: 1 + has_unknown]]
        flat_runs = [tree.flatten(run) for run in runs]
        specs = []
        for values in zip(*flat_runs):
            first = values[0]
            if not isinstance(first, torch.Tensor):
                specs.append(first)
                continue
            shape = tuple(
                d if all(v.shape[i] == d for v in values) else None
                for i, d in enumerate(first.shape)
            )
            specs.append(KerasTensor(shape, backend.standardize_dtype(first.dtype)))
        return tree.pack_sequence_as(runs[0], specs)

    def _run_on_meta(self, args: tuple, kwargs: dict, size: int) -> Any:
        meta_args = tree.map_structure(lambda x: _meta_like(x, size), args)
        meta_kwargs = tree.map_structure(lambda x: _meta_like(x, size), kwargs)
        state = {
            name: value.to("meta")
            for name, value in list(self.named_parameters()) + list(self.named_buffers())
        }
        from kerasish.ops.core import set_device_hint

        # Tensors the call creates from nothing (``keras.random.normal(shape)``) go to meta too.
        previous = set_device_hint(torch.device("meta"))
        try:
            with torch.no_grad():
                return functional_call(self, state, meta_args, meta_kwargs, strict=False)
        except Exception as err:
            raise ValueError(
                f"Could not infer the output shape of layer '{self.name}' "
                f"({type(self).__name__}) by running its call() on meta tensors: "
                f"{type(err).__name__}: {err}. Define compute_output_shape(input_shape) on the "
                "layer to give its output shape directly."
            ) from err
        finally:
            set_device_hint(previous)

    # ----------------------------------------------------------------- weights

    def add_weight(
        self,
        name: Any = None,
        shape: Optional[Sequence[int]] = None,
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: Optional[bool] = None,
        constraint: Any = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        """Create a weight from its Keras-layout shape and return the stored torch tensor.

        Accepts both argument orders in use: tf.keras' ``add_weight(name, shape, ...)`` and
        Keras 3's ``add_weight(shape, initializer, ...)``.
        """
        if name is not None and not isinstance(name, str):
            name, shape = None, name
        name = name or "variable"
        shape = tuple(int(d) for d in (shape or ()))
        dtype = backend.standardize_dtype(dtype or self.variable_dtype)
        trainable = True if trainable is None else bool(trainable)
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        # Weights are state, never inference tensors, even if first built under predict().
        with torch.inference_mode(False):
            value = initializers.get(initializer)(shape, dtype)
            value = torch.as_tensor(value, dtype=backend.torch_dtype(dtype)).reshape(shape)
            layout = layouts.lookup(type(self), name)
            if layout:
                value = layout.to_torch(value)
            value = value.contiguous().clone() if value.is_inference() else value.contiguous()
            value = value.to(devices.current())  # initialized on the CPU: same values anywhere
        attr = self._free_attribute(layout.torch_name if layout else _attr_name(name))
        if trainable:
            self.register_parameter(
                attr, torch.nn.Parameter(value, requires_grad=self._trainable)
            )
        else:
            self.register_buffer(attr, value)
        from kerasish.saving.keras3_weights import rnn_cell_name

        path = weight_path(self, name, rnn_cell_name(self))
        self._keras_variables.append(
            Variable(self, attr, name, layout, trainable, regularizer, constraint, path=path)
        )
        return getattr(self, attr)

    def _free_attribute(self, attr: str) -> str:
        candidate, i = attr, 0
        # A class attribute (a property such as Normalization.mean) must not be shadowed.
        while candidate in self._parameters or candidate in self._buffers or (
            candidate in self.__dict__ or hasattr(type(self), candidate)
        ):
            i += 1
            candidate = f"{attr}_{i}"
        return candidate

    def __setattr__(self, name: str, value: Any) -> None:
        if not isinstance(value, (torch.Tensor, torch.nn.Module)):
            # A plain value that replaces no parameter, buffer or sublayer: what nn.Module's
            # checks would end in, without them (a layer sets dozens of these when built).
            state = self.__dict__
            parameters, buffers = state.get("_parameters"), state.get("_buffers")
            modules = state.get("_modules")
            if not (
                (parameters and name in parameters)
                or (buffers and name in buffers)
                or (modules and name in modules)
            ):
                object.__setattr__(self, name, value)
                return
        # ``self.w = self.add_weight(...)``: keep one registration, under the attribute name.
        if isinstance(value, torch.Tensor) and "_keras_variables" in self.__dict__:
            for variable in self._keras_variables:
                registered = variable._attr
                if registered == name:
                    break
                store = self._parameters if registered in self._parameters else self._buffers
                if store.get(registered) is value:
                    del store[registered]
                    variable._attr = name
                    if store is self._buffers:
                        self.register_buffer(name, value)
                        return
                    break
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        # nn.Module's lookup, inlined: parameters and sublayers are read on every call.
        state = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            values = state.get(store)
            if values is not None and name in values:
                return values[name]
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):
            prop.fget(self)  # re-raise the property's own, more helpful AttributeError
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _tracked_layers(self) -> list[Layer]:
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    def _own_variables(self) -> list[Variable]:
        variables = list(self._keras_variables)
        # Parameters of plain torch submodules (a custom layer holding an nn.Linear) count too.
        for module_name, module in self._modules.items():
            if module is None or isinstance(module, Layer):
                continue
            for param_name, _ in module.named_parameters():
                owner, attr = _resolve(module, param_name)
                variables.append(
                    Variable(owner, attr, f"{module_name}.{param_name}", layer_name=self.name)
                )
        return variables

    @property
    def weights(self) -> list[Variable]:
        own = self._own_variables()
        ordered = [v for v in own if v._created_trainable] + [
            v for v in own if not v._created_trainable
        ]
        for layer in self._tracked_layers():
            ordered.extend(layer.weights)
        return _dedup(ordered)

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        own = [v for v in self._own_variables() if v.trainable]
        for layer in self._tracked_layers():
            own.extend(layer.trainable_weights)
        return _dedup(own)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        own = [v for v in self._own_variables() if not v.trainable]
        for layer in self._tracked_layers():
            own.extend(layer.non_trainable_weights)
        return _dedup(own)

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for variable in self._keras_variables:
            tensor = variable.tensor
            if isinstance(tensor, torch.nn.Parameter):
                tensor.requires_grad_(value and variable._created_trainable)
        for module in self._modules.values():
            if isinstance(module, Layer):
                module.trainable = value
            elif module is not None:
                module.requires_grad_(value)

    def get_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: Iterable[Any]) -> None:
        weights = list(weights)
        variables = self.weights
        if len(weights) != len(variables):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list "
                f"of length {len(weights)}, but the layer was expecting {len(variables)} "
                f"weights."
            )
        arrays = []
        for variable, value in zip(variables, weights):
            array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
            if tuple(array.shape) != variable.shape:
                raise ValueError(
                    f"Layer {self.name} weight shape {variable.shape} is not compatible with "
                    f"provided weight shape {tuple(array.shape)} (weight '{variable.path}')."
                )
            arrays.append(array)
        for variable, array in zip(variables, arrays):
            variable.assign(array)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer "
                "isn't built. You can build it manually via: "
                f"`{self.name}.build(batch_input_shape)`."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def add_loss(self, loss: Any) -> None:
        """Record loss tensor(s) computed in ``call`` (or ``build``); see ``losses``.

        Losses on ``meta`` tensors come from shape inference, not from a real call, and are
        dropped.
        """
        for value in tree.flatten(loss):
            if not isinstance(value, torch.Tensor):
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or `call()`, on a "
                    f"tensor input. Received invalid value: {value}"
                )
            if value.device.type == "meta":
                continue
            self._call_losses.append(value)
            _LOSSES_RECORDED[0] = True

    def _clear_losses(self) -> None:
        for module in self.modules():
            losses = module.__dict__.get("_call_losses")
            if losses:
                losses.clear()

    def _collected_call_losses(self) -> list[torch.Tensor]:
        """Losses added during the latest top-level call, by this layer and its sublayers."""
        if not _LOSSES_RECORDED[0]:
            return []
        collected: list[torch.Tensor] = []
        for module in self.modules():
            collected.extend(module.__dict__.get("_call_losses", ()))
        return collected

    @property
    def losses(self) -> list[torch.Tensor]:
        """Keras' ``layer.losses``: the losses added during the latest top-level call (``add_loss``
        and activity regularizers, this layer's and its sublayers'), then the weight
        regularization penalties, computed now.
        """
        penalties = self._collected_call_losses()
        for variable in self.weights:
            if variable.regularizer is not None and variable.trainable:
                penalties.append(variable.regularizer(variable.value))
        return penalties

    # ------------------------------------------------------- node attributes

    def _node_attribute(self, node_index: int, attr: str, attr_name: str) -> Any:
        if not self._inbound_nodes:
            raise RuntimeError(
                f"The layer {self.name} has never been called and thus has no defined "
                f"{attr_name}."
            )
        if not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(
                f"Asked to get {attr_name} at node {node_index}, but the layer has only "
                f"{len(self._inbound_nodes)} inbound nodes."
            )
        return getattr(self._inbound_nodes[node_index], attr)

    def get_input_at(self, node_index: int) -> Any:
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index: int) -> Any:
        return self._node_attribute(node_index, "outputs", "output")

    def get_input_shape_at(self, node_index: int) -> Any:
        return self._node_attribute(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index: int) -> Any:
        return self._node_attribute(node_index, "output_shapes", "output shape")

    def _single_node_attribute(self, attr: str, what: str, accessor: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return.")
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f"Layer {self.name} has multiple inbound nodes, hence the notion of "
                f'"layer {what}" is ill-defined. Use `{accessor}(node_index)` instead.'
            )
        return getattr(self._inbound_nodes[0], attr)

    @property
    def input(self) -> Any:
        return self._single_node_attribute("input_tensors", "input", "get_input_at")

    @property
    def output(self) -> Any:
        return self._single_node_attribute("outputs", "output", "get_output_at")

    def _agreed_shape(self, attr: str, what: str, accessor: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(
                f'The layer "{self.name}" has never been called and thus has no defined '
                f"{what}."
            )
        shapes = [getattr(node, attr) for node in self._inbound_nodes]
        if any(shape != shapes[0] for shape in shapes[1:]):
            raise AttributeError(
                f'The layer "{self.name}" has multiple inbound nodes, with different '
                f'{what}s. Hence the notion of "{what}" is ill-defined for the layer. '
                f"Use `{accessor}(node_index)` instead."
            )
        return shapes[0]

    @property
    def input_shape(self) -> Any:
        return self._agreed_shape("input_shapes", "input shape", "get_input_shape_at")

    @property
    def output_shape(self) -> Any:
        return self._agreed_shape("output_shapes", "output shape", "get_output_shape_at")

    @property
    def inbound_nodes(self) -> list[Node]:
        return self._inbound_nodes

    @property
    def outbound_nodes(self) -> list[Node]:
        return self._outbound_nodes

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        config: dict = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": policy_lib.serialize(self._dtype),
        }
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config:
            extra = _required_init_args(type(self))
            if extra:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has arguments {extra} in `__init__()` and "
                    "therefore must override `get_config()`."
                )
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


# ---------------------------------------------------------------- helpers


def _scoped_build(build: Any) -> Any:
    """Keras 3 wraps every ``build`` in the layer's name scope (a layer built directly, or
    inside its parent's ``build``, still gets its path); a ``super().build`` reuses the scope."""

    @functools.wraps(build)
    def scoped(self: Layer, *args: Any, **kwargs: Any) -> Any:
        with layer_scope(self):
            self.__dict__["_path"] = current_path()
            return build(self, *args, **kwargs)

    return scoped


def _meta_like(x: Any, size: int) -> Any:
    if isinstance(x, KerasTensor):
        shape = [size if d is None else d for d in x.shape]
        return torch.empty(shape, dtype=backend.torch_dtype(x.dtype), device="meta")
    return x


def _pad(shape: tuple, ndim: int) -> tuple:
    return tuple(shape[:ndim]) + (None,) * max(0, ndim - len(shape))


def specs_from_shapes(shapes: Any, dtype: str) -> Any:
    """KerasTensors for a shape tuple or a (nested) list/dict of shape tuples."""
    if is_shape(shapes):
        return KerasTensor(shapes, dtype)
    if isinstance(shapes, dict):
        return {key: specs_from_shapes(value, dtype) for key, value in shapes.items()}
    return type(shapes)(specs_from_shapes(s, dtype) for s in shapes)


def _attr_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"w_{cleaned}"


def _resolve(module: torch.nn.Module, dotted: str) -> tuple[torch.nn.Module, str]:
    *path, attr = dotted.split(".")
    for part in path:
        module = getattr(module, part)
    return module, attr


def _dedup(variables: list[Variable]) -> list[Variable]:
    seen, out = set(), []
    for variable in variables:
        key = id(variable.tensor)
        if key not in seen:
            seen.add(key)
            out.append(variable)
    return out


def _required_init_args(cls: type) -> list[str]:
    params = inspect.signature(cls.__init__).parameters
    return [
        name
        for name, p in params.items()
        if name != "self"
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.default is p.empty
    ]
