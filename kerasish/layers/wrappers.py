"""Wrapper layers: a layer that holds another layer (or a whole model) and reuses its weights.

The wrapped layer is a registered submodule, so its weights count, train, move with ``.to()``
and appear in ``state_dict`` under ``layer.``.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish.layers.base import Layer, is_shape
from kerasish.saving.model_config import deserialize_layer, serialize_layer
from kerasish.utils import tree


def _map_shapes(fn: Any, shapes: Any) -> Any:
    """Apply ``fn`` to every shape tuple in a (nested) structure of shapes."""
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {key: _map_shapes(fn, value) for key, value in shapes.items()}
    return type(shapes)(_map_shapes(fn, value) for value in shapes)


class Wrapper(Layer):
    """Base of layers wrapping one other layer; serializes it as ``{"class_name", "config"}``."""

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `{type(self).__name__}` layer with a "
                f"`keras.layers.Layer` instance. Received: {layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> Wrapper:
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Apply the wrapped layer to every time step: ``(B, T, ...)`` runs as one ``(B*T, ...)`` batch.

    Folding time into the batch makes one call of the inner layer instead of T, and the folding
    is a view for contiguous inputs. The inner layer can be a whole model, which is how an image
    classifier becomes a video classifier.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shape(self, input_shape: Any) -> tuple:
        if not is_shape(input_shape) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape}"
            )
        batch, steps = input_shape[0], input_shape[1]
        merged = None if batch is None or steps is None else batch * steps
        return (merged,) + tuple(input_shape[2:])

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        child_shape = self._child_input_shape(input_shape)
        if not self.layer.built:
            self.layer._maybe_build(child_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> Any:
        child_output = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        batch, steps = input_shape[0], input_shape[1]
        return _map_shapes(lambda shape: (batch, steps) + shape[1:], child_output)

    def call(
        self,
        inputs: torch.Tensor,
        training: Optional[bool] = None,
        mask: Optional[torch.Tensor] = None,
    ) -> Any:
        if not isinstance(inputs, torch.Tensor) or inputs.ndim < 3:
            shape = tuple(inputs.shape) if hasattr(inputs, "shape") else type(inputs).__name__
            raise ValueError(
                f"`TimeDistributed` layer '{self.name}' expects one input of rank >= 3 "
                f"(batch, time, ...); received {shape}."
            )
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs: dict = {}
        # training=None leaves the inner layer on its own train/eval flag, which .train() and
        # .eval() keep in step with this layer's.
        if training is not None and self.layer._call_accepts_training:
            kwargs["training"] = training
        if mask is not None and self.layer._call_accepts_mask:
            mask = torch.as_tensor(mask, device=inputs.device)
            if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f"The `mask` passed to the `TimeDistributed` layer '{self.name}' has shape "
                    f"{tuple(mask.shape)}, incompatible with the input shape "
                    f"{tuple(inputs.shape)}: its first two dimensions must be "
                    f"({batch}, {steps})."
                )
            kwargs["mask"] = mask.reshape((batch * steps,) + tuple(mask.shape[2:]))
        folded = inputs.reshape((batch * steps,) + tuple(inputs.shape[2:]))
        outputs = self.layer(folded, **kwargs)
        return tree.map_structure(
            lambda y: y.reshape((batch, steps) + tuple(y.shape[1:])), outputs
        )
