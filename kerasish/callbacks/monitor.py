"""MonitorCallback: what "better" means for a monitored log value, shared by EarlyStopping,
ModelCheckpoint and ReduceLROnPlateau (Keras 3's ``MonitorCallback``).

In ``mode="auto"`` Keras 3 reads the direction from the model's metric objects and raises when
it cannot; tf.keras guessed from the name. Here: ``loss`` means lower, then a metric object of
that name with a ``_direction`` attribute decides, and otherwise the tf.keras name rule does
(``acc``/``auc``/``fmeasure`` higher, anything else lower), so ``auto`` never fails.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any, Callable, Optional

import numpy as np

from kerasish.callbacks.base import Callback


class MonitorCallback(Callback):
    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: Optional[float] = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Optional[Callable[[Any, Any], bool]] = None

    def _set_monitor_op(self) -> None:
        """Decided at the first epoch end, once the model's metrics exist (as Keras 3)."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            self.monitor_op = operator.gt if self._higher_is_better() else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _higher_is_better(self) -> bool:
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss":
            return False
        for metric in _metric_objects(getattr(self.model, "metrics", None)):
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                return metric._direction == "up"
        return "acc" in name or name.endswith("auc") or name.startswith("fmeasure")

    def _is_improvement(self, monitor_value: float, reference_value: Optional[float]) -> bool:
        if reference_value is None:
            return True
        # Keras 3 compares as float32 tensors (ops.less on Python floats); so do we, so that
        # near-ties with a min_delta fall the same way.
        shifted = np.float32(monitor_value - self.min_delta)
        return bool(self.monitor_op(shifted, np.float32(reference_value)))


def _metric_objects(metrics: Any) -> list:
    """The model's metrics, with containers (objects holding ``.metrics``) opened."""
    found: list = []
    for metric in metrics or ():
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)) and inner is not metrics:
            found.extend(_metric_objects(inner))
        found.append(metric)
    return found
