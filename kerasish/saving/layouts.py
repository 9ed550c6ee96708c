"""The one table of Keras <-> torch weight layouts, keyed by layer class.

Built-in layers keep their parameters in torch-native layout (Dense ``weight`` is ``(out, in)``)
so ``state_dict()`` loads into the matching ``torch.nn`` module. Keras layouts exist only at the
Keras-facing edges (``get_weights``/``set_weights``, ``layer.kernel``, HDF5 and ``.keras``
files, the converter), and all of them read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _transpose(x: torch.Tensor) -> torch.Tensor:
    return x.t()


def _permute(*dims: int) -> Callable[[torch.Tensor], torch.Tensor]:
    def permute(x: torch.Tensor) -> torch.Tensor:
        return x.permute(*dims)

    return permute


@dataclass(frozen=True)
class WeightLayout:
    """Where a Keras weight lives on the torch side and how to move between the two layouts.

    Both conversions return views where a view exists (transpose, permute), so reading a
    Keras-layout weight copies nothing.
    """

    torch_name: str
    to_torch: Callable[[torch.Tensor], torch.Tensor] = _identity
    to_keras: Callable[[torch.Tensor], torch.Tensor] = _identity


_PLAIN = {"bias": WeightLayout("bias")}
_DENSE_KERNEL = WeightLayout("weight", _transpose, _transpose)
# Keras conv kernels put the spatial axes first and (in, out) last; torch puts (out, in) first.
_CONV1D_KERNEL = WeightLayout("weight", _permute(2, 1, 0), _permute(2, 1, 0))
_CONV2D_KERNEL = WeightLayout("weight", _permute(3, 2, 0, 1), _permute(2, 3, 1, 0))
_CONV3D_KERNEL = WeightLayout("weight", _permute(4, 3, 0, 1, 2), _permute(2, 3, 4, 1, 0))

TABLE: dict[str, dict[str, WeightLayout]] = {
    "Dense": {"kernel": _DENSE_KERNEL, **_PLAIN},
    "Conv1D": {"kernel": _CONV1D_KERNEL, **_PLAIN},
    "Conv2D": {"kernel": _CONV2D_KERNEL, **_PLAIN},
    "Conv3D": {"kernel": _CONV3D_KERNEL, **_PLAIN},
    "Embedding": {"embeddings": WeightLayout("weight")},
    "BatchNormalization": {
        "gamma": WeightLayout("weight"),
        "beta": WeightLayout("bias"),
        "moving_mean": WeightLayout("running_mean"),
        "moving_variance": WeightLayout("running_var"),
    },
    # torch.nn.LSTM keeps two biases; Keras' single bias is bias_ih and bias_hh stays zero.
    "LSTM": {
        "kernel": WeightLayout("weight_ih_l0", _transpose, _transpose),
        "recurrent_kernel": WeightLayout("weight_hh_l0", _transpose, _transpose),
        "bias": WeightLayout("bias_ih_l0"),
    },
}


def lookup(layer_class: type, keras_name: str) -> Optional[WeightLayout]:
    """The layout of ``keras_name`` for the nearest class in ``layer_class``'s MRO, if any."""
    for cls in layer_class.__mro__:
        entry = TABLE.get(cls.__name__)
        if entry is not None:
            return entry.get(keras_name)
    return None
