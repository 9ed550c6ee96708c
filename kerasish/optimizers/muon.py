"""Muon (Jordan et al., 2024; Liu et al., 2025) as Keras 3 computes it.

Weights that are matrices in Keras' layout take the Muon step: Nesterov momentum, then an
approximate orthogonalisation of the momentum by five quintic Newton-Schulz iterations, scaled by
``sqrt(max(rows, cols)) * rms_rate``. Everything else takes Keras' AdamW step instead: weights
whose Keras rank is not 2, embeddings (``"embedding"`` in the variable's path, unless
``exclude_embeddings=False``) and paths matching an ``exclude_layers`` regex. Each group decays
with its own rate (``weight_decay`` / ``adam_weight_decay``).

kerasish holds a Dense kernel as torch's ``(out, in)``, Keras' transpose. Newton-Schulz gives
the transposed result for a transposed input only up to rounding, so the iteration runs on the
Keras-layout view of each momentum (no copy), in Keras' orientation and operation order, and
its update is written back through the torch-layout view. The elementwise parts run as foreach
kernels over all weights of a group; no value is read on the host.
"""

from __future__ import annotations

import math
import re
from typing import Any, Optional, Sequence

import torch

from kerasish.optimizers.adafactor import _keras_shape
from kerasish.optimizers.base import Optimizer
from kerasish.variables import Variable


class Muon(Optimizer):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: Optional[float] = 0.004,
        epsilon: float = 1e-7,
        weight_decay: Optional[float] = 0.004,
        exclude_layers: Optional[Sequence[str]] = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: Optional[float] = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, keras_shape: tuple, path: str) -> bool:
        if len(keras_shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        count = len(self._trainable_variables)
        self._momentums: list[torch.Tensor] = []
        self._adam_velocities: list[Optional[torch.Tensor]] = [None] * count
        self._layouts = []
        self._uses_adamw: list[bool] = []
        for index, (given, tensor) in enumerate(zip(self._given_variables, self._trainable_variables)):
            layout = given._layout if isinstance(given, Variable) else None
            # Plain tensors carry no path: only the rank rule can send them to AdamW.
            path = given.path if isinstance(given, Variable) else ""
            uses_adamw = self._should_use_adamw(_keras_shape(tensor, layout), path)
            self._layouts.append(layout)
            self._uses_adamw.append(uses_adamw)
            self._momentums.append(self.add_variable_from_reference(tensor, "momentum"))
            if uses_adamw:
                self._adam_velocities[index] = self.add_variable_from_reference(tensor, "velocity")

    # ----------------------------------------------------------------------------- decay

    def _apply_weight_decay(self, indices: list[int], learning_rate: torch.Tensor) -> None:
        """Keras' ``variable - variable * wd * lr``, with the AdamW group's own rate. (Muon
        decays even when ``weight_decay`` is None, if ``adam_weight_decay`` is set.)"""
        for uses_adamw, rate in ((True, self.adam_weight_decay), (False, self.weight_decay)):
            if rate is None:
                continue
            decayed = [
                i for i in indices if self._uses_adamw[i] == uses_adamw and self._use_weight_decay(i)
            ]
            if not decayed:
                continue
            for group_indices, _ in self._groups(decayed, decayed):
                variables = [self._trainable_variables[i] for i in group_indices]
                dtype, device = variables[0].dtype, variables[0].device
                wd = torch.tensor(rate, dtype=dtype, device=device)
                lr = learning_rate.to(device, dtype)
                decrements = torch._foreach_mul(variables, wd)
                torch._foreach_mul_(decrements, lr)
                torch._foreach_sub_(variables, decrements)

    # ----------------------------------------------------------------------------- update

    def _parallel_update_step(self, grads, variables, learning_rate, indices):
        adam = [k for k, i in enumerate(indices) if self._uses_adamw[i]]
        muon = [k for k, i in enumerate(indices) if not self._uses_adamw[i]]
        if adam:
            self._adamw_update(
                [grads[k] for k in adam],
                [variables[k] for k in adam],
                learning_rate * self.adam_lr_ratio,
                [indices[k] for k in adam],
            )
        if muon:
            self._muon_update(
                [grads[k] for k in muon],
                [variables[k] for k in muon],
                learning_rate,
                [indices[k] for k in muon],
            )

    def _adamw_update(self, grads, variables, learning_rate, indices):
        """Keras' Adam step in its operation order (``m += (g - m) * (1 - b1)``...)."""
        dtype, device = variables[0].dtype, variables[0].device
        local_step = (self.iterations + 1).to(device, dtype)
        beta_1_power = torch.pow(torch.tensor(self.adam_beta_1, dtype=dtype, device=device), local_step)
        beta_2_power = torch.pow(torch.tensor(self.adam_beta_2, dtype=dtype, device=device), local_step)
        alpha = learning_rate * torch.sqrt(1 - beta_2_power) / (1 - beta_1_power)

        momentums = [self._momentums[i] for i in indices]
        velocities = [self._adam_velocities[i] for i in indices]
        differences = torch._foreach_sub(grads, momentums)
        torch._foreach_mul_(differences, 1 - self.adam_beta_1)
        torch._foreach_add_(momentums, differences)
        differences = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(differences, velocities)
        torch._foreach_mul_(differences, 1 - self.adam_beta_2)
        torch._foreach_add_(velocities, differences)

        steps = torch._foreach_mul(momentums, alpha)
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(variables, steps)

    def _muon_update(self, grads, variables, learning_rate, indices):
        momentums = [self._momentums[i] for i in indices]
        # Keras' m += g + m * (momentum - 1), then g + momentum * m for Nesterov.
        increments = torch._foreach_mul(momentums, self.momentum - 1)
        torch._foreach_add_(increments, grads)
        torch._foreach_add_(momentums, increments)
        if self.nesterov:
            directions = torch._foreach_mul(momentums, self.momentum)
            directions = torch._foreach_add(grads, directions)
        else:
            directions = momentums
        for index, variable, direction in zip(indices, variables, directions):
            layout = self._layouts[index]
            keras_direction = direction if layout is None else layout.to_keras(direction)
            update = self.zeropower_via_newtonschulz5(keras_direction, self.ns_steps)
            update = self.lr_adjust(learning_rate * update)
            variable.sub_(update if layout is None else layout.to_torch(update))

    def lr_adjust(self, x: torch.Tensor) -> torch.Tensor:
        """Moonlight's scaling, ``sqrt(max(n, m)) * rms_rate``, which lets Muon share Adam's
        learning rate and weight decay (Liu et al., 2025); none when ``rms_rate`` is None."""
        if self.rms_rate is None:
            return x
        return x * math.sqrt(max(x.shape[0], x.shape[1])) * self.rms_rate

    def zeropower_via_newtonschulz5(self, x: torch.Tensor, steps: int) -> torch.Tensor:
        """``U S' V^T`` close to the orthogonal factor of ``x``: quintic Newton-Schulz steps with
        Keras' coefficients, on the wide orientation, after scaling the spectral norm below 1."""
        if x.ndim < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={tuple(x.shape)}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = x.mT
        x = x / (torch.linalg.norm(x, dim=(-2, -1), keepdim=True) + 1e-7)
        for _ in range(steps):
            gram = x @ x.mT
            polynomial = b * gram + c * gram @ gram
            x = a * x + polynomial @ x
        return x.mT if tall else x

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "muon_a": self.muon_a,
                "muon_b": self.muon_b,
                "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum,
                "ns_steps": self.ns_steps,
                "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate,
            }
        )
        return config
