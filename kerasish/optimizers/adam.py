"""Adam with Keras' "epsilon hat": the bias corrections fold into the step size
``alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)`` and epsilon (1e-7) is added to ``sqrt(v)``
unscaled, so ``eps_keras = eps_torch * sqrt(1 - b2^t)``.

That identity is what lets the update run on torch's fused kernel (one pass over each tensor,
instead of ten foreach passes that allocate three temporaries): torch's formula with
``eps = epsilon / sqrt(1 - b2^t)`` is Keras' step. ``t`` comes from the host-side step counter,
so no device value is read. The foreach path remains for layouts and devices the fused kernel
cannot take (see ``fused_kernels``)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from kerasish.optimizers import fused_kernels
from kerasish.optimizers.base import Optimizer


class Adam(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2 wrote None for the default
        self.amsgrad = amsgrad

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        tensors = self._trainable_variables
        self._momentums, self._velocities = self.add_optimizer_variables(
            tensors, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(tensors, "velocity_hat")

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        momentums = [self._momentums[i] for i in indices]
        velocities = [self._velocities[i] for i in indices]
        velocity_hats = [self._velocity_hats[i] for i in indices] if self.amsgrad else []
        slots = (momentums, velocities, *([velocity_hats] if self.amsgrad else []))
        if (
            isinstance(self.beta_1, (int, float))
            and isinstance(self.beta_2, (int, float))
            and fused_kernels.fused_adam_supported(variables[0])
            and fused_kernels.share_dense_layout(variables, grads, *slots)
        ):
            self._fused_update(grads, variables, learning_rate, momentums, velocities, velocity_hats)
        else:
            self._foreach_update(grads, variables, learning_rate, momentums, velocities, velocity_hats)

    def _fused_update(self, grads, variables, learning_rate, momentums, velocities, velocity_hats):
        step = self._host_step() // (self.gradient_accumulation_steps or 1) + 1
        epsilon = self.epsilon / math.sqrt(1.0 - self.beta_2**step)
        local_step = (self.iterations + 1).to(learning_rate.device, torch.float32)
        torch._fused_adam_(
            variables,
            grads,
            momentums,
            velocities,
            velocity_hats,
            [local_step] * len(variables),
            lr=learning_rate,
            beta1=self.beta_1,
            beta2=self.beta_2,
            weight_decay=0.0,  # Keras' decay is decoupled: the base class applied it
            eps=epsilon,
            amsgrad=self.amsgrad,
            maximize=False,
        )

    def _foreach_update(self, grads, variables, learning_rate, momentums, velocities, velocity_hats):
        local_step = (self.iterations + 1).to(learning_rate.device, learning_rate.dtype)
        beta_1_power = torch.pow(self.beta_1, local_step)
        beta_2_power = torch.pow(self.beta_2, local_step)
        alpha = learning_rate * torch.sqrt(1 - beta_2_power) / (1 - beta_1_power)

        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)
        if self.amsgrad:
            torch._foreach_maximum_(velocity_hats, velocities)
            velocities = velocity_hats

        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        steps = torch._foreach_mul(momentums, alpha)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(variables, steps)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config
