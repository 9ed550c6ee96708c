"""Bidirectional: one recurrent layer reading the sequence forwards, a copy reading it backwards.

As in Keras, the layer passed in is only a template: ``forward_layer`` and ``backward_layer``
are fresh layers made from its config (named ``forward_<name>`` and ``backward_<name>``), so
the weights are the forward layer's then the backward layer's, and ``state_dict`` keys read
``forward_layer.weight_ih_l0``. With ``return_sequences`` both sublayers output zeros at
masked steps (Keras forces ``zero_output_for_mask``), and the backward outputs are flipped
back into time order before merging.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

import torch

from kerasish.layers.base import Layer
from kerasish.layers.rnn.base_rnn import sequence_shape_of, split_inputs
from kerasish.saving.model_config import deserialize_layer, serialize_layer

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy_layer(layer: Layer, prefix: str, **overrides: Any) -> Layer:
    config = serialize_layer(layer)
    name = layer.name[len(prefix) :] if layer.name.startswith(prefix) else layer.name
    config["config"] = {**config["config"], "name": prefix + name, **overrides}
    return deserialize_layer(config)


class Bidirectional(Layer):
    def __init__(
        self,
        layer: Layer,
        merge_mode: Optional[str] = "concat",
        weights: Any = None,
        backward_layer: Optional[Layer] = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` need to be a `keras.layers.Layer` instance. Received: "
                f"{backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(weights=weights, **kwargs)
        self.forward_layer = _copy_layer(layer, "forward_")
        if backward_layer is None:
            # tf.keras flips go_backwards (Keras 3 sets True, refusing a backwards template).
            self.backward_layer = _copy_layer(
                layer, "backward_", go_backwards=not layer.go_backwards
            )
        else:
            self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()
        for sublayer in (self.forward_layer, self.backward_layer):
            if hasattr(sublayer, "zero_output_for_mask"):
                sublayer.zero_output_for_mask = sublayer.return_sequences
        self.merge_mode = merge_mode
        if self._batch_input_shape is None:
            # `Bidirectional(LSTM(..., input_shape=...))` first in a Sequential, as tf.keras
            # allowed: the wrapped layer's input shape is the model's.
            self._batch_input_shape = layer._batch_input_shape
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards {forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            forward_value, backward_value = getattr(forward, attr), getattr(backward, attr)
            if forward_value != backward_value:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attr}", got "{forward_value}" for forward layer and '
                    f'"{backward_value}" for backward layer'
                )

    # ------------------------------------------------------------------- build

    def build(self, input_shape: Any) -> None:
        sequence_shape = sequence_shape_of(input_shape)
        self.forward_layer._maybe_build(sequence_shape)
        self.backward_layer._maybe_build(sequence_shape)
        self.built = True

    def _check_input_spec(self, inputs: Any) -> None:
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        super()._check_input_spec(inputs)

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
        kwargs: dict = {}
        if training is not None and self.forward_layer._call_accepts_training:
            kwargs["training"] = training
        if mask is not None and self.forward_layer._call_accepts_mask:
            kwargs["mask"] = mask
        forward_kwargs, backward_kwargs = dict(kwargs), dict(kwargs)
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_kwargs["initial_state"] = initial_state[:half]
            backward_kwargs["initial_state"] = initial_state[half:]
        y = self.forward_layer(inputs, **forward_kwargs)
        y_rev = self.backward_layer(inputs, **backward_kwargs)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(0 if getattr(self.forward_layer, "time_major", False) else 1)
        if self.merge_mode == "concat":
            output: Any = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if self.merge_mode is None else [output]) + states
        return output

    # ------------------------------------------------------------------ shapes

    def compute_output_shape(self, input_shape: Any) -> Any:
        output_shape = self.forward_layer.compute_output_shape(sequence_shape_of(input_shape))
        state_shapes: list = []
        if self.return_state:
            output_shape, state_shapes = output_shape[0], list(output_shape[1:])
        output_shape = tuple(output_shape)
        if self.merge_mode == "concat":
            last = output_shape[-1]
            output: Any = output_shape[:-1] + (None if last is None else 2 * last,)
        elif self.merge_mode is None:
            output = [output_shape, output_shape]
        else:
            output = output_shape
        if self.return_state:
            head = output if self.merge_mode is None else [output]
            return head + state_shapes + state_shapes
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            forward_states = len(self.forward_layer.state_size)
            return masks + [None] * (2 * forward_states)
        return masks if self.merge_mode is None else output_mask

    # ------------------------------------------------------------------ states

    @property
    def states(self) -> Optional[list]:
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return list(forward) + list(backward)
        return None

    def reset_states(self, states: Any = None) -> None:
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def reset_state(self) -> None:
        self.reset_states()

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> Bidirectional:
        config = copy.deepcopy(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        backward_config = config.pop("backward_layer", None)
        if backward_config is not None:
            config["backward_layer"] = deserialize_layer(backward_config, custom_objects)
        if config.pop("num_constants", None):
            raise NotImplementedError(
                "Bidirectional with RNN `constants` (num_constants in a tf.keras config) is not "
                "supported by kerasish."
            )
        return cls(layer, **config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, merge_mode={self.merge_mode!r}"
