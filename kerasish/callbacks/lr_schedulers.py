"""Learning-rate callbacks: LearningRateScheduler (a function of the epoch) and
ReduceLROnPlateau (divide when a monitored value stalls). Keras 3 rules.

Both read and write ``model.optimizer.learning_rate`` as a float and record the learning rate
of the epoch in the epoch logs under ``learning_rate`` (Keras 3's key; tf.keras used ``lr``).
An optimizer holding several (``optimizer.optimizers``) is handled per inner optimizer, keyed
``learning_rate_<name>``.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

import numpy as np
import torch

from kerasish.callbacks.base import Callback, print_msg, scalar
from kerasish.callbacks.monitor import MonitorCallback


def _optimizers(model: Any) -> list[tuple[str, Any]]:
    """(log suffix, optimizer) pairs: one unnamed entry, or one per inner optimizer."""
    optimizer = model.optimizer
    inner = getattr(optimizer, "optimizers", None)
    if inner is not None:
        return [(f"{opt.name}", opt) for opt in inner]
    return [("", optimizer)]


def _record_learning_rates(model: Any, logs: Optional[dict]) -> None:
    if logs is None:
        return
    for name, optimizer in _optimizers(model):
        key = f"learning_rate_{name}" if name else "learning_rate"
        logs[key] = float(optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """At each epoch start, sets the learning rate to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``, the Keras 1 signature, when the two-argument call is a TypeError)."""

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer: Any, epoch: int) -> float:
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, torch.Tensor) and learning_rate.ndim == 0 and (
            learning_rate.is_floating_point()
        ):
            learning_rate = float(learning_rate)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        for name, optimizer in _optimizers(self.model):
            learning_rate = self._update_optimizer_lr(optimizer, epoch)
            if self.verbose > 0:
                which = f"{name} learning rate" if name else "learning rate"
                print_msg(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which} to "
                    f"{learning_rate}."
                )

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        _record_learning_rates(self.model, logs)


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without an
    improvement larger than ``min_delta``, never below ``min_lr``, then waits ``cooldown``
    epochs before counting again."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if "epsilon" in kwargs:  # Keras 2.0's name for min_delta
            min_delta = kwargs.pop("epsilon")
            warnings.warn(
                "`epsilon` argument is deprecated and will be removed, use `min_delta` instead.",
                stacklevel=2,
            )
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments: {sorted(kwargs)}")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reduce_optimizer_lr(self, optimizer: Any, epoch: int, name: str = "") -> bool:
        old_lr = float(optimizer.learning_rate)
        # Compared in float32, as Keras does, so a float32 lr equal to min_lr stops reducing.
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            which = f" {name}" if name else ""
            print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{which} learning rate to "
                f"{new_lr}."
            )
        return True

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        _record_learning_rates(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs.keys())}.",
                stacklevel=2,
            )
            return
        current = scalar(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for name, optimizer in _optimizers(self.model):
                    reduced = self._reduce_optimizer_lr(optimizer, epoch, name) or reduced
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
