"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule
``u_t = b1 * (1 - 0.5 * 0.96^t)``, whose running product is optimizer state.

Keras 2 stretched that schedule, ``0.96^(t * schedule_decay)`` with ``schedule_decay=0.004``
(tf.keras' legacy Nadam kept it under the name ``decay``); pass either to get Keras 2's
arithmetic. Without them the exponent is Keras 3's plain ``t``.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish.optimizers.base import Optimizer


class Nadam(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        schedule_decay: Optional[float] = kwargs.pop("schedule_decay", None)
        if schedule_decay is None:
            schedule_decay = kwargs.pop("decay", None)
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2 wrote None for the default
        self.schedule_decay = schedule_decay

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        tensors = self._trainable_variables
        self._momentums, self._velocities = self.add_optimizer_variables(
            tensors, ["momentum", "velocity"]
        )
        dtype = tensors[0].dtype if tensors else None
        self._u_product = self.add_variable((), initializer=1.0, dtype=dtype, name="u_product")

    def _momentum_cache(self, step: torch.Tensor) -> torch.Tensor:
        if self.schedule_decay is not None:
            step = step * self.schedule_decay
        return self.beta_1 * (1.0 - 0.5 * torch.pow(0.96, step))

    def _before_update_step(self) -> None:
        local_step = (self.iterations + 1).to(self._u_product.dtype)
        self._u_product.mul_(self._momentum_cache(local_step))

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        dtype, device = learning_rate.dtype, learning_rate.device
        local_step = (self.iterations + 1).to(device, dtype)
        u_t = self._momentum_cache(local_step)
        u_t_1 = self._momentum_cache(local_step + 1)
        u_product_t = self._u_product.to(device, dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = torch.pow(self.beta_2, local_step)

        momentums = [self._momentums[i] for i in indices]
        velocities = [self._velocities[i] for i in indices]
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_add_(velocities, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)

        m_hat = torch._foreach_mul(momentums, u_t_1)
        torch._foreach_div_(m_hat, 1 - u_product_t_1)
        g_part = torch._foreach_mul(grads, 1 - u_t)
        torch._foreach_div_(g_part, 1 - u_product_t)
        torch._foreach_add_(m_hat, g_part)
        denominators = torch._foreach_div(velocities, 1 - beta_2_power)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_mul_(m_hat, learning_rate)
        torch._foreach_div_(m_hat, denominators)
        torch._foreach_sub_(variables, m_hat)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        if self.schedule_decay is not None:  # Keras 2 only
            config["schedule_decay"] = self.schedule_decay
        return config
