"""Adagrad with Keras' defaults (lr 1e-3, accumulators start at 0.1, epsilon inside the root)."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class Adagrad(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2 wrote None for the default

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            self._trainable_variables, "accumulator", initializer=self.initial_accumulator_value
        )

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        accumulators = [self._accumulators[i] for i in indices]
        torch._foreach_add_(accumulators, torch._foreach_mul(grads, grads))
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        steps = torch._foreach_mul(grads, learning_rate)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(variables, steps)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
