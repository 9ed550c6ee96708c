"""Running one layer call in its policy's compute dtype.

Keras casts a layer's floating inputs to its compute dtype and reads its float32 variables as
that dtype inside the call. On torch the same effect comes from casting the inputs and running
the call under ``torch.autocast`` (matmuls and convolutions take half-precision weights from
autocast's per-region cache, so each weight is cast once per call, not once per use), then
casting the floating outputs to the compute dtype, so a layer's output dtype is its policy's as
in Keras whatever ops it used.

A float32 layer that Keras would hand half-precision inputs, i.e. one whose graph inputs have
another float dtype (a full-precision ``Softmax`` head after mixed layers), or one called inside
a mixed layer's call, takes its inputs in its compute dtype with autocast off. Any other layer
is left alone, so whether a layer casts depends on the model, never on what else ran in the
process; a user's own ``torch.autocast`` around a float32-policy model works as torch documents.
"""

from __future__ import annotations

import threading
from typing import Any

import torch

from kerasish import backend
from kerasish.mixed_precision import policy as policy_lib
from kerasish.utils import tree

_AUTOCAST_DEVICES = {"cpu", "cuda", "xpu", "mps", "hpu"}


class _Region(threading.local):
    """The compute dtype of the innermost kerasish mixed call running in this thread."""

    dtype: Any = None


_REGION = _Region()


def applies(layer: Any) -> bool:
    """Whether ``layer``'s call needs ``call_with_policy`` (checked once a mixed layer exists)."""
    return layer.autocast and (policy_lib.is_mixed(layer._dtype) or _REGION.dtype is not None)


def note_symbolic_inputs(layer: Any, args: tuple, kwargs: dict) -> None:
    """Mark a non-mixed float layer whose graph inputs have another float dtype (Keras casts
    them to the layer's compute dtype)."""
    compute = layer.compute_dtype
    if not layer.autocast or "float" not in compute or policy_lib.is_mixed(layer._dtype):
        return
    for value in tree.flatten((args, kwargs)):
        dtype = getattr(value, "dtype", None)
        if isinstance(dtype, str) and "float" in dtype and dtype != compute:
            layer._casts_inputs = True
            return


def cast_direct_inputs(layer: Any, args: tuple) -> tuple:
    """The positional tensors of a direct, top-level call of a non-mixed float layer, with
    their floats in the layer's compute dtype (mixed layers cast in ``call_with_policy``)."""
    if policy_lib.is_mixed(layer._dtype):
        return args
    compute = layer.compute_dtype
    if "float" not in compute:
        return args
    dtype = backend.torch_dtype(compute)

    def cast(value: Any) -> Any:
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.dtype != dtype:
            return value.to(dtype)
        return value

    return tuple(
        type(arg)(cast(item) for item in arg) if isinstance(arg, (list, tuple)) else cast(arg)
        for arg in args
    )


def _first_device(args: tuple, kwargs: dict, layer: torch.nn.Module) -> torch.device:
    for value in tree.flatten((args, kwargs)):
        if isinstance(value, torch.Tensor):
            return value.device
    for tensor in layer.parameters():
        return tensor.device
    return torch.device("cpu")


def _cast_floats(structure: Any, dtype: torch.dtype) -> Any:
    def cast(x: Any) -> Any:
        if isinstance(x, torch.Tensor) and x.is_floating_point() and x.dtype != dtype:
            return x.to(dtype)
        return x

    return tree.map_structure(cast, structure)


def call_with_policy(layer: Any, args: tuple, kwargs: dict) -> Any:
    """``layer.call(*args, **kwargs)`` with Keras' dtype policy semantics (see module doc)."""
    name = layer._dtype
    compute_name = policy_lib.compute_dtype_of(name)
    if "float" not in compute_name:  # integer/bool policies: nothing to cast
        return layer.call(*args, **kwargs)
    compute = backend.torch_dtype(compute_name)
    device = _first_device(args, kwargs, layer)
    if policy_lib.is_mixed(name):
        if device.type not in _AUTOCAST_DEVICES:
            # Shape inference on ``meta``: compute as stored, report the compute dtype.
            return _cast_floats(layer.call(*args, **kwargs), compute)
        args, kwargs = _cast_floats((args, kwargs), compute)
        previous = _REGION.dtype
        _REGION.dtype = compute
        try:
            with torch.autocast(device.type, dtype=compute):
                outputs = layer.call(*args, **kwargs)
        finally:
            _REGION.dtype = previous
        return _cast_floats(outputs, compute)
    if _REGION.dtype is None and device.type in _AUTOCAST_DEVICES and (
        torch.is_autocast_enabled(device.type)
    ):
        return layer.call(*args, **kwargs)  # the user's own torch.autocast is in charge
    args, kwargs = _cast_floats((args, kwargs), compute)
    if _REGION.dtype is None or device.type not in _AUTOCAST_DEVICES:
        return layer.call(*args, **kwargs)
    previous = _REGION.dtype
    _REGION.dtype = None
    try:
        with torch.autocast(device.type, enabled=False):
            return layer.call(*args, **kwargs)
    finally:
        _REGION.dtype = previous
