"""LSTM: Keras' LSTM with torch.nn.LSTM's parameters and, where the math allows, its kernel.

Weights live under ``torch.nn.LSTM(batch_first=True)``'s names (``weight_ih_l0`` is the
transposed Keras ``kernel``; see ``saving/layouts.py``), so ``state_dict`` loads both ways.
Keras has one bias where torch has two: ``bias_hh_l0`` is a zero buffer kept only for those
state_dict keys, and a torch state_dict with a non-zero ``bias_hh_l0`` is folded into
``bias_ih_l0`` when loaded (the sum is all the math ever sees).

Two execution paths give the same numbers:

* fused: torch's LSTM kernel (cuDNN on GPU), used when the gates are Keras' defaults
  (tanh/sigmoid) and there is no mask and no recurrent dropout;
* loop: a Python loop over time with Keras' formulas, for any activations (Keras 2's
  ``hard_sigmoid`` included), masks and recurrent dropout. Input projections for all steps are
  still one matmul.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import activations, constraints, initializers, regularizers
from kerasish.layers.base import Layer, is_shape
from kerasish.layers.input_spec import InputSpec

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)


def _forget_bias_initializer(base: Any, units: int) -> Any:
    """Keras' ``unit_forget_bias``: the base initializer, with the forget slice set to ones."""

    def initializer(shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        parts = [base((units,), dtype), torch.ones(units), base((2 * units,), dtype)]
        return torch.cat([torch.as_tensor(p, dtype=torch.float64) for p in parts])

    return initializer


def _fold_recurrent_bias(
    module: LSTM, state_dict: dict, prefix: str, *args: Any
) -> None:
    """Let a torch.nn.LSTM state_dict load: its ``bias_hh_l0`` goes into ``bias_ih_l0``."""
    key_hh, key_ih = prefix + "bias_hh_l0", prefix + "bias_ih_l0"
    if not module.use_bias or key_hh not in state_dict or key_ih not in state_dict:
        return
    bias_hh = state_dict[key_hh]
    if torch.count_nonzero(bias_hh):
        state_dict[key_ih] = state_dict[key_ih] + bias_hh
        state_dict[key_hh] = torch.zeros_like(bias_hh)


class LSTM(Layer):
    """Long Short-Term Memory layer (Hochreiter 1997) with Keras' arguments and numerics."""

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
        if time_major:
            raise NotImplementedError(
                "LSTM(time_major=True) is not supported by kerasish: pass batch-major inputs "
                "of shape (batch, timesteps, features) and time_major=False."
            )
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for argument `units`, expected a positive "
                f"integer, got {units!r}."
            )
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Invalid value received for argument `use_cudnn`. Expected one of "
                f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
            )
        super().__init__(activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted; the loop is the same either way
        self.time_major = False
        # Keras switches to per-gate dropout masks (implementation 1) with recurrent dropout.
        self.implementation = 1 if self.recurrent_dropout else int(implementation)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.use_cudnn = use_cudnn
        self.state_size = [units, units]
        self.output_size = units
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self.register_load_state_dict_pre_hook(_fold_recurrent_bias)

    # ------------------------------------------------------------------ weights

    def build(self, input_shape: Any) -> None:
        input_shape = _sequence_shape(input_shape)
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to LSTM layer '{self.name}' should be "
                f"defined. Received input shape {input_shape}."
            )
        if self.stateful and input_shape[0] is None:
            raise ValueError(
                "When using `stateful=True` in a RNN, the batch size must be static. Found "
                f"dynamic batch size: sequence.shape={input_shape}. Pass `batch_size=` to "
                "`Input` or `batch_input_shape=` to the first layer."
            )
        u = self.units
        self.add_weight(
            "kernel",
            shape=(input_dim, 4 * u),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_weight(
            "recurrent_kernel",
            shape=(u, 4 * u),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = _forget_bias_initializer(self.bias_initializer, u)
            self.add_weight(
                "bias",
                shape=(4 * u,),
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            self.register_buffer("bias_hh_l0", torch.zeros_like(self.bias_ih_l0))
        if self.stateful:
            # Not persistent: the state_dict stays that of torch.nn.LSTM, and Keras does not
            # count or save RNN states as weights either.
            zeros = torch.zeros(input_shape[0], u, dtype=self.weight_ih_l0.dtype)
            self.register_buffer("state_h", zeros, persistent=False)
            self.register_buffer("state_c", zeros.clone(), persistent=False)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_dim})
        self.built = True

    @property
    def kernel(self) -> torch.Tensor:
        """Keras layout ``(input_dim, 4 * units)``: a transposed view of ``weight_ih_l0``."""
        return self.weight_ih_l0.t()

    @property
    def recurrent_kernel(self) -> torch.Tensor:
        return self.weight_hh_l0.t()

    @property
    def bias(self) -> Optional[torch.Tensor]:
        return self.bias_ih_l0 if self.use_bias else None

    @property
    def cell(self) -> LSTM:
        """Keras code reads ``lstm.cell.kernel``; here the layer is its own cell."""
        return self

    # ------------------------------------------------------------------- states

    @property
    def states(self) -> Optional[list[torch.Tensor]]:
        if not (self.stateful and self.built):
            return None
        return [self.state_h, self.state_c]

    def reset_states(self, states: Any = None) -> None:
        """Zero the kept states, or set them to ``states`` (``[h, c]``) as Keras 2 allowed."""
        if not self.stateful:
            if states is not None:
                raise AttributeError(f"Layer '{self.name}' must be stateful to set its states.")
            return
        if not self.built:
            return
        if states is None:
            values = [torch.zeros_like(self.state_h), torch.zeros_like(self.state_c)]
        else:
            values = self._as_state_list(states, self.state_h.shape[0], self.state_h)
        self._store_states(*values)

    def reset_state(self) -> None:
        self.reset_states()

    def _store_states(self, h: torch.Tensor, c: torch.Tensor) -> None:
        with torch.no_grad():
            for name, value in (("state_h", h), ("state_c", c)):
                buffer = getattr(self, name)
                if buffer.is_inference() and not torch.is_inference_mode_enabled():
                    # Created inside inference_mode (predict): such tensors can't be written
                    # outside it, so swap in an ordinary one.
                    buffer = buffer.clone()
                    self._buffers[name] = buffer
                buffer.copy_(value.detach())

    def _as_state_list(
        self, states: Any, batch: int, like: torch.Tensor
    ) -> list[torch.Tensor]:
        if isinstance(states, torch.Tensor) or not isinstance(states, (list, tuple)):
            states = [states]
        if len(states) != 2:
            raise ValueError(
                f"Layer '{self.name}' expects 2 initial states [h, c], each of shape "
                f"(batch, {self.units}); received {len(states)} state(s)."
            )
        tensors = [torch.as_tensor(s, dtype=like.dtype, device=like.device) for s in states]
        for tensor in tensors:
            if tuple(tensor.shape) != (batch, self.units):
                raise ValueError(
                    f"Layer '{self.name}': an initial state has shape {tuple(tensor.shape)}, "
                    f"expected {(batch, self.units)}."
                )
        return tensors

    def _initial_states(
        self, initial_state: Any, inputs: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch = inputs.shape[0]
        if initial_state is not None:
            return tuple(self._as_state_list(initial_state, batch, inputs))
        if self.stateful:
            expected = self.state_h.shape[0]
            if batch != expected:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be the "
                    "same as the batch size of the initial state.\n"
                    f"- Expected batch size: {expected}\n- Received batch size: {batch}"
                )
            # Copies: the kept states are overwritten in place after this call, and autograd
            # may still need the values it started from.
            return self.state_h.clone(), self.state_c.clone()
        zeros = inputs.new_zeros(batch, self.units)
        return zeros, zeros

    # ------------------------------------------------------------------ calling

    def call(
        self,
        inputs: torch.Tensor,
        initial_state: Any = None,
        mask: Optional[torch.Tensor] = None,
        training: Optional[bool] = None,
    ) -> Any:
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = _split_inputs(inputs, initial_state)
        if training is None:
            training = self.training
        weight_dtype = self.weight_ih_l0.dtype
        if inputs.dtype != weight_dtype:
            inputs = inputs.to(weight_dtype)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            mask = torch.as_tensor(mask, device=inputs.device)
            if mask.ndim == 3:
                mask = mask[..., 0]
            mask = mask.to(torch.bool)
        h, c = self._initial_states(initial_state, inputs)

        input_masks = recurrent_masks = None
        if training and 0.0 < self.dropout < 1.0:
            count = 4 if self.implementation == 1 else None
            input_masks = self._dropout_masks(inputs[:, 0], self.dropout, count)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_masks = self._dropout_masks(h, self.recurrent_dropout, 4)

        fused = (
            mask is None
            and recurrent_masks is None
            and (input_masks is None or input_masks.ndim == 2)
            and self.activation in _TANH
            and self.recurrent_activation in _SIGMOID
        )
        if fused:
            if input_masks is not None:
                inputs = inputs * input_masks[:, None, :]
            sequence, last, h, c = self._run_fused(inputs, h, c)
        else:
            sequence, last, h, c = self._run_loop(inputs, h, c, mask, input_masks, recurrent_masks)

        if self.stateful and inputs.device.type != "meta":
            self._store_states(h, c)
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output, h, c]
        return output

    def _dropout_masks(
        self, like: torch.Tensor, rate: float, count: Optional[int]
    ) -> torch.Tensor:
        """One inverted-dropout mask per sequence (Keras reuses it at every step)."""
        shape = tuple(like.shape) if count is None else (count,) + tuple(like.shape)
        if self._generator is None:
            keep = torch.empty(shape, dtype=like.dtype, device=like.device).bernoulli_(1 - rate)
        else:
            keep = torch.empty(shape, dtype=like.dtype).bernoulli_(1 - rate, generator=self._generator)
            keep = keep.to(like.device)
        return keep / (1 - rate)

    def _run_fused(
        self, inputs: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.go_backwards:
            inputs = inputs.flip(1)
        params = [self.weight_ih_l0, self.weight_hh_l0]
        if self.use_bias:
            params += [self.bias_ih_l0, self.bias_hh_l0]
        sequence, h_n, c_n = torch._VF.lstm(
            inputs,
            (h.unsqueeze(0), c.unsqueeze(0)),
            params,
            self.use_bias,  # has_biases
            1,  # num_layers
            0.0,  # dropout between layers
            self.training,
            False,  # bidirectional
            True,  # batch_first
        )
        h_n, c_n = h_n[0], c_n[0]
        return sequence, h_n, h_n, c_n

    def _run_loop(
        self,
        inputs: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        mask: Optional[torch.Tensor],
        input_masks: Optional[torch.Tensor],
        recurrent_masks: Optional[torch.Tensor],
    ) -> tuple[Optional[torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor]:
        """Keras' step formulas and Keras 3's masking rules.

        A masked step keeps the previous ``h`` and ``c``; its output is the previous step's
        output (zeros before the first unmasked step), or zeros with ``zero_output_for_mask``.
        """
        if self.go_backwards:
            inputs = inputs.flip(1)
            mask = mask.flip(1) if mask is not None else None
        u = self.units
        act, rec_act = self.activation, self.recurrent_activation
        w_ih, w_hh = self.weight_ih_l0, self.weight_hh_l0
        bias = self.bias_ih_l0 if self.use_bias else None
        projected = _project_inputs(inputs, w_ih, bias, input_masks)
        if recurrent_masks is not None:
            w_hh_gates = w_hh.view(4, u, u).transpose(1, 2)  # per gate (u_in, u_out)

        outputs = []
        output = inputs.new_zeros(h.shape)
        for t in range(inputs.shape[1]):
            if recurrent_masks is None:
                z = projected[:, t] + F.linear(h, w_hh)
            else:
                gates = torch.bmm(h.unsqueeze(0) * recurrent_masks, w_hh_gates)
                z = projected[:, t] + gates.transpose(0, 1).reshape(h.shape[0], 4 * u)
            z_i, z_f, z_c, z_o = z.chunk(4, dim=1)
            i = rec_act(z_i)
            f = rec_act(z_f)
            c_new = f * c + i * act(z_c)
            o = rec_act(z_o)
            h_new = o * act(c_new)
            if mask is None:
                h, c, output = h_new, c_new, h_new
            else:
                keep = mask[:, t, None]
                h = torch.where(keep, h_new, h)
                c = torch.where(keep, c_new, c)
                masked_output = torch.zeros_like(h_new) if self.zero_output_for_mask else output
                output = torch.where(keep, h_new, masked_output)
            if self.return_sequences:
                outputs.append(output)
        sequence = torch.stack(outputs, dim=1) if self.return_sequences else None
        return sequence, output, h, c

    # ------------------------------------------------------------------- shapes

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = _sequence_shape(input_shape)
        batch, length = input_shape[0], input_shape[1]
        if self.return_sequences:
            output_shape = (batch, length, self.units)
        else:
            output_shape = (batch, self.units)
        if self.return_state:
            return [output_shape, (batch, self.units), (batch, self.units)]
        return output_shape

    def _check_input_spec(self, inputs: Any) -> None:
        # The spec describes the sequence; tf.keras graphs may pass [sequence, h, c].
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        super()._check_input_spec(inputs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    # ------------------------------------------------------------------- config

    def get_config(self) -> dict:
        # tf.keras keys, without `time_major` and `implementation`: Keras 3 refuses those, so
        # leaving them out keeps the config readable by both.
        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        if self.seed is not None:
            config["seed"] = self.seed
        return config

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"


def _sequence_shape(input_shape: Any) -> tuple:
    """The sequence's shape, also when given the shapes of ``[sequence, h, c]``."""
    if not is_shape(input_shape):
        input_shape = input_shape[0]
    return tuple(input_shape)


def _split_inputs(inputs: Sequence[Any], initial_state: Any) -> tuple[Any, Any]:
    """tf.keras records an RNN call with symbolic initial states as ``[sequence, *states]``."""
    if initial_state is None and len(inputs) > 1:
        initial_state = list(inputs[1:])
    return inputs[0], initial_state


def _project_inputs(
    inputs: torch.Tensor,
    weight_ih: torch.Tensor,
    bias: Optional[torch.Tensor],
    input_masks: Optional[torch.Tensor],
) -> torch.Tensor:
    """``inputs @ kernel + bias`` for every step at once: (batch, time, 4 * units)."""
    if input_masks is None:
        return F.linear(inputs, weight_ih, bias)
    if input_masks.ndim == 2:
        return F.linear(inputs * input_masks[:, None, :], weight_ih, bias)
    # Per-gate masks (Keras implementation 1): gate g sees inputs * mask[g].
    gates = [
        F.linear(inputs * input_masks[g][:, None, :], w)
        for g, w in enumerate(weight_ih.chunk(4, dim=0))
    ]
    projected = torch.cat(gates, dim=-1)
    return projected + bias if bias is not None else projected
