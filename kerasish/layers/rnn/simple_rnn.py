"""SimpleRNN and SimpleRNNCell: ``h = activation(x W + b + h U)``, stored as torch.nn.RNN.

``weight_ih_l0`` is the transposed Keras ``kernel`` (a view), ``bias_ih_l0`` the Keras bias and
``bias_hh_l0`` a zero buffer for torch's state_dict keys (folded into ``bias_ih_l0`` when a
torch state_dict is loaded). With tanh or relu, no mask and no recurrent dropout, torch's fused
RNN kernel runs the sequence.
"""

from __future__ import annotations

from typing import Any, Optional

import torch

from kerasish import activations, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.rnn import loop
from kerasish.layers.rnn.base_rnn import RNN, SelfCell
from kerasish.layers.rnn.cell_core import TANH, CellCore, CellLayer, recurrent_matmul

_RELU = (activations.relu, torch.relu)


class SimpleRNNCore(CellCore):
    GATES = 1

    def _make_step(self, recurrent_masks: Optional[torch.Tensor]) -> loop.Step:
        weight_hh = self._torch_param("weight_hh")
        act = self.activation

        def step(x: torch.Tensor, states: list) -> tuple[torch.Tensor, list]:
            h = act(x + recurrent_matmul(states[0], weight_hh, recurrent_masks))
            return h, [h]

        return step

    def _fused_kernel(self, inputs: torch.Tensor) -> Any:
        if self.activation in TANH:
            return self._fused_run(torch._VF.rnn_tanh)
        if self.activation in _RELU:
            return self._fused_run(torch._VF.rnn_relu)
        return None


class SimpleRNNCell(CellLayer, SimpleRNNCore, Layer):
    """One SimpleRNN step: ``call(inputs, states) -> (h, [h])``; use inside ``RNN``."""

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, **kwargs)
        self._init_core(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed,
        )
        self.state_size = units


class SimpleRNN(SelfCell, SimpleRNNCore, RNN):
    """Fully-connected RNN whose output is fed back as its state."""

    _suffix = "_l0"
    _STATE_NAMES = ("state_h",)

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
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
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: Optional[int] = None,
        time_major: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self._init_sequence_options(
            return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask, time_major,
        )
        self._init_core(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed,
        )
        self.state_size = [units]
        self.input_spec = InputSpec(ndim=3)
