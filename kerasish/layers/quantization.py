"""Keras 3's ``layer.quantize(mode)`` protocol, shared by Dense, EinsumDense and Embedding.

A layer is quantized by its dtype policy: ``"int8_from_float32"``, ``"int4/128_from_float32"``
or ``"float8_from_float32"`` (``mixed_precision/quantized_policies.py``). ``quantize(mode)``
replaces the float weight by Keras' quantized variables (same names, shapes and dtypes as
Keras 3's, stored beside the layer's other weights) and sets that policy; a layer built with a
quantized policy (a Keras 3 config) builds those variables directly. Each layer's module
(``quantized_dense.py``...) supplies the arithmetic: ``_<mode>_build`` (the variables),
``_quantize_weights`` (quantizing its float weight), ``_<mode>_call`` and
``_requantized_with_lora`` (the LoRA-merged values files hold).

As with LoRA, the instance's ``call`` is pointed at the mode's call (``_int8_call``...), so
unquantized layers run their ordinary code untouched; the quantized calls add LoRA themselves.
Files hold Keras 3's ``variable_serialization_spec`` order (``kernel, bias, kernel_scale``...),
and with LoRA the kernel re-quantized after merging the factors, as Keras saves it.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from kerasish import devices
from kerasish.mixed_precision import policy as policy_lib
from kerasish.mixed_precision import quantized_policies
from kerasish.quantizers import config as config_lib
from kerasish.variables import Variable


def refuse_gptq_argument(layer_class: str, value: Any) -> None:
    """EinsumDense's ``gptq_unpacked_column_size`` (written by GPTQ-quantized Keras models)."""
    if value is not None:
        raise NotImplementedError(
            f"{layer_class}: `gptq_unpacked_column_size` (Keras 3 GPTQ quantization) is not "
            f"supported by kerasish. Received: gptq_unpacked_column_size={value!r}"
        )


