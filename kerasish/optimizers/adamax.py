"""Adamax: Adam with the infinity norm, ``u = max(b2*u, |g|)``, epsilon added to ``u``."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class Adamax(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2 wrote None for the default

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._m, self._u = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "norm"]
        )

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        local_step = (self.iterations + 1).to(learning_rate.device, learning_rate.dtype)
        beta_1_power = torch.pow(self.beta_1, local_step)
        momentums = [self._m[i] for i in indices]
        norms = [self._u[i] for i in indices]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(norms, self.beta_2)
        torch._foreach_maximum_(norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(norms, self.epsilon)
        torch._foreach_mul_(denominators, 1 - beta_1_power)
        steps = torch._foreach_mul(momentums, learning_rate)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(variables, steps)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
