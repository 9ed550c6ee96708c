"""LossScaleOptimizer: dynamic loss scaling for float16 training, with Keras 3's rules.

float16 gradients underflow; multiplying the loss by a large scale keeps them representable,
and the optimizer divides it out again before the update. Keras 3's dynamic rule: a step whose
gradients are not all finite is skipped and halves the scale; after ``dynamic_growth_steps``
finite steps in a row the scale doubles. ``compile`` wraps the optimizer in one automatically
when the model's policy is ``mixed_float16`` (``auto_scale_loss=True``), as Keras 3 does.

Unscaling and the finiteness check are one fused torch kernel per device
(``_amp_foreach_non_finite_check_and_unscale_``, what ``torch.amp.GradScaler`` uses). Deciding
whether to skip the step reads one flag on the host per step, as ``GradScaler.step`` and Keras'
torch backend (``ops.cond`` on a tensor) both do; the scale bookkeeping stays on the device.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish.optimizers.base import Optimizer

# Base-optimizer arguments Keras' LossScaleOptimizer accepts only at their defaults (configs of
# older versions carry them); anything else belongs on the inner optimizer.
_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`. Instead, set `{key}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer: `inner_optimizer` must be a kerasish optimizer. Received: "
                f"{type(inner_optimizer).__name__}"
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        # Gradients must not be unscaled twice.
        self.inner_optimizer.loss_scale_factor = None

    def build(self, variables: Sequence[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.step_counter = self.add_variable((), "zeros", "int64", "step_counter")
        self.dynamic_scale = self.add_variable((), self.initial_scale, "float32", "dynamic_scale")
        self.inner_optimizer.build(variables)

    # ----------------------------------------------------------------- delegation

    @property
    def iterations(self) -> torch.Tensor:
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value: Any) -> None:
        self.inner_optimizer.iterations = value

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    lr = learning_rate

    @property
    def variables(self) -> list[torch.Tensor]:
        return super().variables + self.inner_optimizer.variables

    def variable_slots(self) -> list:
        return super().variable_slots() + self.inner_optimizer.variable_slots()

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    # ---------------------------------------------------------------------- steps

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        if not self.built:
            return loss * self.initial_scale
        return loss * self.dynamic_scale.to(loss.device)

    def apply(
        self,
        grads: Sequence[Optional[torch.Tensor]],
        trainable_variables: Optional[Sequence[Any]] = None,
    ) -> None:
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            self.build(trainable_variables)
        grads = list(grads)
        with torch.no_grad():
            finite = self._unscale_and_check(grads)
        if finite:
            self.inner_optimizer.apply(grads, trainable_variables)
            with torch.no_grad():
                grow = self.step_counter == self.dynamic_growth_steps - 1
                self.dynamic_scale.copy_(
                    torch.where(grow, self.dynamic_scale * 2.0, self.dynamic_scale)
                )
                self.step_counter.copy_(
                    torch.where(grow, torch.zeros_like(self.step_counter), self.step_counter + 1)
                )
        else:
            with torch.no_grad():
                self.step_counter.zero_()
                self.dynamic_scale.mul_(0.5)

    def _unscale_and_check(self, grads: list) -> bool:
        """Divide the gradients by the scale in place; True when all of them are finite."""
        by_device: dict[torch.device, list[torch.Tensor]] = {}
        for grad in grads:
            if grad is not None:
                by_device.setdefault(grad.device, []).append(grad)
        found = []
        for device, group in by_device.items():
            found_inf = torch.zeros(1, dtype=torch.float32, device=device)
            inv_scale = self.dynamic_scale.to(device).reciprocal().reshape(1)
            torch._amp_foreach_non_finite_check_and_unscale_(group, found_inf, inv_scale)
            found.append(found_inf.to(self._device))
        if not found:
            return True
        # The one host read of the step: whether to skip it.
        return not bool(torch.stack(found).sum().item())

    # --------------------------------------------------------------------- config

    def get_config(self) -> dict:
        from kerasish.optimizers.serialization import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> LossScaleOptimizer:
        from kerasish.optimizers.serialization import get

        config = dict(config)
        inner = config.pop("inner_optimizer", None)
        if inner is None:
            raise TypeError(
                "LossScaleOptimizer.__init__() missing 1 required positional argument: "
                "'inner_optimizer'"
            )
        if isinstance(inner, dict):
            from kerasish.optimizers.serialization import deserialize

            inner = deserialize(inner, custom_objects)
        else:
            inner = get(inner)
        return cls(inner, **config)
