"""TorchModuleWrapper: any ``torch.nn.Module`` as a Keras layer (Keras 3's class).

Every kerasish layer already is a torch module, so wrapping is mostly bookkeeping: the module
becomes a submodule (its ``state_dict`` keys read ``<layer name>.module.<key>`` in a model), its
parameters become the layer's weights, and symbolic calls get their output shape from the usual
meta-device inference, so unlike Keras 3 no ``output_shape`` is needed.

What follows Keras 3 exactly:

* weights (``get_weights``/``set_weights``, ``count_params``, ``summary``) are the module's
  parameters only, those that required grad when wrapped first, then the frozen ones. Buffers
  (BatchNorm running statistics) are not weights; they are still saved in ``.weights.h5`` and
  ``.keras`` files, after the parameters, so a reloaded layer predicts the same.
* ``get_config`` stores the whole module pickled by ``torch.save`` (base64), and ``from_config``
  refuses to unpickle it unless safe mode is off (``safe_mode=False`` or
  ``keras.config.enable_unsafe_deserialization()``): unpickling runs arbitrary code.
* the module moves to the configured device (``kerasish.config.device()``) when wrapped;
  uninitialized lazy modules are refused.

Where kerasish differs: ``training=None`` leaves the module in the mode it is in (it follows
``model.train()``/``model.eval()``, and layers start in inference mode), where Keras 3 switches
the module to train mode for every call that does not pass ``training=False``.
"""

from __future__ import annotations

import base64
import io
from typing import Any, Optional

import torch

from kerasish import devices
from kerasish.layers.base import Layer, specs_from_shapes
from kerasish.variables import Variable

_UNSAFE_MESSAGE = (
    "Requested the deserialization of a `torch.nn.Module` object via `torch.load()`. This "
    "carries a potential risk of arbitrary code execution and thus it is disallowed by default. "
    "If you trust the source of the artifact, you can override this error by passing "
    "`safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()."
)


class TorchModuleWrapper(Layer):
    def __init__(
        self,
        module: torch.nn.Module,
        name: Optional[str] = None,
        output_shape: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"TorchModuleWrapper '{self.name}' expects a `torch.nn.Module` instance. "
                f"Received: module={module!r} of type {type(module).__name__}"
            )
        lazy = torch.nn.modules.lazy.LazyModuleMixin
        if isinstance(module, lazy) and module.has_uninitialized_params():
            raise ValueError(
                "LazyModules are not supported unless they are already initialized. "
                f"Received uninitialized LazyModule: module={module}"
            )
        self.module = module.to(devices.current())
        self.module.train(self.training)
        self._frozen_when_wrapped = {
            param_name for param_name, p in module.named_parameters() if not p.requires_grad
        }
        self._declared_output_shape = _as_shape(output_shape)
        if not self._trainable:
            self.trainable = False
        self.built = True

    # ---------------------------------------------------------------- weights

    def _own_variables(self) -> list[Variable]:
        """Parameters, then the persistent buffers (saved in files, but not weights)."""
        variables = []
        for param_name, _ in self.module.named_parameters():
            owner, attr = _resolve(self.module, param_name)
            trainable = param_name not in self._frozen_when_wrapped
            variables.append(
                Variable(owner, attr, param_name, trainable=trainable, layer_name=self.name)
            )
        persistent = set(self.module.state_dict(keep_vars=True))
        for buffer_name, _ in self.module.named_buffers():
            if buffer_name not in persistent:
                continue
            owner, attr = _resolve(self.module, buffer_name)
            state = Variable(owner, attr, buffer_name, trainable=False, layer_name=self.name)
            state._module_state = True
            variables.append(state)
        return variables

    @property
    def weights(self) -> list[Variable]:
        return [v for v in super().weights if not getattr(v, "_module_state", False)]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [
            v for v in super().non_trainable_weights if not getattr(v, "_module_state", False)
        ]

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        # As Keras: only the parameters that were trainable when wrapped follow the flag.
        self._trainable = bool(value)
        for param_name, param in self.module.named_parameters():
            if param_name not in self._frozen_when_wrapped:
                param.requires_grad_(self._trainable)

    def save_own_variables(self, store: Any) -> None:
        """Keras 3's per-layer store: the module's ``state_dict``, keyed by its own keys."""
        for key, value in self.module.state_dict().items():
            store[key] = value.detach().cpu().numpy()

    def load_own_variables(self, store: Any) -> None:
        state = {}
        for key in store.keys():
            name = key.decode() if isinstance(key, bytes) else key
            state[name] = torch.as_tensor(store[key][()])
        self.module.load_state_dict(state)

    # ---------------------------------------------------------------- calling

    def call(self, *args: Any, training: Optional[bool] = None, **kwargs: Any) -> Any:
        module = self.module
        if training is None or bool(training) == module.training:
            return module(*args, **kwargs)
        module.train(bool(training))
        try:
            return module(*args, **kwargs)
        finally:
            module.train(not training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._declared_output_shape is not None:
            return self._declared_output_shape
        return super().compute_output_shape(input_shape)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._declared_output_shape is not None:
            return specs_from_shapes(self._declared_output_shape, self.compute_dtype)
        try:
            return self._meta_output_spec(args, kwargs)
        except ValueError as err:
            raise ValueError(
                f"{err} For a TorchModuleWrapper, pass `output_shape=` (the batch dimension "
                "included) instead."
            ) from err

    # ----------------------------------------------------------------- config

    def get_config(self) -> dict:
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        return {
            **super().get_config(),
            "module": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "output_shape": self._declared_output_shape,
        }

    @classmethod
    def from_config(
        cls, config: dict, custom_objects: Optional[dict] = None, safe_mode: Optional[bool] = None
    ) -> TorchModuleWrapper:
        from kerasish.saving.serialization import in_safe_mode

        config = dict(config)
        if isinstance(config.get("module"), str):
            effective = safe_mode if safe_mode is not None else in_safe_mode()
            if effective is not False:
                raise ValueError(_UNSAFE_MESSAGE)
            raw = base64.b64decode(config["module"].encode("ascii"))
            config["module"] = torch.load(
                io.BytesIO(raw), weights_only=False, map_location=devices.current()
            )
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def _resolve(module: torch.nn.Module, dotted: str) -> tuple[torch.nn.Module, str]:
    prefix, _, attr = dotted.rpartition(".")
    return (module.get_submodule(prefix) if prefix else module), attr


def _as_shape(shape: Any) -> Any:
    """Configs bring lists back from JSON; shapes are tuples (a list of shapes stays a list)."""
    if shape is None:
        return None
    if all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return [_as_shape(s) for s in shape]
