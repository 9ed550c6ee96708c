"""Adadelta as Keras computes it: the step ``-rms(dx) / rms(g) * g`` is scaled by the learning
rate (Keras' default 1e-3, torch.optim's 1.0)."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class Adadelta(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2 wrote None for the default

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            self._trainable_variables, ["accumulated_grad", "accumulated_delta_var"]
        )

    def _rms(self, tensors: list) -> list:
        result = torch._foreach_add(tensors, self.epsilon)
        torch._foreach_sqrt_(result)
        return result

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        rho = self.rho
        accumulated_grads = [self._accumulated_grads[i] for i in indices]
        accumulated_deltas = [self._accumulated_delta_vars[i] for i in indices]
        torch._foreach_mul_(accumulated_grads, rho)
        torch._foreach_add_(accumulated_grads, torch._foreach_mul(grads, grads), alpha=1 - rho)
        deltas = torch._foreach_mul(self._rms(accumulated_deltas), grads)
        torch._foreach_div_(deltas, self._rms(accumulated_grads))
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(accumulated_deltas, rho)
        torch._foreach_add_(accumulated_deltas, torch._foreach_mul(deltas, deltas), alpha=1 - rho)
        torch._foreach_mul_(deltas, learning_rate)
        torch._foreach_add_(variables, deltas)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
