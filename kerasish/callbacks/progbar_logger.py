"""ProgbarLogger: ``Epoch 1/5`` and tf.keras 2.x's progress bar for fit, evaluate and predict."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from kerasish.callbacks.base import Callback, print_msg
from kerasish.training.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints the progress bar (verbose 1) or one line per epoch (verbose 2).

    Batch logs are read only for the updates the bar draws (a few times a second on a terminal,
    never before the epoch's end otherwise), and their tensors are read on the host only then.
    The loop's logs are already running averages, so every metric is shown as given (tf.keras
    marks all of the model's metrics stateful). Validation inside ``fit`` is silent.
    """

    _supports_tensor_logs = True

    def __init__(
        self, count_mode: str = "steps", stateful_metrics: Optional[Iterable[str]] = None
    ) -> None:
        super().__init__()
        if count_mode == "samples":
            raise NotImplementedError(
                "ProgbarLogger(count_mode='samples') is not supported: kerasish's loops report "
                "steps, not sample counts. Use count_mode='steps'."
            )
        if count_mode != "steps":
            raise ValueError(
                f"Unknown `count_mode`: {count_mode}. Expected values are "
                '["samples", "steps"]'
            )
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.seen = 0
        self.progbar: Optional[Progbar] = None
        self.target: Optional[int] = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _needs_batches(self) -> bool:
        # verbose 2 draws once per epoch; batches matter only to count steps of unknown length.
        return self.verbose == 1 or self.target is None

    def _implements_train_batch_hooks(self) -> bool:
        return self._needs_batches()

    def _implements_test_batch_hooks(self) -> bool:
        return self._needs_batches()

    def _implements_predict_batch_hooks(self) -> bool:
        return self._needs_batches()

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self._called_in_fit = True

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        self._called_in_fit = False

    def on_test_begin(self, logs: Optional[dict] = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs: Optional[dict] = None) -> None:
        self._reset_progbar()

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        self._update_progbar(batch, None)  # predictions are not metrics

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: Optional[dict] = None) -> None:
        self._finalize_progbar(None)

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = Progbar(
            target=self.target, verbose=self.verbose, stateful_metrics=self.stateful_metrics
        )

    def _update_progbar(self, batch: int, logs: Optional[dict]) -> None:
        if self.progbar is None:
            self._reset_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            # Logs may compute values when read (the trainer's metric logs): read them only
            # for the updates that are drawn. Every value is stateful, so skipping loses nothing.
            values = self._values(logs) if self.progbar.should_draw() else None
            self.progbar.update(self.seen, values, finalize=False)

    def _finalize_progbar(self, logs: Optional[dict]) -> None:
        if self.progbar is None:
            self._reset_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, self._values(logs), finalize=True)

    def _values(self, logs: Optional[dict]) -> Optional[list[tuple[str, Any]]]:
        if not logs:
            return None
        self.progbar.stateful_metrics.update(logs)
        return list(logs.items())
