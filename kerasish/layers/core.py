"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Identity, Masking."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import activations, backend, constraints, initializers, regularizers
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.kernel_config import kernel_bias_config
from kerasish.layers.lora import TorchLayoutLoraMixin
from kerasish.layers.quantized_dense import DenseQuantization
from kerasish.utils import tree


class Dense(DenseQuantization, TorchLayoutLoraMixin, Layer):
    """``activation(inputs @ kernel + bias)``; stored as torch ``Linear`` (``weight`` is (out, in)).

    With LoRA (``lora_rank=``/``enable_lora``) the kernel is frozen and ``lora_A``/``lora_B``
    adapt it (``layers/lora.py``). ``quantize("int8"/"int4"/"float8")`` or a quantized dtype
    policy replaces the kernel by Keras 3's quantized variables (``layers/quantized_dense.py``).
    """

    _lora_alpha_survives_build = False  # Keras 3.15's Dense.build: enable_lora(self.lora_rank)

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: Optional[int] = None,
        lora_alpha: Optional[float] = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self._init_quantization(quantization_config)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to a Dense layer should be defined. "
                f"Layer '{self.name}' received input shape {tuple(input_shape)}."
            )
        if self.quantization_mode:
            self._quantized_build((input_dim, self.units), self.quantization_mode, self.quantization_config)
        if self._builds_float_weight():
            self.add_weight(
                "kernel",
                shape=(input_dim, self.units),
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        if self.use_bias:
            self.add_weight(
                "bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        self._build_lora()
        self._dispatch_quantized()

    @property
    def kernel(self) -> torch.Tensor:
        """The kernel in Keras layout ``(in, units)``: a transposed view of ``weight``, or with
        LoRA the merged kernel, as Keras returns it (quantized: the int8 values)."""
        if self._is_quantized and self.quantization_mode != "float8":
            return self._quantized_kernel()
        if self.lora_enabled:
            return self._lora_merged().t()
        return self.weight.t()

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.activation(F.linear(inputs, self.weight, self.bias))

    def _lora_call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.activation(F.linear(inputs, self._lora_merged(), self.bias))

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            **kernel_bias_config(self),
            **self._quantization_config_entry(),
            **self._lora_config(),
        }

    def extra_repr(self) -> str:
        in_features = self.weight.shape[1] if self.built else None
        return f"name={self.name!r}, in_features={in_features}, units={self.units}"


class Activation(Layer):
    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Inverted dropout at training time only; ``noise_shape`` broadcasts one mask."""

    def __init__(
        self,
        rate: float,
        noise_shape: Optional[Sequence[Optional[int]]] = None,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`. Expected a float value between "
                f"0 and 1. Received: rate={rate}"
            )
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None:
            return F.dropout(inputs, self.rate, True)
        shape = [inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        keep = torch.empty(shape, dtype=inputs.dtype, device=inputs.device)
        keep.bernoulli_(1 - self.rate)
        return inputs * keep / (1 - self.rate)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


class Flatten(Layer):
    """Flatten all but the batch axis, in Keras' channels_last order."""

    def __init__(self, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.ndim == 1:
            return inputs.unsqueeze(1)
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.flatten(1)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        rest = tuple(input_shape[1:]) or (1,)
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(
                f"There must be at most one unknown dimension (-1) in `target_shape`. "
                f"Received: target_shape={self.target_shape}"
            )

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        known_in = input_shape[1:]
        target = list(self.target_shape)
        if any(d is None for d in known_in):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in target)
        total = math.prod(known_in)
        if -1 in target:
            rest = math.prod(d for d in target if d != -1)
            if rest == 0 or total % rest:
                raise ValueError(self._mismatch(input_shape))
            target[target.index(-1)] = total // rest
        elif math.prod(target) != total:
            raise ValueError(self._mismatch(input_shape))
        return (input_shape[0],) + tuple(target)

    def _mismatch(self, input_shape: Sequence[Optional[int]]) -> str:
        return (
            f"Layer '{self.name}': the total size of the target shape {self.target_shape} must "
            f"equal the total size of the input shape {tuple(input_shape[1:])} (batch axis "
            "excluded)."
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}


class Identity(Layer):
    """Returns its inputs unchanged (any structure); a placeholder that keeps masks."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else kwargs["inputs"]
        return tree.map_structure(lambda x: KerasTensor(x.shape, x.dtype), inputs)


class Masking(Layer):
    """Marks timesteps whose features all equal ``mask_value`` as masked and zeroes them."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor:
        return (inputs != self.mask_value).any(dim=-1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)
        return torch.where(keep, inputs, 0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
