"""RMSprop with Keras' defaults (lr 1e-3, rho 0.9, epsilon 1e-7) and epsilon *inside* the square
root: ``p -= lr * g / sqrt(v + eps)`` (torch.optim adds it outside)."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class RMSprop(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2 wrote None for the default
        self.centered = centered

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        tensors = self._trainable_variables
        self._velocities = self.add_optimizer_variables(tensors, "velocity")
        self._momentums: list = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(tensors, "momentum")
        self._average_gradients: list = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(tensors, "average_gradient")

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        rho = self.rho
        velocities = [self._velocities[i] for i in indices]
        torch._foreach_mul_(velocities, rho)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = [self._average_gradients[i] for i in indices]
            torch._foreach_mul_(averages, rho)
            torch._foreach_add_(averages, grads, alpha=1 - rho)
            torch._foreach_sub_(denominators, torch._foreach_mul(averages, averages))
        torch._foreach_sqrt_(denominators)
        increments = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(increments, denominators)
        if self.momentum > 0:
            momentums = [self._momentums[i] for i in indices]
            torch._foreach_mul_(momentums, self.momentum)
            torch._foreach_add_(momentums, increments)
            torch._foreach_sub_(variables, momentums)
        else:
            torch._foreach_sub_(variables, increments)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
