"""``keras.config``: global settings, as Keras 3 exposes them.

``enable_unsafe_deserialization()`` lets configs rebuild Python lambdas (``Lambda`` layers
saved as bytecode) in this thread, as ``safe_mode=False`` does for one load.

``device()``/``set_device()`` choose where new weights are created (``kerasish.devices``);
``dtype_policy()``/``set_dtype_policy()`` are Keras 3's names for the global mixed precision
policy (``kerasish.mixed_precision``).
"""

from __future__ import annotations

from kerasish.backend import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from kerasish.devices import current as device
from kerasish.devices import set_device
from kerasish.mixed_precision.policy import global_policy as dtype_policy
from kerasish.mixed_precision.policy import set_global_policy as set_dtype_policy

__all__ = [
    "device",
    "dtype_policy",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_device",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]


def enable_unsafe_deserialization() -> None:
    """Allow deserializing Python bytecode (lambdas) from now on, in this thread."""
    from kerasish.saving.serialization import SafeModeScope

    # Entering a scope that is never exited leaves the thread's setting at False.
    SafeModeScope(False).__enter__()
