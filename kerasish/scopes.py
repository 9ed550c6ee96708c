"""Keras 3's scopes: ``name_scope`` (variable/layer paths), ``StatelessScope`` (run code on
given variable values without touching the variables) and ``SymbolicScope`` (a marker).

Keras keeps these as global stacks; kerasish keeps them per thread, since torch users run
models from several threads. ``StatelessScope`` is honoured on torch by swapping the given
values into the modules that own the variables for the duration of the scope, so any code
(layer calls, ``Variable.value``) reads them, and restoring the originals on exit.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Optional

import torch

from kerasish import variables


class _State(threading.local):
    def __init__(self) -> None:
        self.stateless: Optional[StatelessScope] = None
        self.symbolic: Optional[SymbolicScope] = None


_STATE = _State()


class name_scope:
    """Keras 3's ``keras.name_scope``: a sub-namespace of layer and variable paths. It opens an
    entry on the same per-thread stack as the layers' own scopes (``variables.layer_scope``),
    so what is built inside gets its name in its path."""

    def __init__(
        self,
        name: str,
        caller: Any = None,
        deduplicate: bool = True,
        override_parent: Optional[str] = None,
    ) -> None:
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pop_on_exit = False

    def __enter__(self) -> name_scope:
        entries = variables._SCOPES.entries
        owner = self.caller if self.caller is not None else self
        if self.deduplicate and entries and self.caller is not None and entries[-1][0] is owner:
            return self  # a layer re-entering its own scope (a call inside its build)
        parent = self.override_parent if self.override_parent is not None else current_path()
        parent = "/".join(p for p in parent.split("/") if p)
        entries.append((owner, f"{parent}/{self.name}" if parent else self.name))
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pop_on_exit and variables._SCOPES.entries:
            variables._SCOPES.entries.pop()
            self._pop_on_exit = False


def current_path() -> str:
    """The ``/``-joined names of the open name scopes ("" outside any)."""
    return variables.current_path()


class StatelessScope:
    """Keras 3's ``keras.StatelessScope(state_mapping)``: inside it, each mapped Variable reads
    as the given value; writes to it (``assign``, a layer's in-place buffer update) land on
    that value, never on the Variable. ``get_current_value(variable)`` gives the value a mapped
    variable has now (after exit: when the scope closed), in Keras layout.
    """

    def __init__(
        self,
        state_mapping: Optional[Iterable[tuple[Any, Any]]] = None,
        collect_losses: bool = False,
        initialize_variables: bool = True,
    ) -> None:
        from kerasish.variables import Variable

        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses: list = []
        self._mapping: dict[tuple[int, str], tuple[Any, torch.Tensor]] = {}
        self._final: dict[tuple[int, str], torch.Tensor] = {}
        self._saved: list[tuple[dict, str, torch.Tensor]] = []
        for variable, value in state_mapping or ():
            if not isinstance(variable, Variable):
                raise ValueError(
                    "Invalid reference variable in StatelessScope: all keys in argument "
                    "`mapping` must be Variable instances. Received instead: "
                    f"{variable}"
                )
            stored = variable.tensor
            if isinstance(value, Variable):
                value = value.value
            value = torch.as_tensor(value, dtype=stored.dtype, device=stored.device)
            if tuple(value.shape) != variable.shape:
                raise ValueError(
                    "Invalid variable value in StatelessScope: all values in argument "
                    "`mapping` must be tensors with a shape that matches the corresponding "
                    f"variable shape. For variable {variable}, received invalid value "
                    f"{value} with shape {tuple(value.shape)}."
                )
            self._mapping[_key(variable)] = (variable, value)

    def __enter__(self) -> StatelessScope:
        self._original = _STATE.stateless
        _STATE.stateless = self
        for variable, value in self._mapping.values():
            store = _store_of(variable)
            self._saved.append((store, variable._attr, store[variable._attr]))
            layout = variable._layout
            store[variable._attr] = layout.to_torch(value) if layout else value
        return self

    def add_loss(self, loss: Any) -> None:
        self.losses.append(loss)

    def add_update(self, update: tuple[Any, Any]) -> None:
        variable, value = update
        self._mapping[_key(variable)] = (variable, torch.as_tensor(value))

    def get_current_value(self, variable: Any) -> Optional[torch.Tensor]:
        key = _key(variable)
        if key in self._final:
            return self._final[key]
        entry = self._mapping.get(key)
        if entry is None:
            return None
        return variable.value if _STATE.stateless is self else entry[1]

    def __exit__(self, *exc: Any) -> None:
        for key, (variable, _) in self._mapping.items():
            self._final[key] = variable.value  # the swapped-in value, as the code updated it
        for store, attr, original in reversed(self._saved):
            store[attr] = original
        self._saved.clear()
        _STATE.stateless = self._original


def _key(variable: Any) -> tuple[int, str]:
    """A variable's identity that survives the swap: its owner and attribute."""
    return id(variable._owner), variable._attr


def _store_of(variable: Any) -> dict:
    owner = variable._owner
    return owner._parameters if variable._attr in owner._parameters else owner._buffers


def in_stateless_scope() -> bool:
    return _STATE.stateless is not None


def get_stateless_scope() -> Optional[StatelessScope]:
    return _STATE.stateless


class SymbolicScope:
    """Keras 3's ``keras.SymbolicScope``: marks code that builds graphs, not values. kerasish
    decides symbolic vs eager from the call's arguments (KerasTensors), so the scope is only
    recorded, for code that asks ``in_symbolic_scope()``."""

    def __enter__(self) -> SymbolicScope:
        self._original = _STATE.symbolic
        _STATE.symbolic = self
        return self

    def __exit__(self, *exc: Any) -> None:
        _STATE.symbolic = self._original


def in_symbolic_scope() -> bool:
    return _STATE.symbolic is not None


def get_symbolic_scope() -> Optional[SymbolicScope]:
    return _STATE.symbolic
