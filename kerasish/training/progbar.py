"""tf.keras 2.x's progress bar, drawn from the wall clock rather than from the device.

The text is tf.keras 2.x's, character for character: the live line
``12/32 [=======>......................] - ETA: 1s - loss: 0.4213``, the final line
``32/32 [==============================] - 0s 2ms/step - loss: 0.4213`` (verbose 1) and
``32/32 - 0s - loss: 0.4213 - 64ms/epoch - 2ms/step`` (verbose 2).

Values may be 0-d torch tensors. The bar keeps references and converts them only when it draws,
which is at most every ``interval`` seconds on a live display and only for the final line
otherwise, so a training loop that hands over its running metrics every step pays no host sync
for it.

One departure from tf.keras: tf.keras treats every POSIX process as a live display
(``"posix" in sys.modules``) and so writes backspaces and carriage returns into log files and
pipes. Here a stream that is neither a terminal nor a notebook gets only the final line of each
bar.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Iterable, Optional

import numpy as np
import torch

from kerasish.utils import io_utils


def _is_live_display() -> bool:
    stream = sys.stdout
    return bool(
        (hasattr(stream, "isatty") and stream.isatty())
        or "ipykernel" in sys.modules
        or "PYCHARM_HOSTED" in os.environ
    )


def _mean(value: Any, count: int) -> float:
    """The displayed average; a tensor value is read here, at drawing time, and nowhere else."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return float(np.mean(np.asarray(value) / max(1, count)))


def _format_time(seconds: float, unit_name: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


class Progbar:
    """A progress bar over ``target`` steps (``None`` when unknown).

    ``verbose``: 0 silent, 1 live bar, 2 one line when finalized. Metrics named in
    ``stateful_metrics`` are shown as given; the others are averaged over the steps seen, as
    tf.keras does.
    """

    def __init__(
        self,
        target: Optional[int],
        width: int = 30,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Optional[Iterable[str]] = None,
        unit_name: str = "step",
    ) -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _is_live_display()
        self._total_width = 0
        self._seen_so_far = 0
        # name -> [sum of value * steps, steps]; insertion order is display order.
        self._values: dict[str, list] = {}
        self._start = time.time()
        self._last_update = 0.0
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end: Optional[float] = None
        self._time_after_first_step: Optional[float] = None

    def update(
        self, current: int, values: Optional[list] = None, finalize: Optional[bool] = None
    ) -> None:
        """Record step ``current`` and ``(name, value)`` pairs; draw if it is time to.

        ``finalize`` defaults to ``current >= target``: the final line ends with a newline.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or [])
        now = time.time()
        if current == self.target:
            self._time_at_epoch_end = now
        if current == 1:
            self._time_after_first_step = now
        if self.verbose == 1:
            if not finalize and (
                not self._dynamic_display or now - self._last_update < self.interval
            ):
                return
            self._write(self._live_message(current, now, finalize))
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now))
        self._last_update = now

    def should_draw(self, finalize: bool = False) -> bool:
        """Whether an update now would be drawn (verbose 1). A caller whose values cost
        something to produce (metric results) can skip producing them when it would not be."""
        if self.verbose != 1:
            return False
        if finalize:
            return True
        return self._dynamic_display and time.time() - self._last_update >= self.interval

    def add(self, n: int, values: Optional[list] = None) -> None:
        self.update(self._seen_so_far + n, values)

    def _record(self, current: int, values: list) -> None:
        for name, value in values:
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
                continue
            # A first call at the same step as the last (an epoch end after the last batch)
            # still counts as one step, as in tf.keras.
            steps = max(current - self._seen_so_far, 1)
            entry = self._values.get(name)
            if entry is None:
                self._values[name] = [value * steps, steps]
            else:
                entry[0] = entry[0] + value * steps
                entry[1] += steps
        self._seen_so_far = current

    def _write(self, message: str) -> None:
        io_utils.print_msg(message, line_break=False)

    def _live_message(self, current: int, now: float, finalize: bool) -> str:
        previous_width = self._total_width
        message = "\b" * previous_width + "\r" if self._dynamic_display else ""
        if self.target is not None:
            digits = len(str(int(self.target)))
            bar = f"{current:{digits}d}/{self.target} ["
            filled = int(self.width * float(current) / self.target)
            if filled > 0:
                bar += "=" * (filled - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - filled) + "]"
        else:
            bar = f"{current:7d}/Unknown"
        self._total_width = len(bar)
        message += bar

        time_per_unit = self._step_duration(current, now)
        if self.target is None or finalize:
            info = f" - {now - self._start:.0f}s" + _format_time(time_per_unit, self.unit_name)
        else:
            info = " - ETA: " + _format_eta(time_per_unit * (self.target - current))
        for name, (total, count) in self._values.items():
            average = _mean(total, count)
            info += f" - {name}: {average:.4f}" if abs(average) > 1e-3 else f" - {name}: {average:.4e}"

        self._total_width += len(info)
        if previous_width > self._total_width:
            info += " " * (previous_width - self._total_width)
        if finalize:
            info += "\n"
        return message + info

    def _summary_line(self, current: int, now: float) -> str:
        if self.target is not None:
            line = f"{current:{len(str(int(self.target)))}d}/{self.target}"
        else:
            line = f"{current:7d}/Unknown"
        line += f" - {now - self._start:.0f}s"
        for name, (total, count) in self._values.items():
            average = _mean(total, count)
            # tf.keras compares without abs() here, so negative values print in e-notation.
            line += f" - {name}: {average:.4f}" if average > 1e-3 else f" - {name}: {average:.4e}"
        if self._time_at_epoch_end:
            time_per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
            self._time_at_epoch_start = now
            self._time_at_epoch_end = None
            line += " -" + _format_time(time_per_epoch, "epoch")
            line += " -" + _format_time(time_per_epoch / self.target, self.unit_name)
        return line + "\n"

    def _step_duration(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first step (graph warm-up, allocation) once known."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current