class QuantizableMixin:
    """Keras 3's quantization protocol for a layer with one quantizable weight.

    A layer sets the class attributes, calls ``_init_quantization`` in ``__init__``, and in
    ``build`` calls ``_quantized_build`` before creating its float weight (skipped for int
    modes, as ``_builds_float_weight`` says) and ``_dispatch_quantized`` at the end.
    """

    _quantizable_class: type = object  # quantize() refuses subclasses, as Keras' type check
    _quantized_weight = "kernel"  # Keras name of the weight that is quantized
    # Per mode, the Keras 3 file order of the layer's variables (its variable_serialization_spec).
    _serialization_spec: dict = {}
    _quantized_calls = {"int8": "_int8_call", "int4": "_int4_call", "float8": "_float8_call"}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        from kerasish.layers.base import Layer

        # The first layer class with the mixin is the one Keras' type check accepts.
        if issubclass(cls, Layer) and not any(
            issubclass(base, Layer) and issubclass(base, QuantizableMixin) for base in cls.__bases__
        ):
            cls._quantizable_class = cls

    def _init_quantization(self, quantization_config: Any) -> None:
        self.quantization_config = config_lib.deserialize(quantization_config)
        self._is_quantized = False

    # ---------------------------------------------------------------- policy

    @property
    def quantization_mode(self) -> Optional[str]:
        """The quantization mode of the layer's policy, None when it is not quantized."""
        return quantized_policies.mode_of(self._dtype)

    @property
    def dtype_policy(self) -> policy_lib.DTypePolicy:
        return policy_lib.get(self._dtype)

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        # Keras: setting a quantized policy on a built layer quantizes it.
        self._dtype = policy_lib.policy_name(value)
        mode = self.quantization_mode
        if mode is not None and self.built and not self._is_quantized:
            self.quantize(mode)

    def _builds_float_weight(self) -> bool:
        return self.quantization_mode not in ("int8", "int4")

    def _int4_block_size(self, config: Optional[config_lib.QuantizationConfig]) -> Optional[int]:
        """Keras' ``get_block_size_for_layer``: the config's, else the policy's (-1 -> None)."""
        if isinstance(config, config_lib.Int4QuantizationConfig):
            return config.block_size
        block_size = quantized_policies.block_size_of(self._dtype)
        return None if block_size == -1 else block_size

    # ---------------------------------------------------------------- quantize

    def quantize(self, mode: Optional[str] = None, type_check: bool = True, config: Any = None) -> None:
        """Quantize the built layer's weight in place (Keras 3's ``layer.quantize``)."""
        config = config_lib.resolve(mode, config)
        mode = config.mode
        self._check_quantize_args(mode)
        if type_check and type(self) is not self._quantizable_class:
            raise NotImplementedError(
                f"Layer {type(self).__name__} does not have a `quantize` method implemented."
            )
        self.quantization_config = config
        with torch.no_grad(), devices.device_scope(self._variable(self._quantized_weight).tensor.device):
            self._quantize_weights(mode, config)
        if self.quantization_mode is None:
            name = mode
            if mode == "int4":
                block_size = self._int4_block_size(config)
                name = f"int4/{-1 if block_size is None else block_size}"
            self._dtype = policy_lib.policy_name(f"{name}_from_{self._dtype}")
        self._dispatch_quantized()

    def _check_quantize_args(self, mode: str) -> None:
        if not self.built:
            raise ValueError(
                "Cannot quantize a layer that isn't yet built. "
                f"Layer '{self.name}' (of type '{type(self).__name__}') is not built yet."
            )
        if self._is_quantized:
            raise ValueError(
                f"Layer '{self.name}' is already quantized with "
                f"dtype_policy='{self.dtype_policy.name}'. Received: mode={mode}"
            )
        if mode == "int8" and self.compute_dtype == "float16":
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. "
                "Consider loading model/layer with another dtype policy such as "
                "'mixed_bfloat16' or 'mixed_float16' before calling `quantize()`."
            )
        if policy_lib.is_mixed(self._dtype):
            raise NotImplementedError(
                f"Layer '{self.name}'.quantize(mode='{mode}'): quantizing a layer with the mixed "
                f"precision policy '{self._dtype}' is not supported by kerasish."
            )

    def _quantized_build(self, shape: tuple, mode: str, config: Any) -> None:
        builder = getattr(self, f"_{mode}_build", None)
        if builder is None:
            raise NotImplementedError(
                f"Invalid quantization mode. Expected one of {tuple(self._quantized_calls)}. "
                f"Received: quantization_mode={mode}"
            )
        builder(shape, config)
        self._is_quantized = True

    def _dispatch_quantized(self) -> None:
        """Point the instance's ``call`` at its mode's call (after LoRA's own switch)."""
        mode = self.quantization_mode
        if mode is not None and self._is_quantized:
            self.call = getattr(self, self._quantized_calls[mode])

    def enable_lora(self, rank: int, lora_alpha: Optional[float] = None,
                    a_initializer: Any = "he_uniform", b_initializer: Any = "zeros") -> None:
        super().enable_lora(rank, lora_alpha, a_initializer, b_initializer)
        self._dispatch_quantized()

    def _lora_base_shape(self) -> tuple:
        """The Keras shape of the float weight LoRA adapts (int4 stores it packed)."""
        return self._logical_shape()

    # --------------------------------------------------------------- variables

    def _variable(self, name: str) -> Variable:
        for variable in self._keras_variables:
            if variable.name == name:
                return variable
        raise AttributeError(f"Layer '{self.name}' has no weight '{name}'.")

    def _drop_variable(self, name: str) -> None:
        """Remove a weight (Keras' ``del self._kernel`` before the quantized one is made)."""
        variable = self._variable(name)
        store = self._parameters if variable._attr in self._parameters else self._buffers
        del store[variable._attr]
        self._keras_variables.remove(variable)

    # ------------------------------------------------------------------ files

    def _saved_variables(self, own: list) -> list:
        """Keras 3's ``save_own_variables`` slots: the mode's spec order; with LoRA the
        quantized weight, scale and zero point re-quantized from the merged weight."""
        mode = self.quantization_mode
        if mode is None or not self._is_quantized:
            parent = getattr(super(), "_saved_variables", None)
            return parent(own) if parent is not None else own
        by_name = {variable.name: variable for variable in own}
        slots = []
        for name in self._serialization_spec[mode]:
            variable = by_name.get(name)
            if variable is None:
                continue
            if getattr(self, "lora_enabled", False) and name in self._requantized_names():
                variable = RequantizedSlot(self, variable)
            slots.append(variable)
        return slots

    def _requantized_names(self) -> tuple:
        weight = self._quantized_weight
        return (weight, f"{weight}_scale", f"{weight}_zero")

    def _quantization_config_entry(self) -> dict:
        """``quantization_config`` for ``get_config``: written, as Keras 3 writes it, once set."""
        if self.quantization_config is None:
            return {}
        return {"quantization_config": config_lib.serialize(self.quantization_config)}


class RequantizedSlot:
    """A quantized variable's slot in a file when LoRA is on: Keras 3 saves the weight merged
    with the LoRA factors and quantized again (with its new scale and zero point); loading
    assigns the value and zeroes the factors, so the loaded layer computes what was saved."""

    def __init__(self, layer: Any, variable: Variable) -> None:
        self._layer = layer
        self._variable = variable
        self.name = variable.name

    @property
    def path(self) -> str:
        return self._variable.path

    @property
    def shape(self) -> tuple:
        return self._variable.shape

    def numpy(self) -> np.ndarray:
        with torch.no_grad():
            values = self._layer._requantized_with_lora()
        return values[self.name].detach().cpu().numpy().copy()

    def assign(self, value: Any) -> None:
        self._variable.assign(value)
        for suffix in ("a", "b"):
            factor = self._layer._variable(f"lora_{self._layer._lora_base}_{suffix}")
            factor.assign(np.zeros(factor.shape, dtype="float32"))
