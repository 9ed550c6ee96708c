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
    CellLayer,
    recurrent_matmul,
    validate_use_cudnn,
)


def lstm_bias_initializer(base: Any, unit_forget_bias: bool, units: int) -> Any:
    """Keras' ``unit_forget_bias``: the base initializer, with the forget slice set to ones."""
    if not unit_forget_bias:
        return base

    def initializer(shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        parts = [base((units,), dtype), torch.ones(units), base((2 * units,), dtype)]
        return torch.cat([torch.as_tensor(p, dtype=torch.float64) for p in parts])

    return initializer


class LSTMCore(CellCore):
    GATES = 4
    _recurrent_mask_count = 4

    def _init_lstm(
        self, recurrent_activation: Any, unit_forget_bias: bool, implementation: int
    ) -> None:
        """LSTM's own arguments, after ``_init_core``."""
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        # Keras switches to per-gate dropout masks (implementation 1) with recurrent dropout.
        self.implementation = 1 if self.recurrent_dropout else int(implementation)

    def _cell_config(self) -> dict:
        return {
            **super()._cell_config(),
            **self._config_entries(("recurrent_activation", "unit_forget_bias")),
        }

    def _bias_init(self) -> Any:
        return lstm_bias_initializer(self.bias_initializer, self.unit_forget_bias, self.units)

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

    def _fused_kernel(self, inputs: torch.Tensor) -> Any:
        if self.activation not in TANH or self.recurrent_activation not in SIGMOID:
            return None
        if _compiled_for_inference_only(inputs, self._fused_params()):
            return None
        return self._fused_run(torch._VF.lstm)


def _is_compiling() -> bool:
    is_compiling = getattr(torch.compiler, "is_compiling", None)  # torch >= 2.3
    return is_compiling() if is_compiling is not None else torch._dynamo.is_compiling()


def _compiled_for_inference_only(inputs: torch.Tensor, params: list) -> bool:
    """Whether ``torch.compile`` would trace ``torch._VF.lstm`` into oneDNN's inference-only
    LSTM while its weights need gradients: torch's decomposition picks that kernel on CPU
    whenever the *input* does not require grad (a first LSTM layer), and the backward then
    fails (torch 2.13). The step loop is traced instead; eager runs keep the fused kernel."""
    return (
        _is_compiling()
        and torch.is_grad_enabled()
        and inputs.device.type == "cpu"
        and not inputs.requires_grad
        and any(p.requires_grad for p in params)
    )


class LSTMCell(CellLayer, LSTMCore, Layer):
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
        self._init_core(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed,
        )
        self._init_lstm(recurrent_activation, unit_forget_bias, implementation)
        self.state_size = [units, units]


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
        self._init_core(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed,
        )
        self._init_lstm(recurrent_activation, unit_forget_bias, implementation)
        self.use_cudnn = validate_use_cudnn(use_cudnn)
        self.state_size = [units, units]
        self.input_spec = InputSpec(ndim=3)
