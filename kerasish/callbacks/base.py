"""Callback and CallbackList: the hooks a training, evaluation or prediction loop calls.

The loop hands batch logs over as they are, 0-d torch tensors included, because reading a device
value every step would stall the device. Each built-in callback reads a value only when it needs
one (the progress bar a few times a second, History at epoch end), and says so with
``_supports_tensor_logs = True``. A callback that does not say so (a user's callback, a
LambdaCallback) and that implements a batch hook gets floats, converted once per batch for all
of them, as tf.keras does. Callbacks that implement no batch hook cost nothing per batch.
Epoch, begin and end logs are always converted to floats once, before any callback sees them.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable, Mapping, Optional

import numpy as np
import torch

_TRAIN_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
_TEST_BATCH_HOOKS = ("on_test_batch_begin", "on_test_batch_end")
_PREDICT_BATCH_HOOKS = ("on_predict_batch_begin", "on_predict_batch_end")


def logs_to_floats(logs: Optional[Mapping[str, Any]]) -> dict:
    """A copy of ``logs`` with 0-d tensors and numpy scalars as Python floats.

    Tensors are read with one device-to-host transfer per (device, dtype) group rather than one
    per value. Larger tensors become numpy arrays; anything else is kept as it is.
    """
    if not logs:
        return {}
    out = dict(logs)
    groups: dict[tuple, list[str]] = {}
    for key, value in out.items():
        if isinstance(value, torch.Tensor):
            if value.ndim == 0:
                groups.setdefault((value.device, value.dtype), []).append(key)
            else:
                out[key] = value.detach().cpu().numpy()
        elif isinstance(value, (np.number, np.bool_)) or (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf"
        ):
            out[key] = float(value)
    for keys in groups.values():
        read = torch.stack([out[key].detach() for key in keys]).tolist()
        out.update((key, float(value)) for key, value in zip(keys, read))
    return out


def scalar(value: Any) -> Any:
    """One log value as a Python float when it is a tensor or numpy scalar (a host read)."""
    if isinstance(value, (torch.Tensor, np.ndarray, np.number, np.bool_)) and np.ndim(value) == 0:
        return float(value)
    return value


def print_msg(message: str) -> None:
    """Keras' ``io_utils.print_msg``: to stdout, flushed, so it interleaves with the bar."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


class Callback:
    """Base class of every callback; every hook is a no-op.

    Subclasses override the hooks they need. ``self.model`` is the model being trained (a
    ``DistributedDataParallel`` wrapper is unwrapped), ``self.params`` the loop's parameters
    (``verbose``, ``epochs``, ``steps``).
    """

    # True when the callback reads batch-log values itself, lazily (see the module docstring).
    _supports_tensor_logs = False

    def __init__(self) -> None:
        self.params: Optional[dict] = None
        self._model: Any = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        model = getattr(self, "_model", None)
        if isinstance(model, torch.nn.parallel.DistributedDataParallel):
            return model.module
        return model

    @model.setter
    def model(self, model: Any) -> None:
        self._model = model

    # Which batch hooks this callback implements; the list calls only those. Overridable, as in
    # tf.keras, for callbacks whose need depends on their settings.
    def _implements_train_batch_hooks(self) -> bool:
        return _overrides(self, _TRAIN_BATCH_HOOKS)

    def _implements_test_batch_hooks(self) -> bool:
        return _overrides(self, _TEST_BATCH_HOOKS)

    def _implements_predict_batch_hooks(self) -> bool:
        return _overrides(self, _PREDICT_BATCH_HOOKS)

    def on_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        """Keras 2's name for ``on_train_batch_begin``."""

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """Keras 2's name for ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        """``logs`` holds the epoch's metrics, validation ones prefixed ``val_``."""

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        """``logs`` holds the running (epoch-average) metrics, possibly as 0-d tensors."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        pass

    def on_test_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        pass

    def on_predict_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        pass

    def on_predict_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        pass

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        pass

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        pass

    def on_test_begin(self, logs: Optional[dict] = None) -> None:
        pass

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        pass

    def on_predict_begin(self, logs: Optional[dict] = None) -> None:
        pass

    def on_predict_end(self, logs: Optional[dict] = None) -> None:
        pass


def _overrides(callback: Callback, names: Iterable[str]) -> bool:
    for name in names:
        # Instance attributes count: LambdaCallback assigns its functions per instance.
        if name in getattr(callback, "__dict__", {}):
            return True
        if getattr(type(callback), name, None) is not getattr(Callback, name):
            return True
    return False


class _BatchDispatch:
    """The callbacks implementing one mode's batch hooks, and whether they need floats."""

    __slots__ = ("callbacks", "convert")

    def __init__(self, callbacks: list[Callback]) -> None:
        self.callbacks = callbacks
        self.convert = any(not getattr(cb, "_supports_tensor_logs", False) for cb in callbacks)

    def __call__(self, hook: str, batch: int, logs: Optional[dict]) -> None:
        if self.convert:
            logs = logs_to_floats(logs)
        elif logs is None:
            logs = {}
        for callback in self.callbacks:
            getattr(callback, hook)(batch, logs)


