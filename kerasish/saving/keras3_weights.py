"""Keras 3's weights layout (``.weights.h5`` and the ``model.weights.h5`` inside ``.keras``).

Keras 3 stores each object's own variables under the path of attributes that reaches it from the
model, not under layer names: ``layers/<snake_case class>[_N]/vars/<i>``, an RNN's under
``.../cell/vars``, a nested model's layers under ``.../layers/...``, the optimizer's under
``optimizer/vars``. Every ``vars`` group carries the object's name as its ``name`` attribute.
tf.keras 2.13+ writes the same tree (without the names); some of its files say
``_layer_checkpoint_dependencies`` where Keras 3 says ``layers``. A layer with Keras 3's
``save_own_variables(store)``/``load_own_variables(store)`` hooks fills its ``vars`` group itself,
by dataset name (a lookup layer's ``idf_weights``), instead of by variable index.

Loading validates every layer's values (count and shapes) before assigning any of them.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

import numpy as np

# Layers whose Keras 3 counterpart keeps its weights on a ``cell`` sub-object.
_RNN_CELLS = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell", "ConvLSTM": "conv_lstm_cell"}


def to_snake_case(name: str) -> str:
    """Keras 3's ``naming.to_snake_case``: the keys of the layout."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def own_variables(layer: Any) -> list:
    """A layer's own variables (no sublayers'), in Keras 3's order: trainable first.

    A layer whose Keras 3 ``save_own_variables`` writes something else (LoRA: the merged kernel,
    no factors) turns them into its slots with ``_saved_variables``.
    """
    own = layer._own_variables()
    ordered = [v for v in own if v._created_trainable] + [v for v in own if not v._created_trainable]
    if hasattr(type(layer), "_saved_variables"):
        return layer._saved_variables(ordered)
    return ordered


def entries(model: Any) -> Iterator[tuple[str, str, list]]:
    """``(path, object name, variables)`` for every object Keras 3 would visit, in its order."""
    for path, name, variables, _ in _walk(model, "", set()):
        yield path, name, variables


def saveables(model: Any) -> Iterator[tuple[str, Any]]:
    """``(path, layer)`` for every layer Keras 3 would visit: where its state and assets go."""
    for path, _, _, owner in _walk(model, "", set()):
        if owner is not None:
            yield path, owner


def _walk(layer: Any, path: str, visited: set) -> Iterator[tuple[str, str, list, Any]]:
    from kerasish.models.functional import Functional
    from kerasish.models.model import Model

    if id(layer) in visited:
        return
    visited.add(id(layer))
    cell = rnn_cell_name(layer)
    if cell is not None:
        yield path, layer.name, [], layer
        yield _join(path, "cell"), cell, own_variables(layer), None
    else:
        yield path, layer.name, own_variables(layer), layer
    if isinstance(layer, Functional) and hasattr(layer, "_layers"):
        yield from _walk_container(layer.layers, _join(path, "layers"), visited)
        return
    # Keras walks the object's attributes; torch registers sublayers in ``_modules`` and lists
    # of layers (``StackedRNNCells.cells``) stay plain attributes. Digit-named modules are the
    # torch-side registrations of such list items.
    children: list[tuple[str, Any]] = [
        (attr, module) for attr, module in layer._modules.items() if module is not None and not attr.isdigit()
    ]
    children.extend(
        (attr, value) for attr, value in vars(layer).items() if _is_container(value) and any(_is_layer(v) for v in value)
    )
    if isinstance(layer, Model):
        # A subclassed model also exposes ``layers``; Keras visits attributes in sorted order,
        # so a layer reached first through a named attribute keeps that path.
        children.append(("layers", list(layer.layers)))
    for attr, child in sorted(children, key=lambda item: _name_key(item[0])):
        if _is_layer(child):
            yield from _walk(child, _join(path, attr), visited)
        elif _is_container(child):
            yield from _walk_container(list(child), _join(path, attr), visited)


def _walk_container(items: list, path: str, visited: set) -> Iterator[tuple[str, str, list, Any]]:
    from kerasish.ops.op_layer import TFOpLambda

    used: dict[str, int] = {}
    for item in items:
        if isinstance(item, TFOpLambda):
            continue  # a keras.ops call: an Operation, not a Layer, to Keras 3 (no weights)
        if _is_layer(item):
            # Keras names the path after the class; a few exported names differ from it.
            class_name = getattr(type(item), "_keras3_class_name", type(item).__name__)
            key = _unique(to_snake_case(class_name), used)
            yield from _walk(item, _join(path, key), visited)
        elif _is_container(item):
            yield from _walk_container(list(item), _join(path, _unique("container", used)), visited)


def _is_container(value: Any) -> bool:
    import torch

    if isinstance(value, (torch.nn.ModuleDict, dict)):
        return False
    return isinstance(value, (list, tuple, torch.nn.ModuleList))


def rnn_cell_name(layer: Any) -> Optional[str]:
    """For an RNN that is its own cell (LSTM, GRU...): the name of Keras 3's separate cell."""
    from kerasish.layers.rnn.base_rnn import SelfCell

    if not isinstance(layer, SelfCell):
        return None
    for cls in type(layer).__mro__:
        if cls.__name__ in _RNN_CELLS:
            return _RNN_CELLS[cls.__name__]
    return to_snake_case(type(layer).__name__) + "_cell"


