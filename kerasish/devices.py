"""Where new weights live: the one device choice behind ``kerasish.config.device()``.

Keras 3 on torch creates every variable on one default device (``KERAS_TORCH_DEVICE``, else CUDA
when available, else CPU) and ``keras.device(name)`` overrides it for a block. kerasish does the
same, so the same script runs on a laptop and on a GPU machine: ``add_weight`` initializes on
the CPU (the random streams, hence the initial values, do not depend on the device) and moves
the result to ``current()``; ``fit``/``predict``/``evaluate`` send data to wherever the model's
parameters are, so a model moved with ``model.to(...)`` keeps working too.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Iterator, Optional, Union

import torch

DeviceLike = Union[str, torch.device]


class _DeviceState(threading.local):
    # ``scoped``: set by ``device_scope`` in this thread, wins over everything else.
    scoped: Optional[torch.device] = None


_STATE = _DeviceState()
_GLOBAL: list[Optional[torch.device]] = [None]  # set_device(); None = automatic


def parse(device: DeviceLike) -> torch.device:
    """A torch device from ``"cuda"``, ``"cuda:1"``, ``"gpu"`` (Keras' spelling), ``"cpu"``...

    Raises ValueError naming the received value when torch does not know the device type.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise ValueError(
            "Invalid value for argument `device_name`: expected a string such as 'cpu', "
            f"'cuda' or 'cuda:0', or a torch.device. Received: {device!r}"
        )
    name = device.strip().lower().replace("gpu", "cuda")
    if name.startswith("/"):  # TensorFlow's "/device:GPU:0", "/gpu:0", "/cpu:0"
        name = name.rsplit("/", 1)[-1].replace("device:", "")
    try:
        return torch.device(name)
    except RuntimeError as err:
        raise ValueError(
            f"Invalid value for argument `device_name`: {device!r} is not a torch device "
            "(expected e.g. 'cpu', 'cuda', 'cuda:0', 'mps' or 'meta')."
        ) from err


def default() -> torch.device:
    """``KERAS_TORCH_DEVICE`` if set, else CUDA when available, else MPS, else CPU."""
    from_env = os.environ.get("KERAS_TORCH_DEVICE")
    if from_env:
        return parse(from_env)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def current() -> torch.device:
    """The device new weights are created on, now, in this thread."""
    return _STATE.scoped or _GLOBAL[0] or default()


def set_device(device: Optional[DeviceLike]) -> None:
    """Create new weights on ``device`` from now on; ``None`` returns to the automatic choice.

    Existing models stay where they are (``model.to(device)`` moves one).
    """
    _GLOBAL[0] = None if device is None else parse(device)


@contextlib.contextmanager
def device_scope(device: DeviceLike) -> Iterator[torch.device]:
    """Keras 3's ``keras.device(name)``: weights created inside the block go to ``device``."""
    previous = _STATE.scoped
    _STATE.scoped = parse(device)
    try:
        yield _STATE.scoped
    finally:
        _STATE.scoped = previous