class CallbackList(Callback):
    """Calls a list of callbacks together, adding History and ProgbarLogger when asked."""

    def __init__(
        self,
        callbacks: Any = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten(callbacks)
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)
        self._refresh_dispatch()

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        from kerasish.callbacks.history import History
        from kerasish.callbacks.progbar_logger import ProgbarLogger

        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh_dispatch(self) -> None:
        # Which callbacks implement batch hooks can depend on params (ProgbarLogger's verbose).
        self._train = _BatchDispatch(
            [cb for cb in self.callbacks if cb._implements_train_batch_hooks()]
        )
        self._test = _BatchDispatch([cb for cb in self.callbacks if cb._implements_test_batch_hooks()])
        self._predict = _BatchDispatch(
            [cb for cb in self.callbacks if cb._implements_predict_batch_hooks()]
        )

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh_dispatch()

    def __iter__(self):
        return iter(self.callbacks)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)
            self._refresh_dispatch()

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _implements_train_batch_hooks(self) -> bool:
        return bool(self._train.callbacks)

    def _implements_test_batch_hooks(self) -> bool:
        return bool(self._test.callbacks)

    def _implements_predict_batch_hooks(self) -> bool:
        return bool(self._predict.callbacks)

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    # Batch hooks: only the callbacks that implement them, logs converted only if one needs it.

    def on_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        self.on_train_batch_end(batch, logs)

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        if self._train.callbacks:
            self._train("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        if self._train.callbacks:
            self._train("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        if self._test.callbacks:
            self._test("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        if self._test.callbacks:
            self._test("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        if self._predict.callbacks:
            self._predict("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        if self._predict.callbacks:
            self._predict("on_predict_batch_end", batch, logs)

    # Epoch, begin and end hooks: one conversion, one dict shared by every callback, so a
    # callback that adds a key (ReduceLROnPlateau's ``learning_rate``) is seen by the next ones.

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._call("on_epoch_begin", epoch, logs_to_floats(logs))

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._call("on_epoch_end", epoch, logs_to_floats(logs))

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self._call("on_train_begin", logs_to_floats(logs))

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        self._call("on_train_end", logs_to_floats(logs))

    def on_test_begin(self, logs: Optional[dict] = None) -> None:
        self._call("on_test_begin", logs_to_floats(logs))

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        self._call("on_test_end", logs_to_floats(logs))

    def on_predict_begin(self, logs: Optional[dict] = None) -> None:
        self._call("on_predict_begin", logs_to_floats(logs))

    def on_predict_end(self, logs: Optional[dict] = None) -> None:
        self._call("on_predict_end", logs_to_floats(logs))


def _flatten(callbacks: Any) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, (list, tuple)):
        flat: list = []
        for item in callbacks:
            flat.extend(_flatten(item))
        return flat
    if not isinstance(callbacks, Callback):
        raise TypeError(
            "Callbacks must be instances of `keras.callbacks.Callback` (or a list of them). "
            f"Received: {callbacks!r} of type {type(callbacks).__name__}"
        )
    return [callbacks]