def overrides_hook(layer: Any, hook: str) -> bool:
    """Whether ``layer``'s class replaces ``Layer``'s default ``hook`` (``save_own_variables``
    ...): then the file holds what the override writes; otherwise variables by index."""
    from kerasish.layers.base import Layer

    return layer is not None and getattr(type(layer), hook, None) is not getattr(Layer, hook)


def _is_layer(module: Any) -> bool:
    from kerasish.layers.base import Layer

    return isinstance(module, Layer)


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _join(path: str, child: str) -> str:
    return f"{path}/{child}" if path else child


# ------------------------------------------------------------------ writing


def save_weights(model: Any, group: Any, optimizer: Optional[tuple[str, list]] = None) -> None:
    """Write ``model``'s variables into an open h5py File or Group.

    ``optimizer`` is ``(name, values)`` of the optimizer's state, in Keras 3's order.
    """
    for path, name, variables, owner in _walk(model, "", set()):
        if overrides_hook(owner, "save_own_variables"):
            # Keras 3's hook for state that is not variables (a lookup's ``idf_weights``).
            store: dict = {}
            owner.save_own_variables(store)
            _write_vars(group, path, name, store)
        else:
            _write_vars(group, path, name, [v.numpy() for v in variables])
    if optimizer is not None:
        _write_vars(group, "optimizer", *optimizer)


def _write_vars(group: Any, path: str, name: str, values: Any) -> None:
    """``values``: a list (datasets ``0``, ``1``...) or a dict of dataset names."""
    target = group.require_group(_join(path, "vars")) if path else group.require_group("vars")
    target.attrs["name"] = name
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for key, value in items:
        target.create_dataset(str(key), data=np.asarray(value))


# ------------------------------------------------------------------ reading


def read_vars(group: Any, path: str) -> Optional[list[np.ndarray]]:
    """The values stored for the object at ``path``, or ``None`` when the file has no entry."""
    vars_group = _find_vars(group, path)
    if vars_group is None:
        return None
    count = len(vars_group.keys())
    values = []
    for index in range(count):
        key = str(index)
        if key not in vars_group:
            raise ValueError(f"Corrupt weights file: '{vars_group.name}' has no variable {index}.")
        values.append(np.asarray(vars_group[key]))
    return values


def _find_vars(group: Any, path: str) -> Any:
    candidates = [path, path.replace("layers", "_layer_checkpoint_dependencies")] if path else [""]
    for candidate in candidates:
        full = _join(candidate, "vars")
        if full in group:
            return group[full]
    return None


def plan_load(model: Any, group: Any, skip_mismatch: bool = False) -> list[tuple[Any, np.ndarray]]:
    """``(variable, value)`` pairs for every weight of ``model``; raises before any assignment.

    Errors name the layer, its path in the file, and the expected and received shapes. With
    ``skip_mismatch`` a layer that does not match is skipped whole, with a warning, as in Keras.
    """
    import warnings

    assignments: list = []
    for path, name, variables, owner in _walk(model, "", set()):
        if overrides_hook(owner, "load_own_variables"):
            vars_group = _find_vars(group, path)
            store = {} if vars_group is None else {key: np.asarray(vars_group[key]) for key in vars_group}
            assignments.append((_OwnState(owner), store))
            continue
        values = read_vars(group, path) or []
        problem = _mismatch(name, path, variables, values)
        if problem is None:
            assignments.extend(zip(variables, values))
        elif skip_mismatch:
            warnings.warn(f"Skipping loading weights of layer '{name}': {problem}", stacklevel=3)
        else:
            raise ValueError(problem)
    return assignments


def _mismatch(name: str, path: str, variables: list, values: list) -> Optional[str]:
    if len(values) != len(variables):
        return (
            f"Layer '{name}' expected {len(variables)} variables, but received {len(values)} "
            f"variables during loading (file path '{_join(path, 'vars')}'). Expected: "
            f"{[(v.name, v.shape) for v in variables]}; received shapes: "
            f"{[tuple(value.shape) for value in values]}"
        )
    for variable, value in zip(variables, values):
        if tuple(value.shape) != variable.shape:
            return (
                f"Shape mismatch for variable '{variable.path}' of layer '{name}' (file path "
                f"'{_join(path, 'vars')}'): the model expects shape {variable.shape}, the file "
                f"holds shape {tuple(value.shape)}."
            )
    return None


class _OwnState:
    """The load side of a layer's ``save_own_variables``: "assigning" a store hands it to the
    layer's ``load_own_variables``."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer

    def assign(self, store: dict) -> None:
        self.layer.load_own_variables(store)


def load_weights(model: Any, group: Any, skip_mismatch: bool = False) -> None:
    for variable, value in plan_load(model, group, skip_mismatch):
        variable.assign(value)


def read_optimizer_vars(group: Any) -> Optional[list[np.ndarray]]:
    return read_vars(group, "optimizer")
