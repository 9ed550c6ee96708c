"""Dense's quantized weights and calls (Keras 3.15's ``Dense`` int8/int4/float8 paths).

Dense keeps its kernel in torch layout (``weight`` (out, in)); the quantized kernel does too:
int8 ``weight`` (out, in), int4 ``weight`` (ceil(out / 2), in) holding two output channels per
byte, both viewed in Keras' layouts ((in, out), (in, ceil(out / 2))) by ``layouts.py``. Scales
are per output channel (``kernel_scale`` (out,)), or for sub-channel int4 per block of
``block_size`` inputs with zero points (``kernel_scale``/``kernel_zero`` (groups, out) and
``g_idx`` (in,), the block of each input).

int8 quantizes the inputs per row on the fly and multiplies int8 by int8 (exact sums, as
Keras' int32 matmul), then divides by both scales; int4 is weight-only by default.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers import float8_training
from kerasish.layers.quantization import QuantizableMixin
from kerasish.quantizers import config as config_lib
from kerasish.quantizers import int_ops
from kerasish.quantizers import quantizers as q

_FLOAT8_SPEC = ("kernel", "bias") + float8_training.FLOAT8_VARIABLES


def block_arange(length: int, block_size: int):
    """Keras' ``g_idx`` initializer: the block of each index, as float32."""

    def initialize(shape: Any, dtype: Any = None) -> torch.Tensor:
        return torch.div(torch.arange(length, dtype=torch.float32), block_size, rounding_mode="floor")

    return initialize


