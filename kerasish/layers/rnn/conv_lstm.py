"""ConvLSTM1D/2D/3D: an LSTM whose input and recurrent transformations are convolutions.

The input convolution of every time step runs as one call, time folded into the batch; the
loop over time then does only the recurrent convolution (stride 1, "same", no dilation, as in
Keras). Keras' per-gate dropout masks become one grouped convolution (groups=4: gate g sees
``x * mask[g]``). Inside, tensors are channels-first (torch's layout); inputs, outputs and
states keep the layer's ``data_format``.

Weights: ``weight_ih`` (4 * filters, in, *k) and ``weight_hh`` (4 * filters, filters, *k) are
torch conv weights of the Keras ``kernel`` (*k, in, 4 * filters) and ``recurrent_kernel``; the
gates are LSTM's i, f, c, o.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import activations, backend, regularizers
from kerasish.layers import conv_utils
from kerasish.layers.base import Layer
from kerasish.layers.conv_utils import IntOrTuple
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.rnn import loop
from kerasish.layers.rnn.base_rnn import RNN, SelfCell, sequence_shape_of
from kerasish.layers.rnn.cell_core import (
    CONSTRAINTS,
    INITIALIZERS,
    REGULARIZERS,
    RecurrentCore,
)
from kerasish.layers.rnn.lstm import lstm_bias_initializer

_TORCH_CONV: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
# Keras 3's ConvLSTM config keys, in its order (after the sequence options; `seed` when set).
_CONFIG = (
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
    "recurrent_activation", "use_bias", *INITIALIZERS, "unit_forget_bias", *REGULARIZERS,
    "activity_regularizer", *CONSTRAINTS, "dropout", "recurrent_dropout",
)


class ConvLSTM(SelfCell, RecurrentCore, RNN):
    """N-D convolutional LSTM; ``rank`` is the number of spatial axes."""

    _STATE_NAMES = ("state_h", "state_c")
    _recurrent_mask_count = 4
    # tf.keras' ConvLSTM accepts `time_major=True` but still reads (batch, time, ...) inputs.
    _TIME_MAJOR = False

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: Optional[str] = None,
        dilation_rate: IntOrTuple = 1,
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
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(self, activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self._init_sequence_options(
            return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask, time_major,
        )
        conv_utils.check_positive("filters", filters)
        self.rank = rank
        self.filters = filters
        self.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please "
                "provide `strides=1` or `dilation_rate=1`. Received: "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.padding = conv_utils.standardize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)
        self._init_arguments(
            activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [filters, filters]
        self.input_spec = InputSpec(ndim=rank + 3)
        self._channels_last = self.data_format == "channels_last"
        self._conv = _TORCH_CONV[rank]
        self._input_padding = conv_utils.symmetric_padding(
            self.padding, self.kernel_size, self.strides, self.dilation_rate
        )
        ones = (1,) * rank
        self._recurrent_padding = conv_utils.symmetric_padding(
            "same", self.kernel_size, ones, ones
        )

    # ------------------------------------------------------------------ weights

    def _build_core(self, step_shape: tuple) -> None:
        channel_axis = -1 if self._channels_last else 1
        spatial = conv_utils.spatial_axes(step_shape, self.data_format)
        if None in spatial:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' only supports static input shapes "
                f"for the spatial dimensions. Received step input shape {step_shape}."
            )
        in_channels = step_shape[channel_axis]
        if in_channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' should be defined. Received step input shape {step_shape}."
            )
        self._state_spatial = self._output_spatial(spatial, step_shape)
        width = 4 * self.filters
        self._add_weights(
            self.kernel_size + (in_channels, width), self.kernel_size + (self.filters, width),
            (width,),
        )
        if not self.use_bias:
            self.bias = None

    def _bias_init(self) -> Any:
        return lstm_bias_initializer(self.bias_initializer, self.unit_forget_bias, self.filters)

    def _built_input_spec(self, step_shape: tuple) -> InputSpec:
        return InputSpec(ndim=self.rank + 3, shape=(None, None) + tuple(step_shape[1:]))

    def _output_spatial(self, spatial: Sequence[Optional[int]], step_shape: tuple) -> tuple:
        out = tuple(
            conv_utils.output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': the convolution output size would "
                f"be zero or negative for step input shape {step_shape}, "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, dilation_rate={self.dilation_rate}."
            )
        return out

    # ------------------------------------------------------------------- states

    def _state_shape(self, batch: Optional[int]) -> tuple:
        if self._channels_last:
            return (batch,) + self._state_spatial + (self.filters,)
        return (batch, self.filters) + self._state_spatial

    def _state_shapes(self, batch: Optional[int]) -> list[tuple]:
        return [self._state_shape(batch)] * 2

    def _to_channels_first(self, x: torch.Tensor) -> torch.Tensor:
        return x.movedim(-1, 1) if self._channels_last else x

    def _from_channels_first(self, x: torch.Tensor, channel_axis: int = 1) -> torch.Tensor:
        return x.movedim(channel_axis, -1) if self._channels_last else x

    # ------------------------------------------------------------------ calling

    def _input_mask_count(self) -> Optional[int]:
        return 4  # per gate: one grouped convolution reads them all

    def _input_conv(self, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
        padding = self._input_padding
        if padding is None:
            x, padding = conv_utils.pad_input(
                x, self.padding, self.kernel_size, self.strides, self.dilation_rate
            )
        bias = self.bias if self.use_bias else None
        return self._conv(
            x, self.weight_ih, bias, self.strides, padding, self.dilation_rate, groups
        )

    def _run_sequence(
        self,
        rnn: Any,
        inputs: torch.Tensor,
        states: list,
        mask: Optional[torch.Tensor],
        training: bool,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor], list]:
        batch, steps = inputs.shape[0], inputs.shape[1]
        if mask is not None and mask.ndim > 2:
            # A per-position mask (Masking before ConvLSTM): Keras broadcasts it over the
            # channels of its channels_last steps; here the channel axis comes first.
            if not self._channels_last:
                raise NotImplementedError(
                    f"{type(self).__name__} layer '{self.name}': a mask of shape "
                    f"{tuple(mask.shape)} (one value per position) with "
                    "data_format='channels_first' is not supported."
                )
            mask = mask.unsqueeze(2)
        # (batch, time, ...) channels-first, time folded into the batch for the input conv.
        x = inputs.movedim(-1, 2) if self._channels_last else inputs
        states = [self._to_channels_first(s) for s in states]
        input_masks, recurrent_masks = self._sequence_masks(x[:, 0], states[0], training)
        if input_masks is None:
            folded = x.reshape((batch * steps,) + tuple(x.shape[2:]))
            projected = self._input_conv(folded)
        else:
            # (batch, time, 4 * in, ...): gate g reads x * mask[g]; one grouped conv.
            gated = torch.cat([x * m.unsqueeze(1) for m in input_masks], dim=2)
            folded = gated.reshape((batch * steps,) + tuple(gated.shape[2:]))
            projected = self._input_conv(folded, groups=4)
        projected = projected.reshape((batch, steps) + tuple(projected.shape[1:]))
        last, sequence, states = loop.run(
            self._make_step(recurrent_masks),
            projected,
            states,
            mask,
            go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
        )
        last = self._from_channels_first(last)
        if sequence is not None:
            sequence = self._from_channels_first(sequence, channel_axis=2)
        return last, sequence, [self._from_channels_first(s) for s in states]

    def _make_step(self, recurrent_masks: Optional[torch.Tensor]) -> loop.Step:
        conv, weight_hh = self._conv, self.weight_hh
        act, rec_act = self.activation, self.recurrent_activation
        kernel_size, ones = self.kernel_size, (1,) * self.rank
        padding = self._recurrent_padding
        groups = 1 if recurrent_masks is None else 4

        def step(z_x: torch.Tensor, states: list) -> tuple[torch.Tensor, list]:
            h, c = states
            if recurrent_masks is not None:
                h_in = torch.cat([h * m for m in recurrent_masks], dim=1)
            else:
                h_in = h
            pad = padding
            if pad is None:
                h_in, pad = conv_utils.pad_input(h_in, "same", kernel_size, ones, ones)
            z = z_x + conv(h_in, weight_hh, None, 1, pad, 1, groups)
            z_i, z_f, z_c, z_o = z.chunk(4, dim=1)
            c = rec_act(z_f) * c + rec_act(z_i) * act(z_c)
            h = rec_act(z_o) * act(c)
            return h, [h, c]

        return step

    # ------------------------------------------------------------------- shapes

    def compute_output_shape(self, input_shape: Any) -> Any:
        sequence_shape = sequence_shape_of(input_shape)
        if len(sequence_shape) != self.rank + 3:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 3} (batch, time, {self.rank} spatial axes, channels). Received "
                f"input of shape {sequence_shape}."
            )
        batch, steps = sequence_shape[0], sequence_shape[1]
        step_shape = (batch,) + sequence_shape[2:]
        spatial = self._output_spatial(
            conv_utils.spatial_axes(step_shape, self.data_format), step_shape
        )
        state = conv_utils.with_spatial(step_shape, spatial, self.filters, self.data_format)
        output = (batch, steps) + state[1:] if self.return_sequences else state
        if self.return_state:
            return [output, state, state]
        return output

    # ------------------------------------------------------------------- config

    def get_config(self) -> dict:
        return {**self._sequence_config(), **self._config_entries(_CONFIG), **self._seed_config()}

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
            f"padding={self.padding!r}"
        )


class ConvLSTM1D(ConvLSTM):
    """1-D convolutional LSTM over ``(batch, time, steps, channels)``."""

    def __init__(self, filters: int, kernel_size: IntOrTuple, *args: Any, **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, *args, **kwargs)


class ConvLSTM2D(ConvLSTM):
    """2-D convolutional LSTM over ``(batch, time, rows, cols, channels)``."""

    def __init__(self, filters: int, kernel_size: IntOrTuple, *args: Any, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, *args, **kwargs)


class ConvLSTM3D(ConvLSTM):
    """3-D convolutional LSTM over ``(batch, time, d1, d2, d3, channels)``."""

    def __init__(self, filters: int, kernel_size: IntOrTuple, *args: Any, **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, *args, **kwargs)
