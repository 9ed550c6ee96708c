"""What a built-in recurrent cell and its layer share: arguments, weights, dropout and step math.

``LSTMCell`` and ``LSTM`` (likewise the SimpleRNN and GRU pairs) take the same arguments, hold
the same weights and compute the same step; the layer only adds the loop over time. Both get
all of it from one core mixin (``SimpleRNNCore``, ``LSTMCore``, ``GRUCore``, on ``CellCore``
here; ``CellLayer`` turns a core into a cell layer), which lets a layer be its own cell: its
parameters then sit directly on it, under the names of ``torch.nn.LSTM`` (``weight_ih_l0``,
...), so its ``state_dict`` loads into ``torch.nn.LSTM``, while a cell uses the names of
``torch.nn.LSTMCell`` (``weight_ih``, ...). The Keras-layout ``kernel``/``recurrent_kernel``/
``bias`` are views (or, for GRU's gate order, reordered copies) produced by
``saving/layouts.py``. ConvLSTM, whose transformations are convolutions, shares the arguments,
the weights and the dropout masks (``RecurrentCore``), not the step.

A whole sequence (``_run_sequence``) runs torch's fused kernel where Keras' formulas are
torch's (the conditions under which Keras uses cuDNN); otherwise the inputs of all steps are
projected in one matmul and the loop over time does only the recurrent matmul per step.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import activations, constraints, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.rnn import loop
from kerasish.saving import layouts

TANH = (activations.tanh, torch.tanh)
SIGMOID = (activations.sigmoid, torch.sigmoid)

# Argument names by kind, in the order configs list them.
INITIALIZERS = ("kernel_initializer", "recurrent_initializer", "bias_initializer")
REGULARIZERS = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer")
CONSTRAINTS = ("kernel_constraint", "recurrent_constraint", "bias_constraint")
_CELL_CONFIG = (
    "units", "activation", "use_bias", *INITIALIZERS, *REGULARIZERS, *CONSTRAINTS, "dropout",
    "recurrent_dropout",
)
# How a config writes an argument, by the end of its name; other arguments are written as is.
_SERIALIZERS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("activation", activations.serialize),
    ("_initializer", initializers.serialize),
    ("_regularizer", regularizers.serialize),
    ("_constraint", constraints.serialize),
)


class RecurrentCore:
    """Mixin for every built-in recurrent layer or cell, dense (``CellCore``) or convolutional
    (ConvLSTM): the arguments of its weights and dropout, the weights and their Keras-layout
    views, and the dropout masks drawn once per sequence."""

    # torch's parameter-name suffix: "" for cells (torch.nn.LSTMCell), "_l0" for layers.
    _suffix = ""
    # Count of per-gate dropout masks on the state (None: one mask for all gates).
    _recurrent_mask_count: Optional[int] = None

    # ----------------------------------------------------------------- arguments

    def _init_arguments(
        self,
        activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        recurrent_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        recurrent_regularizer: Any,
        bias_regularizer: Any,
        kernel_constraint: Any,
        recurrent_constraint: Any,
        bias_constraint: Any,
        dropout: float,
        recurrent_dropout: float,
        seed: Optional[int],
    ) -> None:
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def _config_entries(self, names: Sequence[str]) -> dict:
        """The arguments ``names`` as a config writes them, in that order."""
        return {name: _serialized(name, getattr(self, name)) for name in names}

    def _seed_config(self) -> dict:
        # tf.keras' RNN constructors reject `seed`; written only when used, as Keras 3 reads it.
        return {} if self.seed is None else {"seed": self.seed}

    # ------------------------------------------------------------------- weights

    def _add_weights(self, kernel_shape: tuple, recurrent_shape: tuple, bias_shape: tuple) -> None:
        """Keras' ``kernel``, ``recurrent_kernel`` and (with ``use_bias``) ``bias``, in order."""
        self.add_weight(
            "kernel",
            shape=kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_weight(
            "recurrent_kernel",
            shape=recurrent_shape,
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias",
                shape=bias_shape,
                initializer=self._bias_init(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def _torch_param(self, base: str) -> torch.Tensor:
        return getattr(self, base + self._suffix)

    def _keras_view(self, keras_name: str, base: str) -> torch.Tensor:
        layout = layouts.lookup(type(self), keras_name)
        return layout.to_keras(self._torch_param(base))

    @property
    def kernel(self) -> torch.Tensor:
        """The Keras-layout kernel, computed from ``weight_ih`` (see ``saving/layouts.py``)."""
        return self._keras_view("kernel", "weight_ih")

    @property
    def recurrent_kernel(self) -> torch.Tensor:
        return self._keras_view("recurrent_kernel", "weight_hh")

    # ------------------------------------------------------------------- dropout

    def _input_mask_count(self) -> Optional[int]:
        return None

    def _new_mask(self, like: torch.Tensor, rate: float, count: Optional[int]) -> torch.Tensor:
        return loop.dropout_masks(like, rate, count, self._generator)

    def _sequence_masks(
        self, first_step: torch.Tensor, state: torch.Tensor, training: bool
    ) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Fresh masks for one sequence (Keras reuses one mask at every step)."""
        input_masks = recurrent_masks = None
        if training and 0.0 < self.dropout < 1.0:
            input_masks = self._new_mask(first_step, self.dropout, self._input_mask_count())
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_masks = self._new_mask(
                state, self.recurrent_dropout, self._recurrent_mask_count
            )
        return input_masks, recurrent_masks


class CellCore(RecurrentCore):
    """Mixin for ``Layer`` subclasses; the gate-specific parts live in the subclasses."""

    GATES = 1
    # The torch parameter holding the Keras bias (GRU: "biases", both rows).
    _bias_base = "bias_ih"
    # torch.nn.LSTM/RNN have a second bias, always added to the first, that Keras lacks: kept
    # as a zero buffer ``bias_hh`` for torch's state_dict keys (GRU stores both of its rows).
    _zero_bias_hh = True

    # ----------------------------------------------------------------- arguments

    def _init_core(self, units: int, *arguments: Any) -> None:
        """``units``, then the arguments ``_init_arguments`` takes, in its order."""
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for argument `units`, expected a positive "
                f"integer, got {units!r}."
            )
        self.units = units
        self._init_arguments(*arguments)
        self.output_size = units
        self._dropout_mask: Optional[torch.Tensor] = None
        self._recurrent_dropout_mask: Optional[torch.Tensor] = None
        if self._zero_bias_hh:
            self.register_load_state_dict_pre_hook(fold_recurrent_bias)

    def _cell_config(self) -> dict:
        return {**self._config_entries(_CELL_CONFIG), **self._seed_config()}

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"

    # ------------------------------------------------------------------- weights

    def _bias_shape(self) -> tuple:
        return (self.GATES * self.units,)

    def _build_core(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' should be defined. Received input shape {tuple(input_shape)}."
            )
        width = self.GATES * self.units
        self._add_weights((input_dim, width), (self.units, width), self._bias_shape())
        if self._zero_bias_hh and self.use_bias:
            bias_ih = self._torch_param("bias_ih")
            self.register_buffer("bias_hh" + self._suffix, torch.zeros_like(bias_ih))

    @property
    def bias(self) -> Optional[torch.Tensor]:
        if not self.use_bias:
            return None
        return self._keras_view("bias", self._bias_base)

    def _input_bias(self) -> Optional[torch.Tensor]:
        return self._torch_param("bias_ih") if self.use_bias else None

    # Keras' DropoutRNNCell API: masks cached across the steps of one sequence, reset by RNN.
    def get_dropout_mask(self, step_input: torch.Tensor) -> Optional[torch.Tensor]:
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._new_mask(step_input, self.dropout, self._input_mask_count())
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state: torch.Tensor) -> Optional[torch.Tensor]:
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._new_mask(
                state, self.recurrent_dropout, self._recurrent_mask_count
            )
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    # --------------------------------------------------------------------- steps

    def _make_step(self, recurrent_masks: Optional[torch.Tensor]) -> loop.Step:
        """``step(projected_input_t, states) -> (output, new_states)`` with the weights bound."""
        raise NotImplementedError

    def _fused_kernel(
        self, inputs: torch.Tensor
    ) -> Optional[Callable[[torch.Tensor, list], Any]]:
        """torch's fused kernel as ``run(inputs, states) -> (last, sequence, states)``, if the
        activations and options are torch's and it gives the right gradient for ``inputs``;
        None otherwise."""
        return None

    def _fused_params(self) -> list[torch.Tensor]:
        """torch's flat weights: ``weight_ih``, ``weight_hh``, then its two biases."""
        params = [self._torch_param("weight_ih"), self._torch_param("weight_hh")]
        if self.use_bias:
            params += self._torch_biases()
        return params

    def _torch_biases(self) -> list[torch.Tensor]:
        """torch's ``bias_ih`` and ``bias_hh``."""
        return [self._torch_param("bias_ih"), self._torch_param("bias_hh")]

    def _fused_run(self, kernel: Callable[..., Any]) -> Callable[[torch.Tensor, list], Any]:
        """``run(inputs, states)`` through ``kernel`` (``torch._VF.lstm``...) with these weights."""
        return functools.partial(run_fused, kernel, self._fused_params(), self.use_bias)

    def _cell_call(self, inputs: torch.Tensor, states: Any, training: Optional[bool]) -> Any:
        """One step, Keras' cell API: ``(output, new_states)``; states as a list or a tensor."""
        nested = isinstance(states, (list, tuple))
        state_list = list(states) if nested else [states]
        if training is None:
            training = self.training
        input_masks = recurrent_masks = None
        if training and 0.0 < self.dropout < 1.0:
            input_masks = self.get_dropout_mask(inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_masks = self.get_recurrent_dropout_mask(state_list[0])
        projected = project_inputs(
            inputs, self._torch_param("weight_ih"), self._input_bias(), input_masks
        )
        output, new_states = self._make_step(recurrent_masks)(projected, state_list)
        return output, (new_states if nested else new_states[0])

    def _run_sequence(
        self,
        rnn: Any,
        inputs: torch.Tensor,
        states: list,
        mask: Optional[torch.Tensor],
        training: bool,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor], list]:
        """Run ``inputs`` (batch, time, features) through this cell for the RNN layer ``rnn``."""
        input_masks, recurrent_masks = self._sequence_masks(inputs[:, 0], states[0], training)
        use_cudnn = getattr(rnn, "use_cudnn", "auto")
        fused = None
        if (
            use_cudnn is not False
            and mask is None
            and recurrent_masks is None
            and (input_masks is None or input_masks.ndim == 2)
        ):
            fused = self._fused_kernel(inputs)
        if fused is None and use_cudnn is True:
            raise ValueError(
                "use_cudnn=True was specified, but cuDNN is not supported for this layer "
                "configuration with this backend. Pass use_cudnn='auto' to fallback to a "
                "non-cuDNN implementation."
            )
        if fused is not None:
            if input_masks is not None:
                inputs = inputs * input_masks.unsqueeze(1)
            if rnn.go_backwards:
                inputs = inputs.flip(1)
            return fused(inputs, states)
        projected = project_inputs(
            inputs, self._torch_param("weight_ih"), self._input_bias(), input_masks
        )
        return loop.run(
            self._make_step(recurrent_masks),
            projected,
            states,
            mask,
            go_backwards=rnn.go_backwards,
            zero_output_for_mask=rnn.zero_output_for_mask,
            return_sequences=rnn.return_sequences,
        )

    def get_initial_state(self, batch_size: Optional[int] = None) -> list:
        like = self._torch_param("weight_hh") if self.built else torch.empty(0)
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [like.new_zeros(batch_size, size) for size in sizes]


class CellLayer:
    """Mixin, before the core and ``Layer``, that makes a core a cell layer (``LSTMCell``...):
    one step per call, for use inside ``RNN``."""

    def build(self, input_shape: Any) -> None:
        self._build_core(tuple(input_shape))
        self.built = True

    def call(self, inputs: torch.Tensor, states: Any, training: Optional[bool] = None) -> Any:
        return self._cell_call(inputs, states, training)

    def get_config(self) -> dict:
        return {**Layer.get_config(self), **self._cell_config()}


# --------------------------------------------------------------------------- helpers


def _serialized(name: str, value: Any) -> Any:
    for suffix, serialize in _SERIALIZERS:
        if name.endswith(suffix):
            return serialize(value)
    return value


def run_fused(
    kernel: Callable[..., Any],
    params: list[torch.Tensor],
    has_biases: bool,
    inputs: torch.Tensor,
    states: list,
) -> tuple[torch.Tensor, torch.Tensor, list]:
    """One layer of torch's fused ``kernel`` (``torch._VF.lstm``/``gru``/``rnn_tanh``/``rnn_relu``)
    over batch-first ``inputs``: ``(last output, sequence, final states)``."""
    if len(states) == 1:
        hx: Any = states[0].unsqueeze(0)
    else:  # LSTM: (h, c)
        hx = (states[0].unsqueeze(0), states[1].unsqueeze(0))
    sequence, *finals = kernel(
        inputs,
        hx,
        params,
        has_biases,
        1,  # num_layers
        0.0,  # dropout between layers
        torch.is_grad_enabled(),  # train: keep what backward needs (cuDNN)
        False,  # bidirectional
        True,  # batch_first
    )
    final_states = [final[0] for final in finals]
    return final_states[0], sequence, final_states


def validate_use_cudnn(value: Any) -> Any:
    """Keras 3's ``use_cudnn``: "auto" uses torch's fused kernel when it applies, False never."""
    if value not in ("auto", True, False):
        raise ValueError(
            "Invalid value received for argument `use_cudnn`. Expected one of "
            f"{{'auto', True, False}}. Received: use_cudnn={value!r}"
        )
    return value


def project_inputs(
    inputs: torch.Tensor,
    weight_ih: torch.Tensor,
    bias: Optional[torch.Tensor],
    masks: Optional[torch.Tensor],
) -> torch.Tensor:
    """``inputs @ kernel + bias`` for one step ``(batch, in)`` or all steps ``(batch, time, in)``.

    ``masks``: None, one dropout mask ``(batch, in)``, or one per gate ``(gates, batch, in)``
    (Keras' implementation 1, where each gate sees differently dropped inputs).
    """
    if masks is None:
        return _linear(inputs, weight_ih, bias)
    if inputs.ndim == 3:
        masks = masks.unsqueeze(-2)  # the same mask at every time step
    if masks.ndim == inputs.ndim:
        return _linear(inputs * masks, weight_ih, bias)
    gates = [
        F.linear(inputs * masks[g], w) for g, w in enumerate(weight_ih.chunk(masks.shape[0]))
    ]
    projected = torch.cat(gates, dim=-1)
    return projected + bias if bias is not None else projected


def _linear(
    inputs: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]
) -> torch.Tensor:
    """``F.linear`` in the memory order of the inputs.

    A ``time_major=True`` sequence reaches the cells as a transposed view ``(batch, time, in)``
    of time-major memory; F.linear would copy it to fold batch and time, so it is projected
    time-major and the result viewed batch-major again.
    """
    if inputs.ndim == 3 and not inputs.is_contiguous():
        swapped = inputs.transpose(0, 1)
        if swapped.is_contiguous():
            return F.linear(swapped, weight, bias).transpose(0, 1)
    return F.linear(inputs, weight, bias)


def recurrent_matmul(
    state: torch.Tensor, weight_hh: torch.Tensor, masks: Optional[torch.Tensor]
) -> torch.Tensor:
    """``state @ recurrent_kernel``; with per-gate masks ``(gates, batch, units)``, gate g
    multiplies ``state * masks[g]``, all gates in one batched matmul."""
    if masks is None:
        return F.linear(state, weight_hh)
    if masks.ndim == state.ndim:
        return F.linear(state * masks, weight_hh)
    gates = masks.shape[0]
    per_gate = weight_hh.reshape(gates, -1, weight_hh.shape[1]).transpose(1, 2)
    out = torch.bmm(state.unsqueeze(0) * masks, per_gate)  # (gates, batch, units)
    return out.transpose(0, 1).reshape(state.shape[0], -1)


def fold_recurrent_bias(module: Any, state_dict: dict, prefix: str, *args: Any) -> None:
    """Load pre-hook: a torch state_dict's ``bias_hh`` goes into ``bias_ih``.

    Keras has one bias where torch.nn.LSTM/RNN have two that are always summed; the kept
    ``bias_hh`` is a zero buffer, present only so the state_dict keys match torch's.
    """
    suffix = module._suffix
    key_hh, key_ih = prefix + "bias_hh" + suffix, prefix + "bias_ih" + suffix
    if not module.use_bias or key_hh not in state_dict or key_ih not in state_dict:
        return
    bias_hh = state_dict[key_hh]
    if torch.count_nonzero(bias_hh):
        state_dict[key_ih] = state_dict[key_ih] + bias_hh
        state_dict[key_hh] = torch.zeros_like(bias_hh)
