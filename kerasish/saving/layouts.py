"""The one table of Keras <-> torch weight layouts, keyed by layer class.

Built-in layers keep their parameters in torch-native layout (Dense ``weight`` is ``(out, in)``)
so ``state_dict()`` loads into the matching ``torch.nn`` module. Keras layouts exist only at the
Keras-facing edges (``get_weights``/``set_weights``, ``layer.kernel``, HDF5 and ``.keras``
files, the converter), and all of them read this table.
"""

from __future__ import annotations

import functools
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


def _renamed(layout: WeightLayout, torch_name: str) -> WeightLayout:
    return WeightLayout(torch_name, layout.to_torch, layout.to_keras)


def _lora(kernel: WeightLayout) -> dict[str, WeightLayout]:
    """LoRA factors (``layers/lora.py``) as PEFT stores them: Keras' A ``(*k, in, rank)`` is laid
    out like the kernel, ``lora_A`` ``(rank, in, *k)``; B ``(rank, out)`` is ``lora_B``
    ``(out, rank)``. The merged torch weight is then ``weight + scale * lora_B @ lora_A``."""
    return {
        "lora_kernel_a": _renamed(kernel, "lora_A"),
        "lora_kernel_b": WeightLayout("lora_B", _transpose, _transpose),
    }


def _recurrent(suffix: str) -> dict[str, WeightLayout]:
    """torch.nn.LSTM / RNN names (suffix "_l0") or LSTMCell / RNNCell names (suffix "").

    torch keeps two biases that are always summed; Keras' single bias is ``bias_ih`` and the
    layer keeps ``bias_hh`` as a zero buffer (a torch ``bias_hh`` is folded in when loading).
    """
    return {
        "kernel": WeightLayout("weight_ih" + suffix, _transpose, _transpose),
        "recurrent_kernel": WeightLayout("weight_hh" + suffix, _transpose, _transpose),
        "bias": WeightLayout("bias_ih" + suffix),
    }


