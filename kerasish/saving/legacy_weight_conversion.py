"""Keras 2.2.5's ``preprocess_weights_for_loading``: old saved weights rewritten for the layer
that receives them, before the count and shape checks.

Values stay in Keras layout here; ``saving/layouts.py`` moves them into torch layout afterwards,
as for any file. In Keras 2.2.5's order:

1. Wrappers and nested models: a ``Bidirectional``'s values are its forward then backward
   layer's, a ``TimeDistributed``'s its inner layer's, a nested model's its layers' (all
   trainable values, then all non-trainable ones); each part is converted for its own layer.
2. Keras 1 weights (the weights group has no ``keras_version``, or a 1.x one; Keras 1 never
   wrote it there): LSTM (12 values, gates i, c, f, o), GRU (9) and ConvLSTM2D (12) per-gate
   lists are concatenated in Keras 2's gate order; ``dim_ordering="th"`` kernels (now
   ``channels_first`` layers) are moved to Keras 2's ``(*kernel, in, out)``; Conv1D's 4D
   kernel loses its dummy axis; Deconvolution2D kernels swap in/out.
3. Theano weights (``backend="theano"``): Conv1D/2D/3D, Conv2DTranspose and ConvLSTM2D
   kernels get their spatial axes reversed (Theano convolves, torch correlates). A 4D kernel
   of the wrong shape that fits once transposed ``(3, 2, 0, 1)`` is transposed; with
   ``load_weights(reshape=True)``, a kernel of the right size is reshaped instead.
4. CuDNN weights into plain LSTM/GRU layers and back (``cudnn_weights``).

Two Keras 2.2.5 slips are not copied: a Keras 1 ``TimeDistributed`` layer is converted once
(2.2.5 converted it twice, undoing a transposition), and channels_first Keras 1 ConvLSTM2D
gate kernels are transposed before being concatenated (2.2.5 concatenated along the columns).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from kerasish.saving import cudnn_weights
from kerasish.utils.conv_utils import convert_kernel

_CONV_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D")
# Keras 1 listed LSTM/ConvLSTM2D gates as i, c, f, o (W, U, b each); Keras 2 orders i, f, c, o.
_KERAS1_LSTM_GATES = (0, 2, 1, 3)


def is_keras1(keras_version: Optional[str]) -> bool:
    """Keras 2.2.5 read a weights group without ``keras_version`` as Keras 1's."""
    return keras_version is None or str(keras_version).split(".", 1)[0] == "1"


def preprocess_weights_for_loading(
    layer: Any,
    weights: list,
    keras_version: Optional[str] = None,
    backend: Optional[str] = None,
    reshape: bool = False,
) -> list[np.ndarray]:
    """The file's ``weights`` for ``layer`` (Keras layout) as ``layer`` expects them.

    ``keras_version``/``backend``: the weights group's attributes (None where absent).
    ``reshape``: ``load_weights(reshape=True)``: a convolution kernel of another shape but the
    same size is reshaped (only for ``layer`` itself, as in Keras 2.2.5).
    """
    weights = list(weights)
    kind = type(layer).__name__
    if kind == "Bidirectional":
        half = len(weights) // 2
        weights = preprocess_weights_for_loading(
            layer.forward_layer, weights[:half], keras_version, backend
        ) + preprocess_weights_for_loading(layer.backward_layer, weights[half:], keras_version, backend)
    elif kind == "TimeDistributed":
        weights = preprocess_weights_for_loading(layer.layer, weights, keras_version, backend)
    elif _is_model(layer):
        weights = _nested_model(layer, weights, keras_version, backend)
    if is_keras1(keras_version):
        weights = _keras1(layer, kind, weights)
    if kind in _CONV_LAYERS and weights:
        weights = _conv_kernels(layer, kind, weights, backend, reshape)
    return cudnn_weights.convert_rnn_weights(layer, weights)


def _is_model(layer: Any) -> bool:
    from kerasish.models.model import Model

    return isinstance(layer, Model) and hasattr(layer, "layers")


def _nested_model(model: Any, weights: list, keras_version: Optional[str], backend: Optional[str]) -> list:
    converted: list = []
    for attribute in ("trainable_weights", "non_trainable_weights"):
        for sublayer in model.layers:
            count = len(getattr(sublayer, attribute))
            if count and weights:
                converted.extend(
                    preprocess_weights_for_loading(sublayer, weights[:count], keras_version, backend)
                )
                weights = weights[count:]
    return converted + weights  # leftovers kept, so the count check reports them


