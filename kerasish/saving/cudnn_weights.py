"""Keras 2.2.5's ``_convert_rnn_weights``: CuDNN weights for plain LSTM/GRU layers and back.

A Keras 2 file can hold a ``CuDNNLSTM``'s weights where the model being loaded has an
``LSTM`` (a model trained on a GPU, deployed on a CPU), or the reverse; likewise ``CuDNNGRU``
and ``GRU(reset_after=True)``. The source kind is read off the bias shape, and the Keras-layout
values are rewritten for the target layer:

* each gate's input kernel ``(n, u)``: cuDNN reads its row-major values as the ``(u, n)``
  matrix that multiplies the input, Keras as the ``(n, u)`` matrix the input multiplies, so
  ``K = reshape(kernel_gate, (u, n)).T`` (Keras 2's "Fortran/C layout" switch);
* each gate's recurrent kernel ``(u, u)`` is transposed;
* LSTM biases: CuDNN's input and recurrent halves are summed (and a Keras bias is split into
  two halves); GRU biases ``(6u,)`` <-> ``(2, 3u)``, the rows being the same two biases.

``GRU(reset_after=False)`` computes another formula: mixing it with CuDNN weights is an error,
as in Keras 2. Layers without biases are left alone (CuDNN layers always have them).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _per_gate(kernel: np.ndarray, transform: Callable[[np.ndarray], np.ndarray], gates: int) -> np.ndarray:
    return np.hstack([transform(k) for k in np.hsplit(kernel, gates)])


def _input_kernel(from_cudnn: bool) -> Callable[[np.ndarray], np.ndarray]:
    order = "F" if from_cudnn else "C"

    def transform(kernel: np.ndarray) -> np.ndarray:
        return kernel.T.reshape(kernel.shape, order=order)

    return transform


def _kernels(weights: list, gates: int, from_cudnn: bool) -> list:
    kernel = _per_gate(weights[0], _input_kernel(from_cudnn), gates)
    recurrent_kernel = _per_gate(weights[1], lambda k: k.T, gates)
    return [kernel, recurrent_kernel]


def _bias_error(layer: Any, bias_shape: tuple, expected: str) -> ValueError:
    return ValueError(
        f"Invalid bias shape: {bias_shape} in the saved weights of layer '{layer.name}' "
        f"({type(layer).__name__}): expected {expected}."
    )


def _convert_lstm(layer: Any, weights: list) -> list:
    units = weights[1].shape[0]
    bias_shape = tuple(weights[2].shape)
    if bias_shape == (8 * units,):
        source = "CuDNNLSTM"
    elif bias_shape == (4 * units,):
        source = "LSTM"
    else:
        raise _bias_error(layer, bias_shape, f"({8 * units},) (CuDNNLSTM) or ({4 * units},) (LSTM)")
    if source == type(layer).__name__:
        return weights
    from_cudnn = source == "CuDNNLSTM"
    if from_cudnn:
        bias = np.sum(np.split(weights[2], 2, axis=0), axis=0)
    else:  # any split keeps the sum, which is all an LSTM sees
        bias = np.tile(0.5 * weights[2], 2)
    return _kernels(weights, 4, from_cudnn) + [bias]


def _gru_kind(layer: Any) -> str:
    if type(layer).__name__ == "CuDNNGRU":
        return "CuDNNGRU"
    return "GRU(reset_after=True)" if layer.reset_after else "GRU(reset_after=False)"


def _convert_gru(layer: Any, weights: list) -> list:
    units = weights[1].shape[0]
    bias_shape = tuple(weights[2].shape)
    if bias_shape == (6 * units,):
        source = "CuDNNGRU"
    elif bias_shape == (2, 3 * units):
        source = "GRU(reset_after=True)"
    elif bias_shape == (3 * units,):
        source = "GRU(reset_after=False)"
    else:
        raise _bias_error(
            layer,
            bias_shape,
            f"({6 * units},) (CuDNNGRU), (2, {3 * units}) (GRU(reset_after=True)) or "
            f"({3 * units},) (GRU(reset_after=False))",
        )
    target = _gru_kind(layer)
    if source == target:
        return weights
    if "GRU(reset_after=False)" in (source, target):
        raise ValueError(
            f"{source} is not compatible with {target}: the saved weights of layer "
            f"'{layer.name}' are a {source}'s. Load them into a {source} layer."
        )
    from_cudnn = source == "CuDNNGRU"
    bias = np.asarray(weights[2]).reshape((2, -1) if from_cudnn else -1)
    return _kernels(weights, 3, from_cudnn) + [bias]


def convert_rnn_weights(layer: Any, weights: list) -> list:
    """``weights`` (Keras layout, as saved) rewritten for ``layer`` where Keras 2.2.5 did."""
    target = type(layer).__name__
    if target in ("LSTM", "CuDNNLSTM") and len(weights) == 3:
        return _convert_lstm(layer, weights)
    if target in ("GRU", "CuDNNGRU") and len(weights) == 3:
        return _convert_gru(layer, weights)
    return weights
