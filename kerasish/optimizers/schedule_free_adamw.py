"""Schedule-Free AdamW (Defazio et al., 2024) as Keras 3 computes it on its torch backend.

The ``momentum`` slot is the sequence ``z`` the Adam-normalised gradient steps move (it starts
as a copy of the weight); the model's weight holds ``y``, the interpolation
``(1 - beta_1) z + beta_1 x`` of ``z`` and the running average ``x``, which is never stored but
recovered from ``y`` and ``z`` each step.

Keras reads ``momentum_old = momentum.value`` before updating the momentum, but on the torch
backend ``.value`` is the variable's own tensor and the update is in place, so the ``x``
recovered there uses the *new* ``z``. kerasish computes that same quantity, so its weights equal
Keras' step for step. Keras 3.15 swaps nothing around evaluation or saving: the model always
holds ``y``, and so it does here.

All weights of a device and dtype update together in foreach kernels; constants are float32
0-dim tensors as Keras' casts make them (``1 - beta_2`` is computed in the weight's dtype).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class ScheduleFreeAdamW(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "velocity"]
        )
        torch._foreach_copy_(self._momentums, [t.detach() for t in self._trainable_variables])

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        dtype, device = variables[0].dtype, variables[0].device
        local_step = (self.iterations + 1).to(device, dtype)
        beta_1 = torch.tensor(self.beta_1, dtype=dtype, device=device)
        beta_2 = torch.tensor(self.beta_2, dtype=dtype, device=device)
        lr = learning_rate
        if self.warmup_steps > 0:
            lr = lr * torch.clamp(local_step / self.warmup_steps, max=1.0)

        momentums = [self._momentums[i] for i in indices]
        velocities = [self._velocities[i] for i in indices]
        bias_correction_2 = 1 - torch.pow(beta_2, local_step)
        differences = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(differences, velocities)
        torch._foreach_mul_(differences, 1 - beta_2)
        torch._foreach_add_(velocities, differences)

        denominators = torch._foreach_div(velocities, bias_correction_2)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        steps = torch._foreach_mul(grads, lr)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(momentums, steps)

        weight = 1.0 / local_step
        # x = (y - (1 - beta_1) z) / beta_1, with the updated z (see the module docstring).
        averages = torch._foreach_mul(momentums, 1 - beta_1)
        averages = torch._foreach_sub(variables, averages)
        torch._foreach_div_(averages, beta_1)
        # x = (1 - w) x + w z; y = (1 - beta_1) z + beta_1 x.
        torch._foreach_mul_(averages, 1 - weight)
        torch._foreach_add_(averages, torch._foreach_mul(momentums, weight))
        torch._foreach_mul_(averages, beta_1)
        interpolations = torch._foreach_mul(momentums, 1 - beta_1)
        torch._foreach_add_(interpolations, averages)
        torch._foreach_copy_(variables, interpolations)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps,
            }
        )
        return config
