"""Keras 3's model-level state API, mixed into ``Model``: the compile config ``.keras`` files
store (``get_compile_config``/``compile_from_config``), the ``jit_compile``/``run_eagerly``
switches, the one-step functions of Keras' torch trainer (``make_train_function``...), and the model's
variables as a nested dict (``get_state_tree``/``set_state_tree``).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

import numpy as np
import torch


class ModelStateMixin:
    train_function: Optional[Callable] = None
    test_function: Optional[Callable] = None
    predict_function: Optional[Callable] = None
    _run_eagerly = False

    # ---------------------------------------------------------------- compile

    def get_compile_config(self) -> dict:
        """What ``.keras`` files store as ``compile_config`` (``{}`` before ``compile``)."""
        from kerasish.saving import compile_state

        return compile_state.keras3_compile_config(self) or {}

    def compile_from_config(self, config: dict) -> None:
        """Compile from a ``get_compile_config()`` dict, as ``load_model`` does. A model whose
        class overrides ``compile`` is left uncompiled, with Keras' warning."""
        from kerasish.saving import compile_state
        from kerasish.training.trainer import Trainer

        if type(self).compile is not Trainer.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's "
                "`compile()` method is custom. All subclassed Models that have `compile()` "
                "overridden should also override `get_compile_config()` and "
                "`compile_from_config(config)`. Alternatively, you can call `compile()` "
                "manually after loading.",
                stacklevel=2,
            )
            return
        compile_state.compile_from_config(self, config)

    @property
    def jit_compile(self) -> bool:
        """Whether training steps run through ``torch.compile`` (Keras on torch: ``"auto"``
        means eager, so False unless set)."""
        return bool(self._jit_compile)

    @jit_compile.setter
    def jit_compile(self, value: Any) -> None:
        from kerasish.training.trainer import _COMPILED_FUNCTIONS

        self._jit_compile = value is True
        for compiled in _COMPILED_FUNCTIONS:
            self.__dict__.pop(compiled, None)

    @property
    def run_eagerly(self) -> bool:
        """Recorded as Keras does; kerasish always runs steps eagerly (or compiled with
        ``jit_compile``), so it changes nothing."""
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = value

    # ---------------------------------------------------------- step functions

    def make_train_function(self, force: bool = False) -> Callable:
        """Keras 3.15 on torch: ``train_function(data)`` runs one ``train_step`` on ``data[0]``
        (an ``(x, y, sample_weight)`` batch) and returns its logs. Also returned here (Keras
        returns None when it makes the function)."""
        if self.train_function is None or force:

            def train_function(data: Any) -> dict:
                was_training = self.training
                self.train(True)
                try:
                    return self.train_step(data[0])
                finally:
                    self.train(was_training)

            self.train_function = train_function
        return self.train_function

    def make_test_function(self, force: bool = False) -> Callable:
        """``test_function(data)``: one ``test_step`` on ``data[0]``, without autograd."""
        if self.test_function is None or force:

            def test_function(data: Any) -> dict:
                with torch.no_grad():
                    return self.test_step(data[0])

            self.test_function = test_function
        return self.test_function

    def make_predict_function(self, force: bool = False) -> Callable:
        """``predict_function(data)``: one ``predict_step`` on ``data[0]``, without autograd."""
        if self.predict_function is None or force:

            def predict_function(data: Any) -> Any:
                with torch.no_grad():
                    return self.predict_step(data[0])

            self.predict_function = predict_function
        return self.predict_function

    def stateless_compute_loss(self, *args: Any, **kwargs: Any) -> Any:
        """JAX-style functional loss over given metric states: kerasish metrics keep their
        state outside ``Variable``s, so this is not implemented."""
        raise NotImplementedError(
            "Model.stateless_compute_loss is not implemented in kerasish; use "
            "compute_loss() (or stateless_call() for the forward pass)."
        )

    def get_quantization_layer_structure(self, mode: Optional[str] = None) -> Optional[dict]:
        """Keras 3: the topology structure-aware quantization (GPTQ) needs; ``None`` unless a
        model overrides it (kerasish implements no such mode)."""
        del mode
        return None

    # ------------------------------------------------------------- state tree

    def get_state_tree(self, value_format: str = "backend_tensor") -> dict:
        """Keras 3: ``{"trainable_variables", "non_trainable_variables",
        "optimizer_variables", "metrics_variables"}``, each nested by variable path."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(
                "Invalid `value_format` argument. Expected one of "
                "{'numpy_array', 'backend_tensor'}. Received: "
                f"value_format={value_format}"
            )
        return {
            kind: _nested(entries, value_format)
            for kind, entries in _state_entries(self).items()
        }

    def set_state_tree(self, state_tree: dict) -> None:
        """Assign the values of a ``get_state_tree()``-shaped dict (any subset of it)."""
        entries = None
        for kind, values in state_tree.items():
            if kind not in _KINDS:
                raise ValueError(f"Unknown variable name: {kind}")
            entries = entries or _state_entries(self)
            by_path = {path: assign for path, _, assign in entries[kind]}
            for path, value in _flatten(values).items():
                assign = by_path.get(path)
                if assign is not None:
                    assign(value)


_KINDS = ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables")


def _state_entries(model: Any) -> dict:
    """Per kind: ``(path, read, assign)`` for every variable; ``read()`` gives the Keras-layout
    tensor."""
    return {
        "trainable_variables": [_weight_entry(v) for v in model.trainable_variables],
        "non_trainable_variables": [_weight_entry(v) for v in model.non_trainable_variables],
        "optimizer_variables": _optimizer_entries(model),
        "metrics_variables": [
            (f"{metric.name}/{variable.name}", _reader(variable), variable.assign)
            for metric in model.metrics
            for variable in metric.variables
        ],
    }


def _weight_entry(variable: Any) -> tuple:
    return variable.path, lambda: variable.value, variable.assign


def _reader(variable: Any) -> Callable:
    return lambda: variable.value


def _optimizer_entries(model: Any) -> list:
    from kerasish.saving.compile_state import _slot_layouts

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return []
    given = getattr(optimizer, "_given_variables", [])
    paths = [getattr(v, "path", f"variable_{i}") for i, v in enumerate(given)]
    entries = []
    for tensor, layout, (suffix, index) in zip(
        optimizer.variables, _slot_layouts(model), optimizer.variable_slots()
    ):
        name = suffix if index is None else f"{paths[index].replace('/', '_')}_{suffix}"
        entries.append((f"{optimizer.name}/{name}", *_slot_access(tensor, layout)))
    return entries


def _slot_access(tensor: torch.Tensor, layout: Any) -> tuple:
    def read() -> torch.Tensor:
        return layout.to_keras(tensor) if layout is not None else tensor

    def assign(value: Any) -> None:
        value = torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value)
        value = layout.to_torch(value) if layout is not None else value
        with torch.no_grad():
            tensor.copy_(value.reshape(tensor.shape))

    return read, assign


def _nested(entries: list, value_format: str) -> dict:
    flat: dict = {}
    for path, read, _ in entries:
        if path in flat:
            raise ValueError(
                "The following variable path is found twice in the model: "
                f"'{path}'. `get_state_tree()` can only be called when all variable paths are "
                "unique. Make sure to give unique names to your layers (and other objects)."
            )
        value = read()
        if value_format == "numpy_array":
            value = value.detach().cpu().numpy()
        flat[path] = value
    nested: dict = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        current = nested
        for part in parents:
            current = current.setdefault(part, {})
        current[leaf] = value
    return nested


def _flatten(nested: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in nested.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
