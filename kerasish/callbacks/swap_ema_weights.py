"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's moving averages.

With ``use_ema=True`` the optimizer keeps an exponential moving average of every trainable
weight. This callback exchanges weights and averages in place before evaluation and exchanges
them back after, so metrics are those of the averaged model while training continues from the
raw weights. The exchange is a device-side copy through one temporary per weight; nothing is
read on the host.

Keras 3.15's ``on_predict_end`` tests the wrong flag and so never swaps back: after
``predict`` the model keeps the averages (and the next ``evaluate`` does not swap again). This
callback does the same, so the weights after any sequence of calls are Keras'.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch

from kerasish.callbacks.base import Callback


class SwapEMAWeights(Callback):
    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    # ----------------------------------------------------------------------------- swapping

    @staticmethod
    def _swap(optimizer: Any) -> None:
        variables = optimizer._trainable_variables
        averages = optimizer._model_variables_moving_average
        with torch.no_grad():
            current = [v.detach().clone() for v in variables]
            torch._foreach_copy_(variables, averages)
            torch._foreach_copy_(averages, current)

    @staticmethod
    def _finalize(optimizer: Any) -> None:
        """Put the swapped-out averages back into the optimizer before ``fit`` ends, since
        ``finalize_variable_values`` then copies them into the model."""
        with torch.no_grad():
            torch._foreach_copy_(optimizer._model_variables_moving_average, optimizer._trainable_variables)

    def _apply_to_ema_optimizers(self, function: Callable[[Any], None]) -> None:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        inner = getattr(optimizer, "optimizers", None)  # MultiOptimizer
        if inner is None:
            _require_ema(optimizer)
            function(optimizer)
            return
        if not any(getattr(opt, "use_ema", False) for opt in inner):
            raise ValueError(
                "SwapEMAWeights must be used when at least one inner optimizer has "
                "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                "having `use_ema=False`."
            )
        for opt in inner:
            if getattr(opt, "use_ema", False):
                _require_ema(opt)
                function(opt)

    def _swap_variables(self) -> None:
        self._apply_to_ema_optimizers(self._swap)

    def _finalize_ema_values(self) -> None:
        self._apply_to_ema_optimizers(self._finalize)

    # ----------------------------------------------------------------------------- hooks

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: Optional[dict] = None) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs: Optional[dict] = None) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs: Optional[dict] = None) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs: Optional[dict] = None) -> None:
        if not self._ema_weights_in_model:  # sic: Keras 3.15's condition (see the docstring)
            self._swap_variables()
            self._ema_weights_in_model = False


def _require_ema(optimizer: Any) -> None:
    if not hasattr(optimizer, "_model_variables_moving_average"):
        raise ValueError(
            "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
            f"Received: use_ema={optimizer.use_ema}"
        )