def _gru_gate_order(x: torch.Tensor) -> torch.Tensor:
    """Swap the first two thirds of the last axis: Keras' gates z, r, h <-> torch's r, z, n.

    A reorder, so a copy rather than a view; the swap is its own inverse.
    """
    z, r, h = x.chunk(3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def _gru_kernel_to_torch(kernel: torch.Tensor) -> torch.Tensor:
    return _gru_gate_order(kernel).t()


def _gru_kernel_to_keras(weight: torch.Tensor) -> torch.Tensor:
    return _gru_gate_order(weight.t())


def _gru(suffix: str) -> dict[str, WeightLayout]:
    """torch.nn.GRU / GRUCell names, gates reordered.

    Keras' bias (2, 3u) (``reset_after=True``) is stored as one parameter ``biases``; the
    layer's state_dict hooks write its rows as torch's ``bias_ih`` and ``bias_hh`` (and read
    them back). With ``reset_after=False`` the bias is (3u,), written as ``bias_ih`` alone:
    torch has no GRU of that formula.
    """
    return {
        "kernel": WeightLayout("weight_ih" + suffix, _gru_kernel_to_torch, _gru_kernel_to_keras),
        "recurrent_kernel": WeightLayout(
            "weight_hh" + suffix, _gru_kernel_to_torch, _gru_kernel_to_keras
        ),
        "bias": WeightLayout("biases" + suffix, _gru_gate_order, _gru_gate_order),
    }


def _cudnn_kernel_to_torch(kernel: torch.Tensor, gates: int) -> torch.Tensor:
    """A Keras 2 CuDNN layer's kernel ``(n, gates * u)`` -> torch's ``(gates * u, n)``.

    Keras 2 flattened each gate's ``(n, u)`` slice row-major into cuDNN's parameter buffer,
    which cuDNN reads as that gate's ``(u, n)`` matrix: per gate a reshape, not a transpose
    (so a CuDNN ``recurrent_kernel`` slice is torch's ``weight_hh`` block as it is).
    """
    n = kernel.shape[0]
    return kernel.reshape(n, gates, -1).transpose(0, 1).reshape(-1, n)


def _cudnn_kernel_to_keras(weight: torch.Tensor, gates: int) -> torch.Tensor:
    n = weight.shape[1]
    return weight.reshape(gates, n, -1).transpose(0, 1).reshape(n, -1)


def _cudnn(gates: int, reorder: Callable[[torch.Tensor], torch.Tensor]) -> dict[str, WeightLayout]:
    """Keras 2's CuDNNLSTM/CuDNNGRU as torch.nn.LSTM/GRU: kernels in cuDNN's per-gate layout,
    one bias ``(2 * gates * u,)`` (input biases, then recurrent ones) stored as ``biases_l0``
    ``(2, gates * u)``, rows ``bias_ih_l0``/``bias_hh_l0`` in state_dicts. ``reorder`` maps the
    Keras gate order to torch's (GRU: z, r, h <-> r, z, n; its own inverse)."""

    def kernel_to_torch(kernel: torch.Tensor) -> torch.Tensor:
        return _cudnn_kernel_to_torch(reorder(kernel), gates)

    def kernel_to_keras(weight: torch.Tensor) -> torch.Tensor:
        return reorder(_cudnn_kernel_to_keras(weight, gates))

    def bias_to_torch(bias: torch.Tensor) -> torch.Tensor:
        return reorder(bias.reshape(2, -1))

    def bias_to_keras(biases: torch.Tensor) -> torch.Tensor:
        return reorder(biases).reshape(-1)

    return {
        "kernel": WeightLayout("weight_ih_l0", kernel_to_torch, kernel_to_keras),
        "recurrent_kernel": WeightLayout("weight_hh_l0", kernel_to_torch, kernel_to_keras),
        "bias": WeightLayout("biases_l0", bias_to_torch, bias_to_keras),
    }


def _depthwise_to_torch(kernel: torch.Tensor) -> torch.Tensor:
    # (*k, in, dm) -> (in * dm, 1, *k): torch's Conv(groups=in) weight, output channel c*dm + m.
    return kernel.flatten(-2).movedim(-1, 0).unsqueeze(1)


def _depthwise_to_keras(weight: torch.Tensor, depth_multiplier: int) -> torch.Tensor:
    return weight.squeeze(1).movedim(0, -1).unflatten(-1, (-1, depth_multiplier))


def depthwise_kernel(torch_name: str, depth_multiplier: int = 1) -> WeightLayout:
    """Depthwise kernel ``(*k, in, depth_multiplier)`` <-> torch ``(in * dm, 1, *k)``.

    The torch shape does not say how ``in * dm`` splits, so the layer replaces the table's
    entry (written for dm = 1) by this one with its own depth multiplier.
    """
    to_keras = functools.partial(_depthwise_to_keras, depth_multiplier=depth_multiplier)
    return WeightLayout(torch_name, _depthwise_to_torch, to_keras)


def _flatten(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(-1)


def broadcast_vector(torch_name: str, keras_shape: tuple) -> WeightLayout:
    """A per-channel vector kept as torch's ``(C,)`` that Keras stores broadcast-shaped.

    tf.keras' ``BatchNormalization(virtual_batch_size=...)`` creates its weights as
    ``(1, 1, ..., C, ...)`` (the input's rank plus the virtual-batch axis); both directions are
    reshapes, so views. The layer sets this layout on its variables, as depthwise layers do.
    """
    to_keras = functools.partial(torch.reshape, shape=tuple(keras_shape))
    return WeightLayout(torch_name, _flatten, to_keras)

TABLE: dict[str, dict[str, WeightLayout]] = {
    "Dense": {"kernel": _DENSE_KERNEL, **_PLAIN, **_lora(_DENSE_KERNEL)},
    "Conv1D": {"kernel": _CONV1D_KERNEL, **_PLAIN, **_lora(_CONV1D_KERNEL)},
    "Conv2D": {"kernel": _CONV2D_KERNEL, **_PLAIN, **_lora(_CONV2D_KERNEL)},
    "Conv3D": {"kernel": _CONV3D_KERNEL, **_PLAIN, **_lora(_CONV3D_KERNEL)},
    # Embedding's LoRA factors keep their Keras names and layout (rows are looked up).
    "Embedding": {"embeddings": WeightLayout("weight")},
    "BatchNormalization": {
        "gamma": WeightLayout("weight"),
        "beta": WeightLayout("bias"),
        "moving_mean": WeightLayout("running_mean"),
        "moving_variance": WeightLayout("running_var"),
    },
    # As torch.nn.LayerNorm / torch.nn.GroupNorm name them. (EinsumDense, PReLU and
    # Normalization have no torch counterpart: their weights keep the Keras layout.)
    "LayerNormalization": {"gamma": WeightLayout("weight"), "beta": WeightLayout("bias")},
    "GroupNormalization": {"gamma": WeightLayout("weight"), "beta": WeightLayout("bias")},
    "RMSNormalization": {"scale": WeightLayout("weight")},  # torch.nn.RMSNorm's name
    # Recurrent layers hold torch.nn.LSTM/GRU/RNN's parameters, their cells torch.nn.*Cell's.
    "LSTM": _recurrent("_l0"),
    "LSTMCell": _recurrent(""),
    "SimpleRNN": _recurrent("_l0"),
    "SimpleRNNCell": _recurrent(""),
    "GRU": _gru("_l0"),
    "GRUCell": _gru(""),
    # Keras 2's CuDNN layers (kerasish.layers.cudnn_recurrent).
    "CuDNNLSTM": _cudnn(4, _identity),
    "CuDNNGRU": _cudnn(3, _gru_gate_order),
    # ConvLSTM: conv kernels (*k, in, 4 * filters), gates i, f, c, o as LSTM's.
    **{
        f"ConvLSTM{rank}D": {
            "kernel": _renamed(kernel, "weight_ih"),
            "recurrent_kernel": _renamed(kernel, "weight_hh"),
            "bias": WeightLayout("bias"),
        }
        for rank, kernel in ((1, _CONV1D_KERNEL), (2, _CONV2D_KERNEL), (3, _CONV3D_KERNEL))
    },
    # Transposed conv kernels are (*k, out, in); torch's ConvTranspose weight is
    # (in, out, *k): the same permutation as a Conv kernel's.
    "Conv1DTranspose": {"kernel": _CONV1D_KERNEL, **_PLAIN},
    "Conv2DTranspose": {"kernel": _CONV2D_KERNEL, **_PLAIN},
    "Conv3DTranspose": {"kernel": _CONV3D_KERNEL, **_PLAIN},
    # Keras 3 names the depthwise kernel `kernel` (tf.keras: `depthwise_kernel`).
    "DepthwiseConv1D": {"kernel": depthwise_kernel("weight"), **_PLAIN},
    "DepthwiseConv2D": {"kernel": depthwise_kernel("weight"), **_PLAIN},
    # Separable = depthwise (groups=in) then a 1x1 conv (a plain conv kernel).
    "SeparableConv1D": {
        "depthwise_kernel": depthwise_kernel("depthwise_weight"),
        "pointwise_kernel": _renamed(_CONV1D_KERNEL, "pointwise_weight"),
        **_PLAIN,
    },
    "SeparableConv2D": {
        "depthwise_kernel": depthwise_kernel("depthwise_weight"),
        "pointwise_kernel": _renamed(_CONV2D_KERNEL, "pointwise_weight"),
        **_PLAIN,
    },
}


def lookup(layer_class: type, keras_name: str) -> Optional[WeightLayout]:
    """The layout of ``keras_name`` for the nearest class in ``layer_class``'s MRO, if any."""
    for cls in layer_class.__mro__:
        entry = TABLE.get(cls.__name__)
        if entry is not None:
            return entry.get(keras_name)
    return None
