"""Adafactor (Shazeer & Stern, 2018) as Keras 3 computes it.

Keras factors the second moment of a weight of rank >= 2 over its *Keras* last two axes: a row
statistic ``r`` (the mean of ``g^2`` over the last axis) and a column statistic ``c`` (the mean
over the second-to-last), from which it rebuilds a full ``velocity``. kerasish keeps parameters
in torch layout (a Dense weight is ``(out, in)``, Keras' kernel ``(in, out)``; a Conv2D weight
puts the channels first, Keras last), and factoring torch's last two axes would factor other
axes than Keras does. So the factored statistics are computed on Keras-layout views of the
gradient (the layout of each kerasish ``Variable`` the optimizer was built with) and ``r``/``c``
are kept in Keras layout, with Keras' shapes, which is also the layout files hold. Plain torch
tensors have no other layout: their own axes are Keras' axes.

``r`` and ``c`` belong to no parameter's torch layout, so ``variable_slots()`` lists them without
a parameter index and file writers store them as they are. Like Keras, a weight of rank < 2 gets
two int32 scalar placeholders instead, so the ``variables`` list has Keras' length and order
(``r``, ``c``, ``velocity`` per weight).
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import torch

from kerasish.optimizers.base import Optimizer
from kerasish.saving.layouts import WeightLayout
from kerasish.variables import Variable


class Adafactor(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        # Keras caps a constant learning rate by 1/sqrt(t) when this is set, and then caps the
        # step size by the same bound unconditionally, so the flag cannot change a step.
        self.relative_step = relative_step

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._layouts: list[Optional[WeightLayout]] = []
        self._factored: list[bool] = []
        self._r: list[torch.Tensor] = []
        self._c: list[torch.Tensor] = []
        self._velocities: list[torch.Tensor] = []
        for given, tensor in zip(self._given_variables, self._trainable_variables):
            layout = given._layout if isinstance(given, Variable) else None
            keras_shape = _keras_shape(tensor, layout)
            factored = len(keras_shape) >= 2
            if factored:
                r_shape, c_shape = keras_shape[:-1], keras_shape[:-2] + keras_shape[-1:]
                r = torch.zeros(r_shape, dtype=tensor.dtype, device=tensor.device)
                c = torch.zeros(c_shape, dtype=tensor.dtype, device=tensor.device)
            else:  # Keras' placeholders: `Variable(0)`, int32 scalars
                r = torch.zeros((), dtype=torch.int32, device=tensor.device)
                c = torch.zeros((), dtype=torch.int32, device=tensor.device)
            self._r.append(self._track(r, "r", None))
            self._c.append(self._track(c, "c", None))
            self._layouts.append(layout)
            self._factored.append(factored)
            self._velocities.append(self.add_variable_from_reference(tensor, "velocity"))

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        local_step = (self.iterations + 1).to(learning_rate.device, learning_rate.dtype)
        rho = torch.minimum(learning_rate, 1 / torch.sqrt(local_step))
        beta_2 = 1 - torch.pow(local_step, self.beta_2_decay)

        # Step size per weight: max(epsilon_2, rms(weight)) * rho, before the weight moves.
        alphas = torch._foreach_clamp_min(_rms(variables), self.epsilon_2)
        torch._foreach_mul_(alphas, rho)

        squares = torch._foreach_mul(grads, grads)
        torch._foreach_add_(squares, self.epsilon_1)
        velocities = [self._velocities[i] for i in indices]
        factored = [k for k, i in enumerate(indices) if self._factored[i]]
        plain = [k for k, i in enumerate(indices) if not self._factored[i]]
        if plain:
            plain_velocities = [velocities[k] for k in plain]
            torch._foreach_mul_(plain_velocities, beta_2)
            torch._foreach_add_(
                plain_velocities, torch._foreach_mul([squares[k] for k in plain], 1 - beta_2)
            )
        if factored:
            self._update_factored(
                [squares[k] for k in factored],
                [velocities[k] for k in factored],
                [indices[k] for k in factored],
                beta_2,
            )

        updates = torch._foreach_div(grads, torch._foreach_sqrt(velocities))
        # u / max(1, rms(u) / clip_threshold), times the step size.
        scales = torch._foreach_div(_rms(updates), self.clip_threshold)
        torch._foreach_clamp_min_(scales, 1.0)
        scales = torch._foreach_div(alphas, scales)
        torch._foreach_mul_(updates, scales)
        torch._foreach_sub_(variables, updates)

    def _update_factored(self, squares, velocities, indices, beta_2):
        """r, c: moving means of g^2 over Keras' last / second-to-last axis; then
        velocity = (r / mean(r)) outer c, written back in the parameter's torch layout."""
        layouts = [self._layouts[i] for i in indices]
        keras_squares = [s if lay is None else lay.to_keras(s) for s, lay in zip(squares, layouts)]
        statistics = [self._r[i] for i in indices] + [self._c[i] for i in indices]
        means = [s.mean(-1) for s in keras_squares] + [s.mean(-2) for s in keras_squares]
        torch._foreach_mul_(statistics, beta_2)
        torch._foreach_add_(statistics, torch._foreach_mul(means, 1 - beta_2))
        for index, velocity, layout in zip(indices, velocities, layouts):
            r, c = self._r[index], self._c[index]
            rows = (r / r.mean(-1, keepdim=True)).unsqueeze(-1)
            if layout is None:
                torch.mul(rows, c.unsqueeze(-2), out=velocity)
            else:
                velocity.copy_(layout.to_torch(rows * c.unsqueeze(-2)))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config


def _keras_shape(tensor: torch.Tensor, layout: Optional[WeightLayout]) -> tuple:
    if layout is None:
        return tuple(tensor.shape)
    return tuple(layout.to_keras(torch.empty(tensor.shape, device="meta")).shape)


def _rms(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """sqrt(mean(x^2)) of each tensor, as 0-dim device tensors: norm / sqrt(numel)."""
    return torch._foreach_div(
        torch._foreach_norm(tensors), [math.sqrt(t.numel()) for t in tensors]
    )
