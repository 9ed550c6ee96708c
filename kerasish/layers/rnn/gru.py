"""GRU and GRUCell: Keras' GRU (Cho et al. 2014) with torch.nn.GRU's parameters and kernel.

Keras orders the gates z, r, h; torch orders them r, z, n. Weights are stored in torch's order
(``weight_ih_l0`` is the Keras ``kernel`` with its z and r thirds swapped, transposed), so the
Keras-layout ``kernel`` is a reordered copy rather than a view (see ``saving/layouts.py``).

``reset_after=True`` (Keras 3's and tf.keras' default) is torch's formula
``n = tanh(x W_n + b_in + r * (h U_n + b_hn))``: Keras' bias ``(2, 3u)`` holds torch's
``bias_ih_l0`` and ``bias_hh_l0`` as its two rows, stored as one parameter ``biases_l0`` and
written to/read from ``state_dict`` under torch's two names, so the state_dict is
``torch.nn.GRU(batch_first=True)``'s. Such a GRU with tanh/sigmoid, no mask and no recurrent
dropout runs torch's fused GRU kernel.

``reset_after=False`` (Keras 2.2.5's default) applies r before the matmul,
``n = tanh(x W_n + b_n + (r * h) U_n)``, which torch has no kernel for: it always loops.
"""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn.functional as F

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


def _split_biases(module: Any, state_dict: dict, prefix: str, local_metadata: Any) -> None:
    """state_dict post-hook: ``biases`` (2, 3u) become torch's ``bias_ih`` and ``bias_hh``."""
    key = prefix + "biases" + module._suffix
    if key not in state_dict:
        return
    value = state_dict.pop(key)
    if value.ndim == 2:
        state_dict[prefix + "bias_ih" + module._suffix] = value[0]
        state_dict[prefix + "bias_hh" + module._suffix] = value[1]
    else:  # reset_after=False: the input bias only
        state_dict[prefix + "bias_ih" + module._suffix] = value


def _join_biases(module: Any, state_dict: dict, prefix: str, *args: Any) -> None:
    """Load pre-hook, the inverse of ``_split_biases``."""
    key_ih = prefix + "bias_ih" + module._suffix
    key_hh = prefix + "bias_hh" + module._suffix
    if key_ih not in state_dict:
        return
    if module.reset_after:
        if key_hh in state_dict:
            pair = [state_dict.pop(key_ih), state_dict.pop(key_hh)]
            state_dict[prefix + "biases" + module._suffix] = torch.stack(pair)
    else:
        state_dict[prefix + "biases" + module._suffix] = state_dict.pop(key_ih)


class GRUCore(CellCore):
    GATES = 3
    _recurrent_mask_count = 3
    _bias_base = "biases"
    _zero_bias_hh = False

    def _init_gru(self, recurrent_activation: Any, reset_after: bool, implementation: int) -> None:
        """GRU's own arguments, after ``_init_core``."""
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        self.register_state_dict_post_hook(_split_biases)
        self.register_load_state_dict_pre_hook(_join_biases)

    def _cell_config(self) -> dict:
        return {
            **super()._cell_config(),
            **self._config_entries(("recurrent_activation", "reset_after")),
        }

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, reset_after={self.reset_after}"

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self) -> Optional[torch.Tensor]:
        if not self.use_bias:
            return None
        biases = self._torch_param("biases")
        return biases[0] if self.reset_after else biases

    def _input_mask_count(self) -> Optional[int]:
        return 3 if self.implementation == 1 else None

    def _make_step(self, recurrent_masks: Optional[torch.Tensor]) -> loop.Step:
        weight_hh = self._torch_param("weight_hh")
        act, rec_act = self.activation, self.recurrent_activation
        u = self.units
        if self.reset_after:
            bias_hh = self._torch_param("biases")[1] if self.use_bias else None

            def step(x: torch.Tensor, states: list) -> tuple[torch.Tensor, list]:
                h = states[0]
                hidden = recurrent_matmul(h, weight_hh, recurrent_masks)
                if bias_hh is not None:
                    hidden = hidden + bias_hh
                x_r, x_z, x_n = x.chunk(3, dim=-1)
                h_r, h_z, h_n = hidden.chunk(3, dim=-1)
                r = rec_act(x_r + h_r)
                z = rec_act(x_z + h_z)
                n = act(x_n + r * h_n)
                h = z * h + (1 - z) * n
                return h, [h]

            return step

        weight_rz, weight_n = weight_hh[: 2 * u], weight_hh[2 * u :]
        masks_rz = recurrent_masks[:2] if recurrent_masks is not None else None
        mask_n = recurrent_masks[2] if recurrent_masks is not None else None

        def step_reset_before(x: torch.Tensor, states: list) -> tuple[torch.Tensor, list]:
            h = states[0]
            x_r, x_z, x_n = x.chunk(3, dim=-1)
            h_r, h_z = recurrent_matmul(h, weight_rz, masks_rz).chunk(2, dim=-1)
            r = rec_act(x_r + h_r)
            z = rec_act(x_z + h_z)
            h_masked = h if mask_n is None else h * mask_n
            n = act(x_n + F.linear(r * h_masked, weight_n))
            h = z * h + (1 - z) * n
            return h, [h]

        return step_reset_before

    def _torch_biases(self) -> list[torch.Tensor]:
        biases = self._torch_param("biases")  # torch's bias_ih and bias_hh are its rows
        return [biases[0], biases[1]]

    def _fused_kernel(self, inputs: torch.Tensor) -> Any:
        if (
            not self.reset_after
            or self.activation not in TANH
            or self.recurrent_activation not in SIGMOID
        ):
            return None
        return self._fused_run(torch._VF.gru)


class GRUCell(CellLayer, GRUCore, Layer):
    """One GRU step: ``call(inputs, states) -> (h, [h])``; use inside ``RNN``."""

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
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
        reset_after: bool = True,
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
        self._init_gru(recurrent_activation, reset_after, implementation)
        self.state_size = units


class GRU(SelfCell, GRUCore, RNN):
    """Gated Recurrent Unit layer with Keras 3's arguments and defaults."""

    _suffix = "_l0"
    _STATE_NAMES = ("state_h",)

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
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
        seed: Optional[int] = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        reset_after: bool = True,
        use_cudnn: Any = "auto",
        time_major: bool = False,
        implementation: int = 2,
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
        self._init_gru(recurrent_activation, reset_after, implementation)
        self.use_cudnn = validate_use_cudnn(use_cudnn)
        self.state_size = [units]
        self.input_spec = InputSpec(ndim=3)
