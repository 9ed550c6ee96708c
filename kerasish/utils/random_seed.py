"""``keras.utils.set_random_seed``: one call seeds Python, NumPy and torch."""

from __future__ import annotations

import random

import numpy as np
import torch


def set_random_seed(seed: int) -> None:
    if not isinstance(seed, int):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})"
        )
    from kerasish import random as keras_random

    keras_random.reset_global_seed_generator()  # re-made from the reseeded ``random``, as Keras
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
