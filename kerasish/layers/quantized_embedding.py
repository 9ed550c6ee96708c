"""Embedding's quantized table and lookups (Keras 3.15's ``Embedding`` int8/int4).

One scale per row (``embeddings_scale`` (input_dim,)), the rows being what a lookup reads; int4
packs two columns per byte (``(input_dim, ceil(output_dim / 2))``) and, sub-channel, keeps a
scale and zero point per block of ``block_size`` columns of each row. A lookup gathers the
quantized rows first and dequantizes only those (Keras unpacks the whole table first: the same
values). Embedding has no float8 mode in Keras.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from kerasish import backend
from kerasish.layers.quantization import QuantizableMixin
from kerasish.layers.quantized_dense import block_arange
from kerasish.quantizers import config as config_lib
from kerasish.quantizers import quantizers as q


class EmbeddingQuantization(QuantizableMixin):
    _quantized_weight = "embeddings"
    _quantized_calls = {"int8": "_int8_call", "int4": "_int4_call"}
    _serialization_spec = {
        "int8": ("embeddings", "embeddings_scale"),
        "int4": ("embeddings", "embeddings_scale", "embeddings_zero", "g_idx"),
    }

    def _logical_shape(self) -> tuple:
        return (self.input_dim, self.output_dim)

    def _builds_float_weight(self) -> bool:
        return self.quantization_mode is None

    # ------------------------------------------------------------------ build

    def _int8_build(self, shape: tuple, config: Any) -> None:
        self.add_weight("embeddings", shape=shape, dtype="int8", initializer="zeros", trainable=False)
        self.add_weight("embeddings_scale", shape=(self.input_dim,), initializer="ones",
                        trainable=False)

    def _int4_build(self, shape: tuple, config: Any) -> None:
        input_dim, output_dim = shape
        self.add_weight("embeddings", shape=(input_dim, (output_dim + 1) // 2), dtype="int8",
                        initializer="zeros", trainable=False)
        block_size = self._int4_block_size(config)
        self._block_size = None if block_size in (None, -1) else block_size
        grouped = self._block_size is not None
        scale_shape = (input_dim, math.ceil(output_dim / block_size)) if grouped else (input_dim,)
        self.add_weight("embeddings_scale", shape=scale_shape, initializer="ones", trainable=False)
        if grouped:
            self.add_weight("embeddings_zero", shape=scale_shape, dtype="int8",
                            initializer="zeros", trainable=False)
            self.add_weight("g_idx", shape=(output_dim,), dtype="float32",
                            initializer=block_arange(output_dim, block_size), trainable=False)

    # --------------------------------------------------------------- quantize

    def _quantize_weights(self, mode: str, config: Any) -> None:
        if mode not in self._quantized_calls:
            raise NotImplementedError(
                "Invalid quantization mode. Expected one of ('int8', 'int4'). "
                f"Received: quantization_mode={mode}"
            )
        table = self.weight
        values, scale, zero = self._quantize_table(table, mode, config)
        self._drop_variable("embeddings")
        self._quantized_build(self._logical_shape(), mode, config)
        self._variable("embeddings").assign(values)
        self._variable("embeddings_scale").assign(scale)
        if zero is not None:
            self._variable("embeddings_zero").assign(zero)

    @staticmethod
    def _quantize_table(table: torch.Tensor, mode: str, config: Any):
        if mode == "int8":
            quantizer = config_lib.QuantizationConfig.weight_quantizer_or_default(
                config, q.AbsMaxQuantizer(axis=-1)
            )
            values, scale = quantizer(table, to_numpy=True)
            return values, scale.squeeze(-1), None
        block_size = config.block_size if isinstance(config, config_lib.Int4QuantizationConfig) else None
        if block_size is None or block_size == -1:
            quantizer = config_lib.QuantizationConfig.weight_quantizer_or_default(
                config, q.AbsMaxQuantizer(axis=-1, value_range=(-8, 7), output_dtype="int8")
            )
            values, scale = quantizer(table, to_numpy=True)
            scale, zero = scale.squeeze(-1), None
        else:
            values, scale, zero = q.abs_max_quantize_grouped_with_zero_point(
                table.t(), block_size=block_size, value_range=(-8, 7), dtype="int8", to_numpy=True
            )
            values, scale, zero = values.t(), scale.t(), zero.t()
        return q.pack_int4(values, axis=-1)[0], scale, zero

    # ------------------------------------------------------------------ calls

    def _indices(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs if inputs.dtype in (torch.int32, torch.int64) else inputs.to(torch.int64)

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = self._indices(inputs)
        compute = backend.torch_dtype(self.compute_dtype)
        rows = self._lookup(inputs, self.weight).to(compute)
        outputs = rows / self._lookup(inputs, self.embeddings_scale.unsqueeze(-1))
        return self._finish(inputs, outputs)

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = self._indices(inputs)
        compute = backend.torch_dtype(self.compute_dtype)
        rows = q.unpack_int4(self._lookup(inputs, self.weight), self.output_dim, axis=-1).to(compute)
        if self._block_size is None:
            outputs = rows / self._lookup(inputs, self.embeddings_scale.unsqueeze(-1))
        else:
            outputs = q.dequantize_with_sz_map(
                rows, self._lookup(inputs, self.embeddings_scale),
                self._lookup(inputs, self.embeddings_zero), self.g_idx, group_axis=-1,
            )
        return self._finish(inputs, outputs)

    def _finish(self, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        if self.lora_enabled:
            low_rank = self._lookup(inputs, self.lora_embeddings_a) @ self.lora_embeddings_b
            outputs = (outputs + self._lora_scale() * low_rank).to(backend.torch_dtype(self.compute_dtype))
        return outputs

    def _quantized_table(self) -> torch.Tensor:
        """Keras' ``embeddings`` of a quantized layer: the int8 values (int4 unpacked)."""
        if self.quantization_mode == "int4":
            return q.unpack_int4(self.weight, self.output_dim, axis=-1)
        return self.weight

    # ------------------------------------------------------------------ files

    def _requantized_with_lora(self) -> dict:
        """Keras' ``_get_embeddings_with_merged_lora``: dequantize, add LoRA, quantize again."""
        compute = backend.torch_dtype(self.compute_dtype)
        table = self._quantized_table().to(compute)
        if self.quantization_mode == "int4" and self._block_size is not None:
            table = q.dequantize_with_sz_map(table, self.embeddings_scale, self.embeddings_zero,
                                             self.g_idx, group_axis=-1)
        else:
            table = table / self.embeddings_scale.unsqueeze(-1)
        table = table + self._lora_scale() * (self.lora_embeddings_a @ self.lora_embeddings_b)
        config = None
        if self.quantization_mode == "int4":
            config = config_lib.Int4QuantizationConfig(block_size=self._block_size)
        values, scale, zero = self._quantize_table(table, self.quantization_mode, config)
        return {"embeddings": values, "embeddings_scale": scale, "embeddings_zero": zero}
