"""Variable: the Keras-facing handle of one layer weight.

The tensor itself is an ordinary torch Parameter (or buffer, for non-trainable state such as
BatchNormalization's moving statistics) registered on the layer in torch layout. A Variable
knows the Keras name and layout of that tensor, so ``layer.weights``, ``get_weights`` and the
file formats can speak Keras while training touches only the torch tensor.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, Optional

import numpy as np
import torch

from kerasish.saving.layouts import WeightLayout
from kerasish.utils import numpy_values


class _ScopeStack(threading.local):
    """The layers whose name scope is open in this thread, each with its full path."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, str]] = []


_SCOPES = _ScopeStack()


def current_path() -> str:
    """Keras 3's ``current_path()``: the path of the innermost open layer scope."""
    entries = _SCOPES.entries
    return entries[-1][1] if entries else ""


@contextlib.contextmanager
def layer_scope(layer: Any) -> Iterator[None]:
    """Keras 3's layer name scope, which is where variable and layer paths come from.

    Keras opens it around a layer's build, call and ``add_weight``; whatever is built inside
    gets the layer's path as prefix. As in Keras, a layer keeps the parent path under which its
    scope was first opened (``_parent_path``), and reopening the innermost scope is a no-op, so
    a layer built outside a model and used in it later keeps its first path.
    """
    entries = _SCOPES.entries
    if entries and entries[-1][0] is layer:
        yield
        return
    state = layer.__dict__
    parent = state.get("_parent_path")
    if parent is None:
        parent = current_path()
        state["_parent_path"] = parent
    entries.append((layer, f"{parent}/{layer.name}" if parent else layer.name))
    try:
        yield
    finally:
        entries.pop()


def weight_path(layer: Any, name: str, cell: Optional[str] = None) -> str:
    """The Keras 3 path of a weight ``layer`` creates now: its scope's path, the name of the
    Keras cell object that holds it where kerasish merged cell and layer (LSTM...), the name."""
    with layer_scope(layer):
        if layer.__dict__.get("_path") is None:
            layer.__dict__["_path"] = current_path()
        prefix = current_path()
    return f"{prefix}/{cell}/{name}" if cell else f"{prefix}/{name}"


class KerasLayoutView(torch.Tensor):
    """A Keras-layout view of a weight stored in torch layout. A view is not a leaf, so autograd
    leaves its own ``.grad`` empty; this one reads the stored weight's gradient instead."""

    __torch_function__ = torch._C._disabled_torch_function_impl  # ops give plain tensors

    @property
    def grad(self) -> Optional[torch.Tensor]:
        variable = self._variable
        grad = variable.tensor.grad
        return None if grad is None else variable._layout.to_keras(grad)


class Variable:
    def __init__(
        self,
        owner: torch.nn.Module,
        attr: str,
        name: str,
        layout: Optional[WeightLayout] = None,
        trainable: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        layer_name: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        self._owner = owner
        self._attr = attr
        self.name = name
        self._layout = layout
        self._created_trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self._layer_name = layer_name
        self._path = path

    @property
    def tensor(self) -> torch.Tensor:
        """The torch tensor as stored (torch layout); this is what trains."""
        return getattr(self._owner, self._attr)

    @property
    def value(self) -> torch.Tensor:
        """The weight in Keras layout: a view of ``tensor`` where one exists, whose ``.grad``
        is the weight's gradient in Keras layout (Keras' torch guide reads ``v.value.grad``)."""
        tensor = self.tensor
        if not self._layout:
            return tensor
        view = self._layout.to_keras(tensor).as_subclass(KerasLayoutView)
        view._variable = self
        return view

    @property
    def path(self) -> str:
        """Keras 3's path: the name scopes open when the weight was created (``sequential/
        dense/kernel`` in a Sequential model, ``dense/kernel`` in a functional one). Weights of
        plain torch submodules, listed on demand, are named after their layer."""
        if self._path is not None:
            return self._path
        return f"{self._layer_name or self._owner.name}/{self.name}"

    @property
    def trainable(self) -> bool:
        return self._created_trainable and bool(self.tensor.requires_grad)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze or unfreeze a weight (LoRA freezes its kernel). Its place in ``weights`` is
        kept, as in Keras; setting the layer's ``trainable`` sets it again."""
        tensor = self.tensor
        if isinstance(tensor, torch.nn.Parameter):
            tensor.requires_grad_(bool(value))
        elif value:
            raise NotImplementedError(
                f"Making variable '{self.path}' trainable: it was created non-trainable, so "
                "kerasish stores it as a buffer, which cannot train."
            )

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    @property
    def dtype(self) -> str:
        return str(self.tensor.dtype).replace("torch.", "")

    def numpy(self) -> np.ndarray:
        return numpy_values.to_numpy(self.value).copy()

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def assign(self, value: Any) -> None:
        new = numpy_values.to_tensor(value)
        if tuple(new.shape) != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(new.shape)} to variable '{self.path}' "
                f"of shape {self.shape}."
            )
        tensor = self.tensor
        if self._layout:
            new = self._layout.to_torch(new)
        with torch.no_grad():
            tensor.copy_(new.to(dtype=tensor.dtype, device=tensor.device))

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"
