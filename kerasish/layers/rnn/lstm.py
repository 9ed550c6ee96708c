"""LSTM and LSTMCell: Keras' LSTM (Hochreiter 1997) with torch.nn.LSTM's parameters and kernel.

Keras' gate order (i, f, c, o) is torch's, so ``weight_ih_l0`` is the transposed Keras
``kernel`` (a view). Keras has one bias where torch has two: ``bias_hh_l0`` is a zero buffer
kept for torch's state_dict keys, and a torch state_dict with a non-zero ``bias_hh_l0`` is
folded into ``bias_ih_l0`` when loaded (the sum is all the math ever sees).

Paths: torch's fused LSTM kernel (cuDNN on GPU) when the activations are tanh/sigmoid and there
is no mask and no recurrent dropout; otherwise a loop over time with Keras' formulas, for any
activations (Keras 2's ``hard_sigmoid`` included), masks and dropout.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import activations, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.rnn import loop
from kerasish.layers.rnn.base_rnn import RNN, SelfCell
from kerasish.layers.rnn.cell_core import (
    SIGMOID,
    TANH,
    CellCore,
    fold_recurrent_bias,
    recurrent_matmul,
    validate_use_cudnn,
)


def _forget_bias_initializer(base: Any, units: int) -> Any:
    """Keras' ``unit_forget_bias``: the base initializer, with the forget slice set to ones."""

    def initializer(shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        parts = [base((units,), dtype), torch.ones(units), base((2 * units,), dtype)]
        return torch.cat([torch.as_tensor(p, dtype=torch.float64) for p in parts])

    return initializer


class LSTMCore(CellCore):
    GATES = 4
    _recurrent_mask_count = 4

    def _init_lstm(
        self,
        units: int,
        activation: Any,
        recurrent_activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        recurrent_initializer: Any,
        bias_initializer: Any,
        unit_forget_bias: bool,
        kernel_regularizer: Any,
        recurrent_regularizer: Any,
        bias_regularizer: Any,
        kernel_constraint: Any,
        recurrent_constraint: Any,
        bias_constraint: Any,
        dropout: float,
        recurrent_dropout: float,
        seed: Optional[int],
        implementation: int,
    ) -> None:
        self._init_core(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        # Keras switches to per-gate dropout masks (implementation 1) with recurrent dropout.
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        self.register_load_state_dict_pre_hook(fold_recurrent_bias)

    def _lstm_config(self) -> dict:
        config = self._core_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config

    def _bias_init(self) -> Any:
        if self.unit_forget_bias:
            return _forget_bias_initializer(self.bias_initializer, self.units)
        return self.bias_initializer

    def _after_build(self) -> None:
        if self.use_bias:
            bias_ih = self._torch_param("bias_ih")
            self.register_buffer("bias_hh" + self._suffix, torch.zeros_like(bias_ih))

    def _input_mask_count(self) -> Optional[int]:
        return 4 if self.implementation == 1 else None

    def _make_step(self, recurrent_masks: Optional[torch.Tensor]) -> loop.Step:
        weight_hh = self._torch_param("weight_hh")
        act, rec_act = self.activation, self.recurrent_activation

        def step(z_x: torch.Tensor, states: list) -> tuple[torch.Tensor, list]:
            h, c = states
            z = z_x + recurrent_matmul(h, weight_hh, recurrent_masks)
            z_i, z_f, z_c, z_o = z.chunk(4, dim=-1)
            c = rec_act(z_f) * c + rec_act(z_i) * act(z_c)
            h = rec_act(z_o) * act(c)
            return h, [h, c]

        return step

    def _fused_kernel(self) -> Any:
        if self.activation not in TANH or self.recurrent_activation not in SIGMOID:
            return None
        params = [self._torch_param("weight_ih"), self._torch_param("weight_hh")]
        if self.use_bias:
            params += [self._torch_param("bias_ih"), self._torch_param("bias_hh")]

        def run(inputs: torch.Tensor, states: list) -> tuple:
            h, c = states
            sequence, h_n, c_n = torch._VF.lstm(
                inputs,
                (h.unsqueeze(0), c.unsqueeze(0)),
                params,
                self.use_bias,  # has_biases
                1,  # num_layers
                0.0,  # dropout between layers
                torch.is_grad_enabled(),  # train: keep what backward needs (cuDNN)
                False,  # bidirectional
                True,  # batch_first
            )
            return h_n[0], sequence, [h_n[0], c_n[0]]

        return run


class LSTMCell(LSTMCore, Layer):
    """One LSTM step: ``call(inputs, [h, c]) -> (h, [h, c])``; use inside ``RNN``."""

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: Optional[int] = None,
        implementation: int = 2,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, **kwargs)
        self._init_lstm(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed, implementation,
        )
        self.state_size = [units, units]

    def build(self, input_shape: Any) -> None:
        self._build_core(tuple(input_shape))
        self.built = True

    def call(self, inputs: torch.Tensor, states: Any, training: Optional[bool] = None) -> Any:
        return self._cell_call(inputs, states, training)

    def get_config(self) -> dict:
        return {**Layer.get_config(self), **self._lstm_config()}

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"


class LSTM(SelfCell, LSTMCore, RNN):
    """Long Short-Term Memory layer with Keras' arguments and numerics."""

    _suffix = "_l0"
    _STATE_NAMES = ("state_h", "state_c")

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
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
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: Optional[int] = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        time_major: bool = False,
        implementation: int = 2,
        zero_output_for_mask: bool = False,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self._init_sequence_options(
            return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask, time_major,
        )
        self._init_lstm(
            units, activation, recurrent_activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
            recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed, implementation,
        )
        self.use_cudnn = validate_use_cudnn(use_cudnn)
        self.state_size = [units, units]
        self.input_spec = InputSpec(ndim=3)

    def get_config(self) -> dict:
        # tf.keras keys, without `time_major` and `implementation`: Keras 3 refuses those, so
        # leaving them out keeps the config readable by both.
        return {
            **self._sequence_config(),
            **self._lstm_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"

