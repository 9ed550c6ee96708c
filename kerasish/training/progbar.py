"""A Keras-style progress bar that reads the clock, not the device.

It redraws at most every ``interval`` seconds, so printing never forces a host sync per step.
"""

from __future__ import annotations

import sys
import time
from typing import Optional


class Progbar:
    def __init__(self, target: Optional[int], width: int = 30, verbose: int = 1, interval: float = 0.05):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._dynamic = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()

    def update(self, current: int, values: Optional[list] = None, finalize: bool = False) -> None:
        if self.verbose == 0:
            return
        now = time.perf_counter()
        if not finalize and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        if not finalize and not self._dynamic:
            return
        line = self._render(current, now - self._start, values or [], finalize)
        end = "\n" if finalize else ""
        sys.stdout.write(("\r" if self._dynamic else "") + line + end)
        sys.stdout.flush()

    def _render(self, current: int, elapsed: float, values: list, finalize: bool) -> str:
        if self.target:
            digits = len(str(self.target))
            done = int(self.width * current / self.target)
            bar = "=" * max(done - 1, 0) + (">" if current < self.target else "=") if done else ""
            bar = f"{current:>{digits}}/{self.target} [{bar:<{self.width}}]"
        else:
            bar = f"{current}/Unknown"
        per_step = elapsed / max(current, 1)
        if finalize:
            timing = f" - {elapsed:.0f}s {per_step * 1e3:.0f}ms/step"
        else:
            eta = per_step * ((self.target or current) - current)
            timing = f" - ETA: {eta:.0f}s"
        metrics = "".join(f" - {name}: {float(value):.4f}" for name, value in values)
        return bar + timing + metrics