class DenseQuantization(QuantizableMixin):
    _serialization_spec = {
        "int8": ("kernel", "bias", "kernel_scale"),
        "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
        "float8": _FLOAT8_SPEC,
    }

    def _logical_shape(self) -> tuple:
        return (self.weight.shape[1], self.units)

    # ------------------------------------------------------------------ build

    def _int8_build(self, shape: tuple, config: Any) -> None:
        self.inputs_quantizer = config_lib.QuantizationConfig.activation_quantizer_or_default(
            config, q.AbsMaxQuantizer()
        )
        self.add_weight("kernel", shape=shape, dtype="int8", initializer="zeros", trainable=False)
        self.add_weight("kernel_scale", shape=(self.units,), initializer="ones", trainable=False)

    def _int4_build(self, shape: tuple, config: Any) -> None:
        self.inputs_quantizer = config_lib.QuantizationConfig.activation_quantizer_or_default(
            config, None
        )
        input_dim, output_dim = shape
        self.add_weight("kernel", shape=(input_dim, (output_dim + 1) // 2), dtype="int8",
                        initializer="zeros", trainable=False)
        block_size = self._int4_block_size(config)
        self._block_size = None if block_size in (None, -1) else block_size
        grouped = self._block_size is not None
        scale_shape = (math.ceil(input_dim / block_size), self.units) if grouped else (self.units,)
        self.add_weight("kernel_scale", shape=scale_shape, initializer="ones", trainable=False)
        if grouped:
            self.add_weight("kernel_zero", shape=scale_shape, dtype="int8", initializer="zeros",
                            trainable=False)
            self.add_weight("g_idx", shape=(input_dim,), dtype="float32",
                            initializer=block_arange(input_dim, block_size), trainable=False)

    def _float8_build(self, shape: tuple, config: Any) -> None:
        float8_training.build_variables(self)

    # --------------------------------------------------------------- quantize

    def _quantize_weights(self, mode: str, config: Any) -> None:
        kernel = self._variable("kernel").value  # Keras layout (in, out)
        shape = tuple(kernel.shape)
        if mode == "float8":
            self._quantized_build(shape, mode, config)
            return
        zero = None
        if mode == "int8":
            quantizer = config_lib.QuantizationConfig.weight_quantizer_or_default(
                config, q.AbsMaxQuantizer(axis=0)
            )
            values, scale = quantizer(kernel, to_numpy=True)
            scale = scale.squeeze(0)
        else:
            values, scale, zero = _quantize_int4(kernel, config)
            values = q.pack_int4(values, axis=-1)[0]
        self._drop_variable("kernel")
        self._quantized_build(shape, mode, config)
        self._assign_quantized(values, scale, zero)

    def _assign_quantized(self, values: torch.Tensor, scale: torch.Tensor,
                          zero: Optional[torch.Tensor]) -> None:
        self._variable("kernel").assign(values)
        self._variable("kernel_scale").assign(scale)
        if zero is not None:
            self._variable("kernel_zero").assign(zero)

    # ------------------------------------------------------------------ calls

    def _unpacked_weight(self) -> torch.Tensor:
        """The int4 kernel as int8 values in torch layout (out, in)."""
        return q.unpack_int4(self.weight, self.units, axis=0)

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._finish(inputs, self._scaled_matmul(inputs, self.weight, self.kernel_scale))

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        unpacked = self._unpacked_weight()
        if self._block_size is None:
            x = self._scaled_matmul(inputs, unpacked, self.kernel_scale)
        else:
            x = F.linear(inputs, self._dequantized_grouped(unpacked).to(inputs.dtype))
        return self._finish(inputs, x)

    def _scaled_matmul(self, inputs: torch.Tensor, weight: torch.Tensor,
                       kernel_scale: torch.Tensor) -> torch.Tensor:
        """Keras' ``matmul`` then division by the output scale (per-channel kernels)."""
        compute = inputs.dtype
        if self.inputs_quantizer:
            quantized, inputs_scale = self.inputs_quantizer(inputs, axis=-1)
            x = int_ops.int8_linear(quantized, weight)
            scale = kernel_scale * inputs_scale
        else:
            x = F.linear(inputs, weight.to(compute))
            scale = kernel_scale
        return x.to(compute) / scale

    def _dequantized_grouped(self, unpacked: torch.Tensor) -> torch.Tensor:
        """``(q - zero[g]) * scale[g]`` in torch layout (out, in)."""
        return q.dequantize_with_sz_map(
            unpacked.t(), self.kernel_scale, self.kernel_zero, self.g_idx, group_axis=0
        ).t()

    def _float8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        float8_training.refuse_lora(self)
        x = F.linear(
            float8_training.round_input(self, inputs, "inputs_scale", "inputs_amax_history"),
            float8_training.round_input(self, self.weight, "kernel_scale", "kernel_amax_history"),
        )
        x = float8_training.round_output_gradient(self, x)
        return self.activation(float8_training.add_bias(self, x))

    def _finish(self, inputs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.lora_enabled:
            low_rank = F.linear(F.linear(inputs, self.lora_A), self.lora_B)
            x = (x + self._lora_scale() * low_rank).to(inputs.dtype)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def _quantized_kernel(self) -> torch.Tensor:
        """Keras' ``kernel`` of a quantized Dense: the int8 values (int4 unpacked), (in, out)."""
        if self.quantization_mode == "int4":
            return self._unpacked_weight().t()
        return self.weight.t()

    # ------------------------------------------------------------------ files

    def _requantized_with_lora(self) -> dict:
        """Keras' ``_get_kernel_with_merged_lora``: dequantize, add the LoRA delta, quantize."""
        compute = backend.torch_dtype(self.compute_dtype)
        mode = self.quantization_mode
        if mode == "int8":
            kernel = self.weight.t().to(compute) / self.kernel_scale
        elif self._block_size is None:
            kernel = self._unpacked_weight().t().to(compute) / self.kernel_scale
        else:
            kernel = self._dequantized_grouped(self._unpacked_weight()).t().to(compute)
        kernel = kernel + self._lora_scale() * (self.lora_kernel_a @ self.lora_kernel_b)
        zero = None
        if mode == "int8":
            values, scale = q.abs_max_quantize(kernel, axis=0, to_numpy=True)
            scale = scale.squeeze(0)
        else:
            config = None if self._block_size is None else config_lib.Int4QuantizationConfig(
                block_size=self._block_size)
            values, scale, zero = _quantize_int4(kernel, config)
            values = q.pack_int4(values, axis=-1)[0]
        return {"kernel": values, "kernel_scale": scale, "kernel_zero": zero}


def _quantize_int4(kernel: torch.Tensor, config: Any):
    """Keras' int4 kernel quantization of an (in, out) kernel: per channel (symmetric) or per
    block of inputs (asymmetric, with zero points)."""
    block_size = config.block_size if isinstance(config, config_lib.Int4QuantizationConfig) else None
    if block_size is None or block_size == -1:
        quantizer = config_lib.QuantizationConfig.weight_quantizer_or_default(
            config, q.AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8")
        )
        values, scale = quantizer(kernel, to_numpy=True)
        return values, scale.squeeze(0), None
    return q.abs_max_quantize_grouped_with_zero_point(kernel, block_size=block_size, to_numpy=True)
