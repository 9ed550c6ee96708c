"""SGD with Keras' momentum form: ``m = mu*m - lr*g; p += m`` (nesterov: ``p += mu*m - lr*g``).

This differs from torch.optim's ``buf = mu*buf + g; p -= lr*buf`` as soon as the learning rate
changes during training.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class SGD(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if (
            not isinstance(momentum, numbers.Real)
            or isinstance(momentum, bool)
            or momentum < 0
            or momentum > 1
        ):
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums: list = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(self._trainable_variables, "momentum")

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        step = torch._foreach_mul(grads, -learning_rate)
        if self.momentum != 0:
            momentums = [self.momentums[i] for i in indices]
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, step)
            if self.nesterov:
                torch._foreach_add_(variables, step)
                torch._foreach_add_(variables, momentums, alpha=self.momentum)
            else:
                torch._foreach_add_(variables, momentums)
        else:
            torch._foreach_add_(variables, step)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
