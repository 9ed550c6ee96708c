"""``keras.mixed_precision``: dtype policies and loss scaling.

``set_global_policy("mixed_bfloat16")`` makes layers created afterwards keep float32 weights and
compute in bfloat16 (``mixed_float16``: float16, with loss scaling in ``fit``); a layer's own
``dtype=`` (a name or a policy) overrides the global policy. See ``autocast`` for how a call
runs in its compute dtype.
"""

from kerasish.mixed_precision.policy import (
    DTypePolicy,
    FloatDTypePolicy,
    Policy,
    global_policy,
    set_global_policy,
)
from kerasish.optimizers.loss_scale_optimizer import LossScaleOptimizer

# Keras 3 spellings of the same functions.
dtype_policy = global_policy
set_dtype_policy = set_global_policy

__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]
