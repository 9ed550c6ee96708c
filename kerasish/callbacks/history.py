"""History: every epoch's logs, returned by ``fit``."""

from __future__ import annotations

from typing import Optional

from kerasish.callbacks.base import Callback, logs_to_floats


class History(Callback):
    """``history`` maps each log name to its per-epoch values; ``epoch`` lists the epochs seen.

    It reads values at epoch end only, so it never adds a host sync to a batch.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        self.epoch.append(epoch)
        for key, value in logs_to_floats(logs).items():
            self.history.setdefault(key, []).append(value)
        # Set again at each epoch so the model points at the latest History, as Keras does.
        self.model.history = self
