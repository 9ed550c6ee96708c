"""Keras 2's ``CuDNNLSTM`` and ``CuDNNGRU`` (``keras.layers.cudnn_recurrent``), on any device.

Keras 2.2.5 ran these only through TensorFlow's cuDNN op; Keras 3 and tf.keras 2.x dropped
them, so their model files stopped loading. What they compute is torch's own LSTM and GRU:

* ``CuDNNLSTM``: tanh/sigmoid LSTM with an input bias and a recurrent bias, torch's
  ``bias_ih``/``bias_hh``. Keras' LSTM has only their sum.
* ``CuDNNGRU``: Keras' ``GRU(reset_after=True)`` with tanh/sigmoid, torch's GRU.

So each is the kerasish layer of that formula with Keras 2's CuDNN arguments and weights: a
kernel ``(input_dim, gates * units)`` and recurrent kernel ``(units, gates * units)`` in
cuDNN's per-gate layout, and one bias ``(2 * gates * units,)``. The layouts table
(``saving/layouts.py``) turns them into ``torch.nn.LSTM``/``GRU`` parameters, and the sequence
always runs torch's fused kernel (cuDNN on a GPU). Like Keras 2's, the layers take no mask.
Their configs are Keras 2's, so the files they are saved to read back as CuDNN layers.
"""

from __future__ import annotations

import inspect
from typing import Any, Optional, Sequence

import torch

from kerasish import constraints, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.rnn.gru import GRU
from kerasish.layers.rnn.lstm import LSTM

_NO_MASK = "Masking is not supported for CuDNN RNNs."


def _refuse_other_arguments(cls: type, kwargs: dict) -> None:
    """The parent LSTM/GRU would accept its own arguments (``dropout``...); Keras 2's CuDNN
    layers did not, and silently taking one would compute something they never did."""
    unknown = {key for key in kwargs if key in _parent_arguments(cls)}
    if unknown:
        raise ValueError(
            f"Unrecognized keyword arguments passed to {cls.__name__}: "
            f"{ {key: kwargs[key] for key in sorted(unknown)} }"
        )


def _parent_arguments(cls: type) -> set:
    parent = cls.__mro__[1]
    return set(inspect.signature(parent.__init__).parameters) - {"self", "kwargs"}


def _serialized_arguments(layer: Any) -> dict:
    """The weight arguments both CuDNN layers write, under Keras 2's keys."""
    return {
        "units": layer.units,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "recurrent_initializer": initializers.serialize(layer.recurrent_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "recurrent_regularizer": regularizers.serialize(layer.recurrent_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
        "kernel_constraint": constraints.serialize(layer.kernel_constraint),
        "recurrent_constraint": constraints.serialize(layer.recurrent_constraint),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }


def _sequence_arguments(layer: Any) -> dict:
    return {
        **Layer.get_config(layer),
        "return_sequences": layer.return_sequences,
        "return_state": layer.return_state,
        "go_backwards": layer.go_backwards,
        "stateful": layer.stateful,
    }


def _cudnn_forget_bias(base: Any, units: int) -> Any:
    """Keras 2.2.5's CuDNNLSTM ``unit_forget_bias``: ones on the forget slice of the
    *recurrent* half of the bias, the base initializer elsewhere."""

    def initializer(shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        parts = [base((5 * units,), dtype), torch.ones(units), base((2 * units,), dtype)]
        return torch.cat([torch.as_tensor(p, dtype=torch.float64) for p in parts])

    return initializer


class CuDNNLSTM(LSTM):
    """Keras 2's CuDNNLSTM: an LSTM with separate input and recurrent biases."""

    _bias_base = "biases"
    _zero_bias_hh = False  # the recurrent bias is a real weight here

    def __init__(
        self,
        units: int,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ) -> None:
        _refuse_other_arguments(CuDNNLSTM, kwargs)
        super().__init__(
            units,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            **kwargs,
        )
        self.supports_masking = False

    # Both biases are parameters: rows 0 (input) and 1 (recurrent) of ``biases_l0``.
    def _bias_shape(self) -> tuple:
        return (8 * self.units,)

    def _bias_init(self) -> Any:
        if self.unit_forget_bias:
            return _cudnn_forget_bias(self.bias_initializer, self.units)
        return self.bias_initializer

    def _torch_param(self, base: str) -> torch.Tensor:
        if base == "bias_ih":
            return self.biases_l0[0]
        if base == "bias_hh":
            return self.biases_l0[1]
        return super()._torch_param(base)

    def _input_bias(self) -> Optional[torch.Tensor]:
        # The step loop (cell API) adds one bias per step; LSTM gates see only the sum.
        return self.biases_l0[0] + self.biases_l0[1]

    # state_dict: torch.nn.LSTM's ``bias_ih_l0``/``bias_hh_l0``, not the stored pair.
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        pair = destination.pop(prefix + "biases_l0", None)
        if pair is not None:
            destination[prefix + "bias_ih_l0"] = pair[0]
            destination[prefix + "bias_hh_l0"] = pair[1]

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        key_ih, key_hh = prefix + "bias_ih_l0", prefix + "bias_hh_l0"
        if key_ih in state_dict and key_hh in state_dict:
            state_dict[prefix + "biases_l0"] = torch.stack(
                [state_dict.pop(key_ih), state_dict.pop(key_hh)]
            )
        super()._load_from_state_dict(state_dict, prefix, *args)

    def call(
        self,
        inputs: torch.Tensor,
        initial_state: Any = None,
        mask: Optional[torch.Tensor] = None,
        training: Optional[bool] = None,
    ) -> Any:
        if mask is not None:
            raise ValueError(_NO_MASK)
        return super().call(inputs, initial_state=initial_state, training=training)

    def get_config(self) -> dict:
        return {
            **_sequence_arguments(self),
            **_serialized_arguments(self),
            "unit_forget_bias": self.unit_forget_bias,
        }


class CuDNNGRU(GRU):
    """Keras 2's CuDNNGRU: ``GRU(reset_after=True)`` with tanh and sigmoid."""

    def __init__(
        self,
        units: int,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ) -> None:
        _refuse_other_arguments(CuDNNGRU, kwargs)
        super().__init__(
            units,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            reset_after=True,
            **kwargs,
        )
        self.supports_masking = False

    def _bias_shape(self) -> tuple:
        return (6 * self.units,)

    def call(
        self,
        inputs: torch.Tensor,
        initial_state: Any = None,
        mask: Optional[torch.Tensor] = None,
        training: Optional[bool] = None,
    ) -> Any:
        if mask is not None:
            raise ValueError(_NO_MASK)
        return super().call(inputs, initial_state=initial_state, training=training)

    def get_config(self) -> dict:
        return {**_sequence_arguments(self), **_serialized_arguments(self)}
