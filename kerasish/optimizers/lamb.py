"""Lamb (You et al., 2019) as Keras 3 computes it: Adam's bias-corrected direction, rescaled per
weight by the trust ratio ``||w|| / ||update||`` (1 when either norm is 0).

The norms of all weights come from one ``_foreach_norm`` each and the ratio is chosen with
tensor ops, so no norm is read on the host.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class Lamb(Optimizer):
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
        self.epsilon = epsilon

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "velocity"]
        )

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        local_step = (self.iterations + 1).to(learning_rate.device, learning_rate.dtype)
        beta_1_power = torch.pow(self.beta_1, local_step)
        beta_2_power = torch.pow(self.beta_2, local_step)

        momentums = [self._momentums[i] for i in indices]
        velocities = [self._velocities[i] for i in indices]
        # Keras' m += (g - m) * (1 - beta_1): a lerp towards the gradient.
        torch._foreach_lerp_(momentums, grads, 1 - self.beta_1)
        torch._foreach_lerp_(velocities, torch._foreach_mul(grads, grads), 1 - self.beta_2)

        updates = torch._foreach_div(momentums, 1 - beta_1_power)
        denominators = torch._foreach_div(velocities, 1 - beta_2_power)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(updates, denominators)

        weight_norms = torch.stack(torch._foreach_norm(variables))
        update_norms = torch.stack(torch._foreach_norm(updates))
        ones = torch.ones_like(weight_norms)
        ratios = torch.where(
            weight_norms > 0,
            torch.where(update_norms > 0, weight_norms / update_norms, ones),
            ones,
        )
        torch._foreach_mul_(updates, (ratios * learning_rate).unbind())
        torch._foreach_sub_(variables, updates)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
