"""``keras.config``: global settings, as Keras 3 exposes them.

``enable_unsafe_deserialization()`` lets configs rebuild Python lambdas (``Lambda`` layers
saved as bytecode) in this thread, as ``safe_mode=False`` does for one load.

``device()``/``set_device()`` choose where new weights are created (``kerasish.devices``);
``dtype_policy()``/``set_dtype_policy()`` are Keras 3's names for the global mixed precision
policy (``kerasish.mixed_precision``).

``set_max_epochs``/``set_max_steps_per_epoch`` (or ``KERAS_MAX_EPOCHS``/
``KERAS_MAX_STEPS_PER_EPOCH`` at import) cap every ``fit`` (and the steps of ``evaluate``/
``predict``) with Keras' warning, for quick debugging runs of unmodified scripts.

Switches kept for Keras code that sets or reads them, with no other effect in kerasish:
flash attention (kerasish's attention layers always hand torch's fused
``scaled_dot_product_attention`` the choice of kernel, which is what Keras' torch backend does
unless a layer forces flash attention), traceback filtering (kerasish does not rewrite
tracebacks) and NNX (a JAX feature).
"""

from __future__ import annotations

import os
import warnings
from typing import Optional

from kerasish.backend import (
    backend,
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
from kerasish.utils.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

__all__ = [
    "backend",
    "device",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_backend",
    "set_max_epochs",
    "set_max_steps_per_epoch",
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


# ------------------------------------------------------------------ debugging caps

_MAX_EPOCHS: list[Optional[int]] = [
    int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None
]
_MAX_STEPS_PER_EPOCH: list[Optional[int]] = [
    int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"]) if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ else None
]


def set_max_epochs(max_epochs: Optional[int]) -> None:
    """Cap the epochs of every ``fit`` (``None``: no cap)."""
    _MAX_EPOCHS[0] = max_epochs


def max_epochs() -> Optional[int]:
    return _MAX_EPOCHS[0]


def set_max_steps_per_epoch(max_steps_per_epoch: Optional[int]) -> None:
    """Cap the steps of each epoch of ``fit``, ``evaluate`` and ``predict`` (``None``: no cap)."""
    _MAX_STEPS_PER_EPOCH[0] = max_steps_per_epoch


def max_steps_per_epoch() -> Optional[int]:
    return _MAX_STEPS_PER_EPOCH[0]


def capped_epochs(epochs: int) -> int:
    """``epochs`` under ``max_epochs()``, warning as Keras' trainer does when it cuts."""
    cap = _MAX_EPOCHS[0]
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps: Optional[int]) -> Optional[int]:
    """``steps`` under ``max_steps_per_epoch()`` (``None``, a whole epoch, counts as more)."""
    cap = _MAX_STEPS_PER_EPOCH[0]
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


# ------------------------------------------------------------------ recorded switches

_FLASH_ATTENTION: list[Optional[bool]] = [None]
_TRACEBACK_FILTERING = [True]


def enable_flash_attention() -> None:
    """Let attention layers use flash attention where they can (Keras' default, ``None``)."""
    _FLASH_ATTENTION[0] = None


def disable_flash_attention() -> None:
    _FLASH_ATTENTION[0] = False


def is_flash_attention_enabled() -> Optional[bool]:
    """``None`` (the default: used where possible) or ``False``, as Keras 3 reports it."""
    return _FLASH_ATTENTION[0]


def enable_traceback_filtering() -> None:
    _TRACEBACK_FILTERING[0] = True


def disable_traceback_filtering() -> None:
    _TRACEBACK_FILTERING[0] = False


def is_traceback_filtering_enabled() -> bool:
    return _TRACEBACK_FILTERING[0]


def is_nnx_enabled() -> bool:
    return False


def set_backend(backend: str) -> None:
    """Keras 3 reloads itself on another backend; kerasish is Keras on torch only, so
    ``"torch"`` is accepted (nothing to reload) and any other name is refused."""
    if backend != "torch":
        raise NotImplementedError(
            f"keras.config.set_backend({backend!r}): kerasish runs on the torch backend only; "
            f"the only accepted value is 'torch'. Received: backend={backend!r}"
        )
    os.environ["KERAS_BACKEND"] = "torch"
