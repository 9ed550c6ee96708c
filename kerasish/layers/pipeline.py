"""Pipeline (Keras 3's ``keras.layers.Pipeline``): layers applied in order, as one layer.

Unlike a Sequential model it is a plain layer, meant for preprocessing and augmentation
stacks. As in Keras 3 its ``training`` argument defaults to ``True``, so a pipeline called on
its own augments; a model calling it in inference passes ``training=False``. Its config is
Keras 3's: ``{"layers": [serialized layers], "name"}`` and nothing else.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from kerasish.layers.base import Layer, _shape_structure
from kerasish.saving.model_config import deserialize_layer


class Pipeline(Layer):
    """A series of layers applied one after another to an input."""

    def __init__(self, layers: Sequence[Layer], name: Optional[str] = None) -> None:
        super().__init__(name=name)
        for layer in layers:
            if not isinstance(layer, Layer):
                raise ValueError(
                    f"Pipeline '{self.name}' takes a list of layers. Received an element of "
                    f"type {type(layer).__name__}: {layer!r}"
                )
        # Keras 3 reaches the layers through `layers` first (their `.keras` weight paths);
        # digit-named modules register their weights with torch, as StackedRNNCells does.
        self.layers = self._pipeline_layers = list(layers)
        for i, layer in enumerate(self._pipeline_layers):
            self.add_module(str(i), layer)
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = True, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self._pipeline_layers:
            outputs = layer(inputs, **_call_kwargs(layer, training, mask))
            mask = layer.compute_mask(inputs, mask) if layer.supports_masking or _own_mask(layer) else None
            inputs = outputs
        return outputs

    def compute_output_spec(self, inputs: Any, training: Any = True, mask: Any = None) -> Any:
        # Each layer's symbolic output spec in turn; the layers build on the way.
        for layer in self._pipeline_layers:
            layer._maybe_build(_shape_structure(inputs))
            spec = layer.compute_output_spec(inputs, **_call_kwargs(layer, training, mask))
            mask = layer.compute_mask(inputs, mask) if layer.supports_masking or _own_mask(layer) else None
            inputs = spec
        return inputs

    def get_config(self) -> dict:
        from kerasish.saving.serialization import serialize_keras_object

        return {"layers": [serialize_keras_object(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        config = {**config, "layers": [deserialize_layer(layer, custom_objects) for layer in layers]}
        return cls(**config)


def _call_kwargs(layer: Layer, training: Any, mask: Any) -> dict:
    kwargs = {}
    if layer._call_accepts_mask:
        kwargs["mask"] = mask
    if layer._call_accepts_training and training is not None:
        kwargs["training"] = training
    return kwargs


def _own_mask(layer: Layer) -> bool:
    return type(layer).compute_mask is not Layer.compute_mask

