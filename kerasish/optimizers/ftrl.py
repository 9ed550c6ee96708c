"""FTRL-proximal (McMahan et al.) with Keras' arguments, including ``beta`` and the L2
shrinkage term; each step rewrites the variable from its ``linear`` and ``accumulator`` slots."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class Ftrl(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        checks = (
            ("initial_accumulator_value", initial_accumulator_value, "positive or zero", 1),
            ("learning_rate_power", learning_rate_power, "negative or zero", -1),
            ("l1_regularization_strength", l1_regularization_strength, "positive or zero", 1),
            ("l2_regularization_strength", l2_regularization_strength, "positive or zero", 1),
            (
                "l2_shrinkage_regularization_strength",
                l2_shrinkage_regularization_strength,
                "positive or zero",
                1,
            ),
        )
        for argument, value, wanted, sign in checks:
            if value * sign < 0.0:
                raise ValueError(
                    f"`{argument}` needs to be {wanted}. Received: {argument}={value}."
                )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators, self._linears = self.add_optimizer_variables(
            self._trainable_variables,
            ["accumulator", "linear"],
            initializer=[self.initial_accumulator_value, "zeros"],
        )

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        accumulators = [self._accumulators[i] for i in indices]
        linears = [self._linears[i] for i in indices]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)

        grads_to_use = torch._foreach_add(
            grads, torch._foreach_mul(variables, 2 * self.l2_shrinkage_regularization_strength)
        )
        new_accumulators = torch._foreach_add(accumulators, torch._foreach_mul(grads, grads))
        new_powers = torch._foreach_pow(new_accumulators, power)
        sigmas = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigmas, learning_rate)
        torch._foreach_mul_(sigmas, variables)
        torch._foreach_sub_(grads_to_use, sigmas)
        torch._foreach_add_(linears, grads_to_use)

        quadratics = torch._foreach_div(new_powers, learning_rate)
        # A 0-dim tensor as the second operand of foreach add reads it on the host; a list of
        # them broadcasts on the device instead.
        torch._foreach_add_(quadratics, [2 * l2] * len(quadratics))
        values = torch._foreach_clamp_max(torch._foreach_clamp_min(linears, -l1), l1)
        torch._foreach_sub_(values, linears)
        torch._foreach_div_(values, quadratics)
        torch._foreach_copy_(variables, values)
        torch._foreach_copy_(accumulators, new_accumulators)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta,
            }
        )
        return config