# ------------------------------------------------------------------ Keras 1


def _keras1(layer: Any, kind: str, weights: list) -> list:
    if kind == "Conv1D":
        return [_keras1_conv1d_kernel(layer, weights[0])] + weights[1:]
    if kind == "Conv2D" and layer.data_format == "channels_first":
        return [_transposed(weights[0], (2, 3, 1, 0))] + weights[1:]
    if kind == "Conv2DTranspose":
        axes = (0, 1, 3, 2) if layer.data_format == "channels_last" else (2, 3, 0, 1)
        return [_transposed(weights[0], axes)] + weights[1:]
    if kind == "Conv3D" and layer.data_format == "channels_first":
        return [_transposed(weights[0], (2, 3, 4, 1, 0))] + weights[1:]
    if kind == "GRU" and len(weights) == 9:  # z, r, h in both versions
        return [np.concatenate(weights[i::3], axis=-1) for i in range(3)]
    if kind == "LSTM" and len(weights) == 12:
        return _keras1_lstm_gates(weights)
    if kind == "ConvLSTM2D" and len(weights) == 12:
        if layer.data_format == "channels_first":
            # (filters, stack, rows, cols) per gate -> (rows, cols, stack, filters)
            weights = [_transposed(w, (2, 3, 1, 0)) if w.ndim == 4 else w for w in weights]
        return _keras1_lstm_gates(weights)
    return weights


def _keras1_lstm_gates(weights: list) -> list:
    """``[W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o]`` -> kernel,
    recurrent kernel, bias, gates concatenated as i, f, c, o."""
    return [
        np.concatenate([weights[3 * gate + part] for gate in _KERAS1_LSTM_GATES], axis=-1)
        for part in range(3)
    ]


def _transposed(kernel: np.ndarray, axes: tuple) -> np.ndarray:
    """Keras 1 kernels have the rank of the layer's; one already converted is left alone."""
    return np.transpose(kernel, axes) if kernel.ndim == len(axes) else kernel


def _keras1_conv1d_kernel(layer: Any, kernel: np.ndarray) -> np.ndarray:
    """Keras 1.1+ stored ``(filter_length, 1, input_dim, filters)``, Keras 1.0
    ``(filters, input_dim, filter_length, 1)``; Keras 2 drops the dummy axis."""
    if kernel.ndim != 4:
        return kernel
    length, filters = layer.kernel_size[0], layer.filters
    shape = kernel.shape
    if shape[:2] != (length, 1) or shape[3] != filters:
        if shape[0] != filters or shape[2:] != (length, 1):
            raise ValueError(
                f"The Keras 1 Conv1D kernel saved for layer '{layer.name}' has shape {shape}, "
                f"which is neither Keras 1.1's (filter_length, 1, input_dim, filters) = "
                f"({length}, 1, input_dim, {filters}) nor Keras 1.0's (filters, input_dim, "
                f"filter_length, 1) = ({filters}, input_dim, {length}, 1)."
            )
        kernel = np.transpose(kernel, (2, 3, 1, 0))
    return kernel[:, 0, :, :]


# ------------------------------------------------------------------ conv kernels


def _conv_kernels(layer: Any, kind: str, weights: list, backend: Optional[str], reshape: bool) -> list:
    weights = list(weights)
    kernels = (0, 1) if kind == "ConvLSTM2D" else (0,)
    if backend == "theano":
        for index in kernels:
            weights[index] = convert_kernel(weights[index])
    expected = _first_weight_shape(layer)
    kernel = weights[0]
    if reshape and expected is not None and kernel.shape != expected:
        if kernel.size != int(np.prod(expected)):
            raise ValueError(
                "Weights must be of equal size to apply a reshape operation. Layer "
                f"{layer.name}'s weights have shape {expected} and size {int(np.prod(expected))}. "
                f"The weights for loading have shape {kernel.shape} and size {kernel.size}."
            )
        weights[0] = np.reshape(kernel, expected)
    elif (
        expected is not None
        and kernel.ndim == 4
        and kernel.shape != expected
        and np.transpose(kernel, (3, 2, 0, 1)).shape == expected
    ):
        for index in kernels:
            weights[index] = np.transpose(weights[index], (3, 2, 0, 1))
    return weights


def _first_weight_shape(layer: Any) -> Optional[tuple]:
    from kerasish.saving.legacy_h5_weights import legacy_weights

    variables = legacy_weights(layer)
    return tuple(variables[0].shape) if variables else None
