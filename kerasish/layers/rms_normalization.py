"""RMSNormalization (Keras 3): ``x * rsqrt(mean(square(x)) + epsilon) * scale``.

The ``scale`` weight is stored as ``torch.nn.RMSNorm`` stores it (``weight``), so the layer's
``state_dict`` loads into that module; Keras files name it ``scale`` (``saving/layouts.py``).
The arithmetic is ``kerasish.ops.rms_normalization``: float32 compute, torch's fused
``F.rms_norm`` over trailing axes.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish.layers.base import Layer
from kerasish.ops import nn as nn_ops


class RMSNormalization(Layer):
    """Root-mean-square normalization over ``axis`` with a learned per-feature ``scale``.

    Like Keras, ``build`` turns ``axis`` into a sorted list (so a built layer's config says
    ``axis: [-1]``). Axes other than the trailing ones are reduced where they are and ``scale``
    is broadcast along them; Keras' torch backend would normalize the trailing axes instead.
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    @property
    def scale(self) -> Optional[torch.Tensor]:
        """Keras' name of the weight torch calls ``weight``."""
        return self.weight if self.built else None

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        shape = tuple(input_shape[d] for d in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"RMSNormalization layer '{self.name}': the normalized axes {axes} of the input "
                f"must be known. Received input shape {input_shape}."
            )
        self.axis = axes
        self.add_weight(name="scale", shape=shape, initializer="ones")
        ndim = len(input_shape)
        positive = sorted(d % ndim for d in axes)
        # Where the scale's dims sit in the input (None when the axes are the trailing ones,
        # whose scale broadcasts as it is).
        trailing = positive == list(range(ndim - len(axes), ndim))
        self._broadcast_shape = None if trailing else tuple(
            input_shape[d] if d in positive else 1 for d in range(ndim)
        )
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        scale = self.weight
        if inputs.is_floating_point() and scale.dtype != inputs.dtype:
            # Keras reads the variable in the call's compute dtype before the op upcasts it.
            scale = scale.to(inputs.dtype)
        if self._broadcast_shape is not None:
            scale = scale.reshape(self._broadcast_shape)
        return nn_ops.rms_normalization.eager(
            inputs, scale=scale, axis=self.axis, epsilon=self.epsilon
        )

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        rank = len(input_shape)
        for axis in axes:
            if axis >= rank or axis < -rank:
                raise ValueError(
                    f"Axis {axis} is out of bounds for input shape {tuple(input_shape)}. "
                    f"Received: axis={self.axis}"
                )
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
