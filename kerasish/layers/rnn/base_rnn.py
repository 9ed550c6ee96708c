"""RNN: Keras' recurrent layer, running a cell over the time axis of a sequence.

The cell can be any object with ``state_size`` and ``call(inputs, states)`` returning
``(output, new_states)`` (a Keras ``Layer`` or not), a list of them (stacked), or one of the
built-in cells, which bring their own faster sequence runner (``_run_sequence``). SimpleRNN,
LSTM, GRU and ConvLSTM are RNN subclasses that are their own cell, so their parameters sit on
the layer itself under torch.nn's names.

States are handled as a flat list inside; ``return_state`` gives them back nested as the cell's
``state_size`` is. A stateful layer keeps its states in non-persistent buffers: they move with
``.to()`` but are neither Keras weights nor ``state_dict`` entries (Keras does not save them).

``time_major=True`` (tf.keras) reads inputs, masks and sequence outputs as ``(time, batch, ...)``:
``call`` transposes them (views) around the batch-major path, so torch's fused kernels see the
time-major memory they use anyway; states stay ``(batch, ...)``.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import backend, regularizers
from kerasish.layers.base import Layer, is_shape
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.rnn import loop
from kerasish.layers.rnn.cell_core import CellCore
from kerasish.layers.rnn.stacked_rnn_cells import StackedRNNCells, validate_cell
from kerasish.saving.model_config import deserialize_layer, serialize_layer
from kerasish.utils import tree


class RNN(Layer):
    """Base class for recurrent layers; also usable directly with any cell."""

    # Buffer names of the kept states of a stateful layer ("state_0", ... when empty).
    _STATE_NAMES: tuple = ()
    # Whether `time_major=True` is implemented for this class.
    _TIME_MAJOR = True

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        time_major: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        validate_cell(cell, "Argument `cell`")
        super().__init__(**kwargs)
        self.cell = cell
        state_size = cell.state_size
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)
        self._init_sequence_options(
            return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask, time_major,
        )
        self.input_spec = InputSpec(min_ndim=3)

    def _init_sequence_options(
        self,
        return_sequences: bool,
        return_state: bool,
        go_backwards: bool,
        stateful: bool,
        unroll: bool,
        zero_output_for_mask: bool,
        time_major: bool,
    ) -> None:
        if time_major and not self._TIME_MAJOR:
            raise NotImplementedError(
                f"{type(self).__name__}(time_major=True) is not supported by kerasish: pass "
                "batch-major inputs of shape (batch, timesteps, ...) and time_major=False."
            )
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted; the loop is the same either way
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.time_major = bool(time_major)
        self.supports_masking = True

    def _batch_major(self, sequence_shape: tuple) -> tuple:
        """A sequence shape as ``(batch, time, ...)`` whatever ``time_major`` says."""
        if not self.time_major:
            return sequence_shape
        return (sequence_shape[1], sequence_shape[0]) + tuple(sequence_shape[2:])

    # ------------------------------------------------------------------- build

    def build(self, input_shape: Any) -> None:
        sequence_shape = self._batch_major(sequence_shape_of(input_shape))
        self._build_cell((sequence_shape[0],) + sequence_shape[2:])
        if self.stateful:
            batch = sequence_shape[0]
            if batch is None:
                raise ValueError(
                    "When using `stateful=True` in a RNN, the batch size must be static. "
                    f"Found dynamic batch size: sequence.shape={sequence_shape}. Pass "
                    "`batch_size=` to `Input` or `batch_input_shape=` to the first layer."
                )
            like = torch.empty(0, dtype=backend.torch_dtype(self.dtype))
            values = self._default_states(batch, like)
            self._state_buffer_names = [
                self._STATE_NAMES[i] if i < len(self._STATE_NAMES) else f"state_{i}"
                for i in range(len(values))
            ]
            # Not persistent: the state_dict stays the torch module's (no states there).
            for name, value in zip(self._state_buffer_names, values):
                self.register_buffer(name, value, persistent=False)
        self.built = True

    def _build_cell(self, step_shape: tuple) -> None:
        cell = self.cell
        if isinstance(cell, Layer):
            cell._maybe_build(step_shape)
        elif callable(getattr(cell, "build", None)):
            cell.build(step_shape)

    def _check_input_spec(self, inputs: Any) -> None:
        # The spec describes the sequence; tf.keras graphs may pass [sequence, *states].
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        super()._check_input_spec(inputs)

    # ------------------------------------------------------------------ states

    def _flat_state_sizes(self) -> list:
        return tree.flatten(self.state_size)

    def _state_shapes(self, batch: Optional[int]) -> list[tuple]:
        return [(batch, size) for size in self._flat_state_sizes()]

    def _cell_defines_initial_state(self) -> bool:
        return _defines_initial_state(self.cell)

    def _user_initial_state(self, batch: Optional[int]) -> list:
        states = self.cell.get_initial_state(batch_size=batch)
        return tree.flatten(states if tree.is_nested(states) else [states])

    def _default_states(self, batch: int, like: torch.Tensor) -> list[torch.Tensor]:
        """The states a sequence starts from when none are given (zeros, or the cell's own)."""
        if self._cell_defines_initial_state():
            return [
                torch.as_tensor(s).to(device=like.device, dtype=like.dtype)
                for s in self._user_initial_state(batch)
            ]
        return [like.new_zeros(shape) for shape in self._state_shapes(batch)]

    def _pack_states(self, flat: list) -> list:
        return tree.pack_sequence_as(self.state_size, flat)

    @property
    def states(self) -> Optional[list[torch.Tensor]]:
        if not (self.stateful and self.built):
            return None
        return [getattr(self, name) for name in self._state_buffer_names]

    def reset_states(self, states: Any = None) -> None:
        """Zero the kept states, or set them to ``states`` (a list, as Keras 2 allowed)."""
        if not self.stateful:
            if states is not None:
                raise AttributeError(f"Layer '{self.name}' must be stateful to set its states.")
            return
        if not self.built:
            return
        current = self.states
        if states is None:
            values = [torch.zeros_like(s) for s in current]
        else:
            values = self._given_states(states, current[0].shape[0], current[0])
        self._store_states(values)

    def reset_state(self) -> None:
        self.reset_states()

    def _store_states(self, values: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for name, value in zip(self._state_buffer_names, values):
                buffer = getattr(self, name)
                if buffer.is_inference() and not torch.is_inference_mode_enabled():
                    # Created inside inference_mode (predict): such tensors can't be written
                    # outside it, so swap in an ordinary one.
                    buffer = buffer.clone()
                    self._buffers[name] = buffer
                buffer.copy_(value.detach())

    def _given_states(self, states: Any, batch: int, like: torch.Tensor) -> list[torch.Tensor]:
        if isinstance(states, torch.Tensor) or not isinstance(states, (list, tuple)):
            states = [states]
        tensors = [
            torch.as_tensor(s).to(device=like.device, dtype=like.dtype)
            for s in tree.flatten(states)
        ]
        expected = self._state_shapes(batch)
        if len(tensors) != len(expected):
            noun = "state" if len(expected) == 1 else "states"
            raise ValueError(
                f"Layer '{self.name}' expects {len(expected)} initial {noun}, of shapes "
                f"{expected}; received {len(tensors)} state(s)."
            )
        for tensor, shape in zip(tensors, expected):
            if tuple(tensor.shape) != shape:
                raise ValueError(
                    f"Layer '{self.name}': an initial state has shape {tuple(tensor.shape)}, "
                    f"expected {shape}."
                )
        return tensors

    def _initial_states(self, initial_state: Any, inputs: torch.Tensor) -> list[torch.Tensor]:
        batch = inputs.shape[0]
        if initial_state is not None:
            return self._given_states(initial_state, batch, inputs)
        if self.stateful:
            kept = self.states
            expected = kept[0].shape[0]
            if batch != expected:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be the "
                    "same as the batch size of the initial state.\n"
                    f"- Expected batch size: {expected}\n- Received batch size: {batch}"
                )
            # Copies: the kept states are overwritten in place after this call, and autograd
            # may still need the values it started from.
            return [s.clone() for s in kept]
        return self._default_states(batch, inputs)

    # ----------------------------------------------------------------- calling

    def call(
        self,
        inputs: torch.Tensor,
        initial_state: Any = None,
        mask: Optional[torch.Tensor] = None,
        training: Optional[bool] = None,
    ) -> Any:
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = split_inputs(inputs, initial_state)
        # Built layers skip Layer.__call__'s checks; a wrong shape deserves the layer's name
        # rather than a matmul error from inside the loop (shapes only: no device sync).
        self._check_input_spec(inputs)
        if training is None:
            training = self.training
        inputs = self._cast_inputs(inputs)
        if self.time_major:
            mask = time_major_mask(mask, inputs)
            inputs = inputs.transpose(0, 1)
        if inputs.shape[1] == 0:
            raise ValueError(
                f"Layer '{self.name}' received a sequence with no time steps: input shape "
                f"{tuple(inputs.shape)}."
            )
        mask = standardize_mask(mask, inputs)
        states = self._initial_states(initial_state, inputs)
        runner = getattr(self.cell, "_run_sequence", None) or self._run_cell_loop
        # Cells cache their dropout masks for the steps of one sequence, never longer.
        _reset_dropout_masks(self.cell)
        try:
            last, sequence, states = runner(self, inputs, states, mask, training)
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful and inputs.device.type != "meta":
            self._store_states(states)
        if self.return_sequences and self.time_major:
            sequence = sequence.transpose(0, 1)
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output] + list(self._pack_states(states))
        return output

    def _cast_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = backend.torch_dtype(self.compute_dtype)
        return inputs if inputs.dtype == dtype else inputs.to(dtype)

    def _run_cell_loop(
        self,
        rnn: RNN,
        inputs: torch.Tensor,
        states: list,
        mask: Optional[torch.Tensor],
        training: bool,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor], list]:
        """The generic path: call the cell at every step, as Keras' RNN does."""
        cell = self.cell
        if isinstance(cell, Layer):
            call_cell = cell
            kwargs = {"training": training} if cell._call_accepts_training else {}
        else:
            call_cell = cell.call
            kwargs = {}
        structure = self.state_size

        def step(x_t: torch.Tensor, flat_states: list) -> tuple[torch.Tensor, list]:
            output, new_states = call_cell(
                x_t, tree.pack_sequence_as(structure, flat_states), **kwargs
            )
            return output, tree.flatten(new_states if tree.is_nested(new_states) else [new_states])

        return loop.run(
            step,
            inputs,
            states,
            mask,
            go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
        )

    def get_initial_state(self, batch_size: int) -> list[torch.Tensor]:
        like = torch.empty(0, dtype=backend.torch_dtype(self.dtype))
        return self._pack_states(self._default_states(batch_size, like))

    # ------------------------------------------------------------------ shapes

    def _output_size(self) -> int:
        size = getattr(self.cell, "output_size", None)
        if size is None:
            size = self._flat_state_sizes()[0]
        if not isinstance(size, int):
            raise ValueError(f"output_size must be an integer. Received: {size!r}")
        return size

    def compute_output_shape(self, input_shape: Any) -> Any:
        sequence_shape = self._batch_major(sequence_shape_of(input_shape))
        batch, length = sequence_shape[0], sequence_shape[1]
        if self.unroll and length is None:
            raise ValueError(
                "Cannot unroll a RNN if the time dimension is undefined. \n- If using a "
                "Sequential model, specify the time dimension by passing an `Input()` as your "
                "first layer.\n- If using the functional API, specify the time dimension by "
                "passing a `shape` or `batch_shape` argument to your `Input()`."
            )
        size = self._output_size()
        if not self.return_sequences:
            output_shape: tuple = (batch, size)
        elif self.time_major:
            output_shape = (length, batch, size)
        else:
            output_shape = (batch, length, size)
        if not self.return_state:
            return output_shape
        return [output_shape] + list(self._pack_states(self._state_shapes(batch)))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # ------------------------------------------------------------------ config

    def _sequence_config(self) -> dict:
        config = {
            **Layer.get_config(self),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
        }
        # tf.keras always writes `time_major`, which Keras 3 refuses: written only when True.
        if self.time_major:
            config["time_major"] = True
        # tf.keras writes the key only when set; both Keras versions read it.
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        return config

    def get_config(self) -> dict:
        return {**self._sequence_config(), "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> RNN:
        config = dict(config)
        if "cell" in config:
            cell_config = config.pop("cell")
            if isinstance(cell_config, list):  # tf.keras wrote a list of cells as a list
                cell = [deserialize_layer(c, custom_objects) for c in cell_config]
            else:
                cell = deserialize_layer(cell_config, custom_objects)
            return cls(cell, **config)
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, cell={type(self.cell).__name__}"


class SelfCell:
    """Mixin for an RNN subclass that is its own cell (its weights are its own)."""

    @property
    def cell(self) -> Any:
        """Keras code reads ``layer.cell.kernel``; here the layer is its own cell."""
        return self

    def _build_cell(self, step_shape: tuple) -> None:
        self._build_core(step_shape)
        self.input_spec = self._built_input_spec(step_shape)

    def _built_input_spec(self, step_shape: tuple) -> InputSpec:
        return InputSpec(ndim=3, axes={-1: step_shape[-1]})

    def _cast_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = self._torch_param("weight_ih").dtype
        return inputs if inputs.dtype == dtype else inputs.to(dtype)

    def _cell_defines_initial_state(self) -> bool:
        return False

    def get_config(self) -> dict:
        # tf.keras keys, without `implementation` and with `time_major` only when True: Keras 3
        # refuses those, so leaving them out keeps the config readable by both.
        return {
            **self._sequence_config(),
            **self._cell_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }


# --------------------------------------------------------------------------- helpers


def sequence_shape_of(input_shape: Any) -> tuple:
    """The sequence's shape, also when given the shapes of ``[sequence, *states]``."""
    if not is_shape(input_shape):
        input_shape = input_shape[0]
    return tuple(input_shape)


def split_inputs(inputs: Sequence[Any], initial_state: Any) -> tuple[Any, Any]:
    """tf.keras records an RNN call with symbolic initial states as ``[sequence, *states]``."""
    if initial_state is None and len(inputs) > 1:
        initial_state = list(inputs[1:])
    return inputs[0], initial_state


def standardize_mask(mask: Any, inputs: torch.Tensor) -> Optional[torch.Tensor]:
    """A boolean mask ``(batch, time, ...)``; the first mask of a list.

    Keras broadcasts any trailing mask axes against each step's output and states (a
    ``(batch, time, 1)`` mask, or a per-position mask from ``Masking`` before ConvLSTM).
    """
    mask = _first_mask(mask, inputs, "", "(batch, timesteps)")
    return None if mask is None else mask.to(torch.bool)


def time_major_mask(mask: Any, inputs: torch.Tensor) -> Optional[torch.Tensor]:
    """A time-major layer's mask ``(time, batch, ...)`` (the first of a list) seen batch-major.

    tf.keras reads the mask in the layout of the inputs, so a time-major mask is transposed
    like them (a view).
    """
    mask = _first_mask(mask, inputs, " with time_major=True", "(timesteps, batch)")
    return None if mask is None else mask.transpose(0, 1)


def _first_mask(mask: Any, inputs: torch.Tensor, which: str, axes: str) -> Optional[torch.Tensor]:
    """The first mask of a list, as a tensor whose leading axes are those of ``inputs``."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if mask is None:
        return None
    mask = torch.as_tensor(mask, device=inputs.device)
    if mask.ndim < 2 or tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
        raise ValueError(
            f"The mask of a recurrent layer{which} must have shape {axes[:-1]}, ...) with "
            f"{axes} = {tuple(inputs.shape[:2])}; received a mask of shape "
            f"{tuple(mask.shape)}."
        )
    return mask


def _defines_initial_state(cell: Any) -> bool:
    if isinstance(cell, CellCore):
        return False
    if isinstance(cell, StackedRNNCells):
        return any(_defines_initial_state(c) for c in cell.cells)
    return callable(getattr(cell, "get_initial_state", None))


def _reset_dropout_masks(cell: Any) -> None:
    for name in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
        reset = getattr(cell, name, None)
        if callable(reset):
            reset()
    for inner in getattr(cell, "cells", ()):
        _reset_dropout_masks(inner)
