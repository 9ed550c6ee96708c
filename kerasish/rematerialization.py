"""Keras 3's rematerialization: ``keras.RematScope`` and ``keras.remat``.

A layer remembers the remat mode active when it was created (as Keras' ``Operation`` does) and
its calls then go through ``Layer.rematerialized_call``: on torch, ``remat(f)`` is
``torch.utils.checkpoint.checkpoint(f, use_reentrant=False)``, as in Keras' torch backend, so
the call's activations are recomputed in the backward pass instead of being kept.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any, Callable, Optional

import torch.utils.checkpoint

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])

_MODES = {"full", "activations", "larger_than", "list_of_layers", None}


class _Stack(threading.local):
    def __init__(self) -> None:
        self.scopes: list[RematScope] = []


_STACK = _Stack()


class RematScope:
    """Layers created inside the scope rematerialize their calls per ``mode``: ``"full"``
    (every layer), ``"activations"`` (only the activation function of layers that have one),
    ``"larger_than"`` (layers whose output has more than ``output_size_threshold`` elements)
    or ``"list_of_layers"`` (the layers named in ``layer_names``)."""

    def __init__(
        self,
        mode: Optional[str] = "full",
        output_size_threshold: int = 1024,
        layer_names: Optional[list[str]] = None,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or  None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self) -> RematScope:
        _STACK.scopes.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pop_on_exit:
            _STACK.scopes.pop()
            self._pop_on_exit = False


def current_remat_mode() -> Optional[RematMode]:
    """The innermost open ``RematScope``'s settings, None outside any."""
    if not _STACK.scopes:
        return None
    scope = _STACK.scopes[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f: Callable) -> Callable:
    """``f`` whose intermediate activations are recomputed during the backward pass."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return torch.utils.checkpoint.checkpoint(f, *args, use_reentrant=False, **kwargs)

    return wrapped
