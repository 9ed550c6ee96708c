"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU.

Formulas and argument checks are Keras 3's (ThresholdedReLU, which Keras 3 dropped, is
tf.keras'). Configs use the keys both Keras 3 and tf.keras read: LeakyReLU writes ``alpha``
(tf.keras' name, which Keras 3 still accepts) and reads either.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from kerasish import activations, constraints, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec


class _Elementwise(Layer):
    """Shape-preserving, mask-preserving, weightless."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class ReLU(_Elementwise):
    """``x`` above ``threshold`` (clipped at ``max_value``), ``negative_slope * (x - threshold)`` below."""

    def __init__(
        self,
        max_value: Optional[float] = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                "max_value of a ReLU layer cannot be a negative value. Received: "
                f"max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative value. "
                f"Received: negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                "threshold of a ReLU layer cannot be None or a negative value. Received: "
                f"threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.negative_slope == 0 and self.threshold == 0:
            if self.max_value is None:
                return F.relu(inputs)
            if self.max_value == 6:
                return F.relu6(inputs)
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_Elementwise):
    """``x`` if positive else ``negative_slope * x``; Keras 2 called the slope ``alpha``."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                f"value. Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = float(negative_slope)

    @property
    def alpha(self) -> float:
        return self.negative_slope

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.negative_slope}


class ELU(_Elementwise):
    """``x`` if positive else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError(
                f"Alpha of an ELU layer cannot be None, expecting a float. Received: {alpha}"
            )
        self.alpha = float(alpha)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(_Elementwise):
    """tf.keras' ``x if x > theta else 0`` (removed in Keras 3; ``ReLU(threshold=theta)`` is close)."""

    def __init__(self, theta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError(
                "Theta of a Thresholded ReLU layer cannot be None, expecting a float. "
                f"Received: {theta}"
            )
        if theta < 0:
            raise ValueError(
                f"The theta value of a Thresholded ReLU layer should be >=0. Received: {theta}"
            )
        self.theta = float(theta)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs * (inputs > self.theta).to(inputs.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "theta": self.theta}


def _large_negative(dtype: torch.dtype) -> float:
    return -3e4 if dtype == torch.float16 else -1e9


class Softmax(_Elementwise):
    """Softmax over ``axis`` (an int or several axes); masked positions get probability 0.

    The mask must broadcast to the inputs; masked logits are replaced by a large negative
    number before the softmax and the outputs there set to 0, as in Keras 3.
    """

    def __init__(self, axis: Union[int, Sequence[int]] = -1, **kwargs: Any) -> None:
        kwargs.pop("robust_masking", None)  # tf.keras option; Keras 3's masking is the robust one
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            inputs = torch.where(mask, inputs, _large_negative(inputs.dtype))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=self.axis, keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = torch.softmax(inputs, dim=axis)
        if mask is not None:
            outputs = torch.where(mask, outputs, 0.0)
        return outputs

    def _check_mask(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = torch.as_tensor(mask, device=inputs.device)
        compatible = mask.ndim <= inputs.ndim and all(
            m in (1, i) for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
        )
        if not compatible:
            raise ValueError(
                f"Softmax layer '{self.name}': the `mask` must be broadcastable to `inputs`. "
                "Each mask dimension must be 1 or match the corresponding input dimension. "
                f"Received: inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
            )
        return mask if mask.dtype == torch.bool else mask > 0.5

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """``x`` if positive else ``alpha * x`` with a learned ``alpha`` per input position.

    ``alpha`` has the input's shape without the batch axis, with size 1 on ``shared_axes``. It
    stays in that Keras layout (``torch.nn.PReLU`` learns one slope per channel on axis 1, which
    is a different parameterization).
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Optional[Union[int, Sequence[int]]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_shape = tuple(input_shape)
        param_shape = list(input_shape[1:])
        for i in self.shared_axes or ():
            if not 1 <= i < len(input_shape):
                raise ValueError(
                    f"PReLU layer '{self.name}': shared axis {i} is out of range for input "
                    f"shape {input_shape} (the batch axis 0 cannot be shared)."
                )
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"PReLU layer '{self.name}' needs every non-shared input axis to be known; "
                f"received input shape {input_shape}. Share the unknown axes with "
                "`shared_axes`."
            )
        self.add_weight(
            "alpha",
            shape=param_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {
            i: input_shape[i]
            for i in range(1, len(input_shape))
            if self.shared_axes and i not in self.shared_axes
        }
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }

