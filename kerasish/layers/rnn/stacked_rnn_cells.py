"""StackedRNNCells: several cells acting as one, each step feeding the next cell's output upward.

``RNN([cell_a, cell_b])`` wraps its list in this. The states are one entry per cell (a list for a
cell with several states), and the weights are the cells' in order. The cells are registered as
submodules ``0``, ``1``, ... (as in ``torch.nn.Sequential``), so ``state_dict`` reads
``cell.0.weight_ih``.
"""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish.layers.base import Layer
from kerasish.saving.model_config import deserialize_layer, serialize_layer
from kerasish.utils import tree


def validate_cell(cell: Any, what: str) -> None:
    """Keras' duck-typing of a cell: a ``call`` method and a ``state_size``."""
    if "call" not in dir(cell):
        raise ValueError(f"{what} should have a `call` method. Received: cell={cell!r}")
    if "state_size" not in dir(cell):
        raise ValueError(
            "The RNN cell should have a `state_size` attribute (single integer or list of "
            f"integers, one integer per RNN state). Received: cell={cell!r}"
        )
    state_size = cell.state_size
    if not isinstance(state_size, (int, list, tuple)):
        raise ValueError(
            "state_size must be an integer, or a list/tuple of integers (one for each state "
            f"tensor). Received: state_size={state_size!r} on cell {cell!r}"
        )


class StackedRNNCells(Layer):
    def __init__(self, cells: list, **kwargs: Any) -> None:
        cells = list(cells)
        for cell in cells:
            validate_cell(cell, "Every cell of StackedRNNCells")
        super().__init__(**kwargs)
        self.cells = cells
        for i, cell in enumerate(cells):
            if isinstance(cell, torch.nn.Module):
                self.add_module(str(i), cell)

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        if isinstance(last.state_size, (list, tuple)):
            return last.state_size[0]
        return last.state_size

    def build(self, input_shape: Any) -> None:
        batch = tree.flatten(input_shape)[0]
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(tuple(input_shape))
            size = getattr(cell, "output_size", None)
            if size is None:
                size = tree.flatten(cell.state_size)[0]
            input_shape = (batch, size)
        self.built = True

    def get_initial_state(self, batch_size: Optional[int] = None) -> list:
        states = []
        for cell in self.cells:
            get = getattr(cell, "get_initial_state", None)
            if callable(get):
                states.append(get(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(torch.zeros(batch_size, cell.state_size))
            else:
                states.append([torch.zeros(batch_size, size) for size in cell.state_size])
        return states

    def call(
        self, inputs: torch.Tensor, states: Any, training: Optional[bool] = None
    ) -> tuple[torch.Tensor, list]:
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = tree.is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            if isinstance(cell, Layer):
                kwargs = {"training": training} if cell._call_accepts_training else {}
                inputs, cell_states = cell(inputs, cell_states, **kwargs)
            else:
                inputs, cell_states = cell.call(inputs, cell_states)
            if not tree.is_nested(cell_states):
                cell_states = [cell_states]
            new_states.append(cell_states if was_list or len(cell_states) > 1 else cell_states[0])
        return inputs, new_states

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> StackedRNNCells:
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
