"""Tensors as NumPy arrays the way Keras returns them.

NumPy has no bfloat16; Keras 3 returns ``ml_dtypes.bfloat16`` arrays for bfloat16 values
(``get_weights``, ``predict``), so kerasish does the same when ml_dtypes is installed and
falls back to float32 otherwise.
"""

from __future__ import annotations

import numpy as np
import torch


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A NumPy array of ``tensor``'s values (may share memory with a CPU tensor)."""
    tensor = tensor.detach()
    if tensor.dtype != torch.bfloat16:
        return tensor.cpu().numpy()
    array = tensor.float().cpu().numpy()
    try:
        import ml_dtypes
    except ImportError:
        return array
    return array.astype(ml_dtypes.bfloat16)


def to_tensor(value: object) -> torch.Tensor:
    """``torch.as_tensor`` that also takes the ``ml_dtypes.bfloat16`` arrays ``to_numpy`` gives."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.name == "bfloat16":
        return torch.from_numpy(array.astype(np.float32)).to(torch.bfloat16)
    return torch.as_tensor(array)
