"""AdamW: Adam plus the base class' decoupled decay ``p *= 1 - wd * lr`` before each update.
Keras' default ``weight_decay`` is 0.004 (torch.optim's is 0.01)."""

from __future__ import annotations

from typing import Any

from kerasish.optimizers.adam import Adam


class AdamW(Adam):
    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
