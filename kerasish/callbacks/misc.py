"""Small callbacks: TerminateOnNaN and LambdaCallback."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

from kerasish.callbacks.base import Callback, print_msg, scalar


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    It must read the loss every batch, which is a host sync per step: the price of stopping at
    that very batch. ``raise_error=True`` raises ``RuntimeError`` instead of stopping cleanly
    (so other callbacks' ``on_train_end`` does not run).
    """

    _supports_tensor_logs = True

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = scalar(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook.

    ``on_epoch_begin``/``on_epoch_end`` take ``(epoch, logs)``, ``on_train_begin``/
    ``on_train_end`` take ``(logs)``, the batch hooks take ``(batch, logs)``. Any other hook of
    ``Callback`` can be given by name as a keyword (Keras 2's ``on_batch_begin``/``on_batch_end``
    included). Batch hooks given here receive float logs.
    """

    def __init__(
        self,
        on_epoch_begin: Optional[Callable] = None,
        on_epoch_end: Optional[Callable] = None,
        on_train_begin: Optional[Callable] = None,
        on_train_end: Optional[Callable] = None,
        on_train_batch_begin: Optional[Callable] = None,
        on_train_batch_end: Optional[Callable] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        named = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, function in named.items():
            if function is not None:
                setattr(self, name, function)
