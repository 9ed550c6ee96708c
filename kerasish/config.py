"""``keras.config``: global settings, as Keras 3 exposes them.

``enable_unsafe_deserialization()`` lets configs rebuild Python lambdas (``Lambda`` layers
saved as bytecode) in this thread, as ``safe_mode=False`` does for one load.
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

__all__ = [
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]


def enable_unsafe_deserialization() -> None:
    """Allow deserializing Python bytecode (lambdas) from now on, in this thread."""
    from kerasish.saving.serialization import SafeModeScope

    # Entering a scope that is never exited leaves the thread's setting at False.
    SafeModeScope(False).__enter__()
