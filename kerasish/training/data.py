"""Turning user data (numpy, torch, lists, dicts) into the flat list of tensors a model takes.

Arrays become tensors once, up front; batches are then slices (views) of those tensors, so the
per-batch cost is an index, not a conversion.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.utils import tree


def to_tensor(value: Any, dtype: str | None = None, device: torch.device | None = None) -> Any:
    """``value`` as a torch tensor of ``dtype`` on ``device``; for a ``"string"`` input (torch has
    no strings) a NumPy array, which the text layers read."""
    if dtype == "string":
        return value if isinstance(value, np.ndarray) else np.asarray(value)
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError(f"Cannot convert data of type {type(value).__name__} to a tensor.")
        if not array.flags.writeable:  # torch would share (and warn about) read-only memory
            array = array.copy()
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if dtype is not None:
        target = backend.torch_dtype(dtype)
        if tensor.dtype != target:
            tensor = tensor.to(target)
    if device is not None and tensor.device != device:
        tensor = tensor.to(device)
    return tensor


def flatten_model_inputs(model: Any, x: Any) -> list:
    """The user's ``x`` as a list aligned with ``model.inputs`` (a dict is matched by name)."""
    names = model.input_names
    count = len(names)
    if isinstance(x, dict):
        if isinstance(model._nested_inputs, dict):
            missing = [k for k in model._nested_inputs if k not in x]
            if missing:
                raise ValueError(f"Missing data for input(s) {missing} of model '{model.name}'.")
            return tree.flatten({k: x[k] for k in model._nested_inputs})
        missing = [name for name in names if name not in x]
        if missing:
            raise ValueError(
                f"Model '{model.name}' expects inputs named {names}, but the dict passed has "
                f"keys {sorted(x)}; missing: {missing}."
            )
        return [x[name] for name in names]
    if isinstance(x, (list, tuple)) and not _is_single_array(x, count):
        flat = tree.flatten(x)
        if len(flat) != count:
            raise ValueError(
                f'Layer "{model.name}" expects {count} input(s), but it received {len(flat)} '
                "input tensors."
            )
        return flat
    if count != 1:
        raise ValueError(
            f'Layer "{model.name}" expects {count} input(s), but it received 1 input tensors.'
        )
    return [x]


def _is_single_array(x: Sequence, count: int) -> bool:
    """A plain nested Python list of numbers meant as one array (single-input models only)."""
    return count == 1 and len(x) > 0 and not isinstance(x[0], (np.ndarray, torch.Tensor, list, tuple, dict))


def num_samples(tensors: Sequence[torch.Tensor]) -> int:
    sizes = {int(t.shape[0]) for t in tensors}
    if len(sizes) != 1:
        raise ValueError(
            f"Data cardinality is ambiguous: the input arrays have different numbers of samples "
            f"{sorted(sizes)}. Make sure all arrays contain the same number of samples."
        )
    return sizes.pop()
