"""EinsumDense's quantized weights and calls (Keras 3.15's ``EinsumDense`` int8/int4/float8).

The kernel keeps Keras' layout, so the quantized variables are Keras' own: int8 ``kernel`` of
the float kernel's shape with ``kernel_scale`` shaped to broadcast against the einsum's output
(``QuantizationAxes``), or int4 ``kernel`` flattened to ``(rows, ceil(cols / 2))`` where rows
are the contracted kernel axes (a row-major reshape, as Keras does) with per-column or per-block
scales. int8 quantizes the inputs over their contracted axes on the fly.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any, Optional

import torch

from kerasish import backend
from kerasish.layers import float8_training
from kerasish.layers.quantization import QuantizableMixin
from kerasish.layers.quantized_dense import block_arange
from kerasish.quantizers import config as config_lib
from kerasish.quantizers import int_ops
from kerasish.quantizers import quantizers as q


class QuantizationAxes:
    """Keras' ``_analyze_quantization_info``: which input and kernel axes the quantizers reduce,
    and how a reduced scale is transposed, expanded and squeezed to broadcast against the
    output (and back). Keras' bookkeeping is reproduced step by step, including its reuse of
    the last expand position when an operand has more reduced axes than missing outputs."""

    def __init__(self, equation: str, input_ndim: int) -> None:
        input_spec, kernel_spec, output_spec = _full_specs(equation, input_ndim)
        self.input_reduced = [i for i, c in enumerate(input_spec) if c not in output_spec]
        self.kernel_reduced = [i for i, c in enumerate(kernel_spec) if c not in output_spec]
        input_expand = [i for i, c in enumerate(output_spec) if c not in input_spec]
        kernel_expand = [i for i, c in enumerate(output_spec) if c not in kernel_spec]
        input_transpose = [input_spec.index(c) for c in output_spec if c in input_spec]
        kernel_transpose = [kernel_spec.index(c) for c in output_spec if c in kernel_spec]
        input_squeeze: list = []
        kernel_squeeze: list = []
        index = None
        for reduced, expand, transpose, squeeze in (
            (self.input_reduced, input_expand, input_transpose, input_squeeze),
            (self.kernel_reduced, kernel_expand, kernel_transpose, kernel_squeeze),
        ):
            for original in reduced:
                if expand:
                    index = expand.pop(0)
                else:
                    squeeze.append(original)
                if index is None:
                    raise ValueError(
                        f"EinsumDense quantization: equation '{equation}' has no output axis to "
                        "place a reduced scale axis on (Keras fails on it too)."
                    )
                transpose.insert(index, original)
        self.input_transpose, self.kernel_transpose = input_transpose, kernel_transpose
        self.input_expand, self.kernel_expand = input_expand, kernel_expand
        self.input_squeeze, self.kernel_squeeze = input_squeeze, kernel_squeeze
        self.gradient_equation = f"{output_spec},{kernel_spec}->{input_spec}"

    def to_output(self, scale: torch.Tensor, kind: str) -> torch.Tensor:
        """A reduced (kept-dims) scale laid out to broadcast against the output."""
        transpose = getattr(self, f"{kind}_transpose")
        if transpose:
            scale = scale.permute(*transpose)
        for axis in sorted(getattr(self, f"{kind}_expand")):
            scale = scale.unsqueeze(axis)
        squeeze = getattr(self, f"{kind}_squeeze")
        if squeeze:
            scale = scale.squeeze(tuple(squeeze))
        return scale

    def kernel_scale_to_kernel(self, scale: torch.Tensor) -> torch.Tensor:
        """The inverse of ``to_output(scale, "kernel")``: the scale against the kernel."""
        for axis in sorted(self.kernel_squeeze):
            scale = scale.unsqueeze(axis)
        if self.kernel_expand:
            scale = scale.squeeze(tuple(self.kernel_expand))
        if self.kernel_transpose:
            inverse = sorted(range(len(self.kernel_transpose)), key=self.kernel_transpose.__getitem__)
            scale = scale.permute(*inverse)
        return scale

    def kernel_scale_shape(self, kernel_shape: tuple) -> list:
        shape = [1 if i in self.kernel_reduced else d for i, d in enumerate(kernel_shape)]
        shape = [shape[i] for i in self.kernel_transpose]
        for axis in sorted(self.kernel_expand):
            shape.insert(axis, 1)
        for axis in sorted(self.kernel_squeeze, reverse=True):
            shape.pop(axis)
        return shape


def _full_specs(equation: str, input_ndim: int) -> tuple[str, str, str]:
    """The equation's specs with an ellipsis replaced by unused labels (Keras' ``get_specs``)."""
    dotless = re.sub(r"\.\.\.", "0", equation)
    match = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dotless)
    if match is not None:
        return match.group(1), match.group(2), match.group(3)
    for pattern, left in (("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False)):
        match = re.match(pattern, dotless)
        if match is None:
            continue
        input_spec, kernel_spec, output_spec = match.groups()
        free = sorted(set(string.ascii_letters) - set(input_spec + kernel_spec + output_spec))
        for i in range(input_ndim - len(input_spec)):
            if left:
                input_spec, output_spec = free[i] + input_spec, free[i] + output_spec
            else:
                input_spec, output_spec = input_spec + free[i], output_spec + free[i]
        return input_spec, kernel_spec, output_spec
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
        "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


class EinsumDenseQuantization(QuantizableMixin):
    _serialization_spec = {
        "int8": ("kernel", "bias", "kernel_scale"),
        "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
        "float8": ("kernel", "bias") + float8_training.FLOAT8_VARIABLES,
    }

    def _logical_shape(self) -> tuple:
        if self.quantization_mode == "int4" and self._is_quantized:
            return tuple(self.original_kernel_shape)
        return tuple(self.kernel.shape)

    def _axes(self) -> QuantizationAxes:
        axes = self.__dict__.get("_quantization_axes")
        if axes is None:
            axes = self._quantization_axes = QuantizationAxes(self.equation, self.input_spec.ndim)
        return axes

    def _rows_and_columns(self, kernel_shape: tuple) -> tuple[int, int]:
        reduced = self._axes().kernel_reduced
        rows = math.prod(d for i, d in enumerate(kernel_shape) if i in reduced)
        return rows, math.prod(d for i, d in enumerate(kernel_shape) if i not in reduced)

    # ------------------------------------------------------------------ build

    def _int8_build(self, shape: tuple, config: Any) -> None:
        axes = self._axes()
        self.inputs_quantizer = config_lib.QuantizationConfig.activation_quantizer_or_default(
            config, q.AbsMaxQuantizer()
        )
        self.quantization_axis = tuple(axes.input_reduced)
        self.add_weight("kernel", shape=shape, dtype="int8", initializer="zeros", trainable=False)
        self.add_weight("kernel_scale", shape=tuple(axes.kernel_scale_shape(shape)),
                        initializer="ones", trainable=False)

    def _int4_build(self, shape: tuple, config: Any) -> None:
        axes = self._axes()
        self.inputs_quantizer = config_lib.QuantizationConfig.activation_quantizer_or_default(
            config, None
        )
        self.quantization_axis = tuple(axes.input_reduced)
        self.original_kernel_shape = tuple(shape)
        rows, columns = self._rows_and_columns(shape)
        block_size = self._int4_block_size(config)
        self._block_size = None if block_size in (None, -1) else block_size
        self._int4_columns = columns
        self.add_weight("kernel", shape=(rows, (columns + 1) // 2), dtype="int8",
                        initializer="zeros", trainable=False)
        grouped = self._block_size is not None
        scale_shape = (math.ceil(rows / block_size), columns) if grouped else (columns,)
        self.add_weight("kernel_scale", shape=scale_shape, initializer="ones", trainable=False)
        if grouped:
            self.add_weight("kernel_zero", shape=scale_shape, dtype="int8", initializer="zeros",
                            trainable=False)
            self.add_weight("g_idx", shape=(rows,), dtype="float32",
                            initializer=block_arange(rows, block_size), trainable=False)

    def _float8_build(self, shape: tuple, config: Any) -> None:
        float8_training.build_variables(self)

    # --------------------------------------------------------------- quantize

    def _quantize_weights(self, mode: str, config: Any) -> None:
        kernel = self.kernel
        shape = tuple(kernel.shape)
        if mode == "float8":
            self._quantized_build(shape, mode, config)
            return
        axes = self._axes()
        zero = None
        if mode == "int8":
            quantizer = config_lib.QuantizationConfig.weight_quantizer_or_default(
                config, q.AbsMaxQuantizer(axis=axes.kernel_reduced)
            )
            values, scale = quantizer(kernel, to_numpy=True)
            scale = axes.to_output(scale, "kernel")
        else:
            block_size = config.block_size if isinstance(config, config_lib.Int4QuantizationConfig) else None
            values, scale, zero = self._quantize_flat_int4(kernel.reshape(self._rows_and_columns(shape)),
                                                           block_size)
        self._drop_variable("kernel")
        self._quantized_build(shape, mode, config)
        self._variable("kernel").assign(values)
        self._variable("kernel_scale").assign(scale)
        if zero is not None:
            self._variable("kernel_zero").assign(zero)

    @staticmethod
    def _quantize_flat_int4(flat: torch.Tensor, block_size: Optional[int]):
        if block_size is None or block_size == -1:
            values, scale = q.abs_max_quantize(flat, axis=0, value_range=(-8, 7), to_numpy=True)
            scale, zero = scale.squeeze(0), None
        else:
            values, scale, zero = q.abs_max_quantize_grouped_with_zero_point(
                flat, block_size=block_size, to_numpy=True
            )
        return q.pack_int4(values, axis=-1)[0], scale, zero

    # ------------------------------------------------------------------ calls

    def _compute(self) -> torch.dtype:
        return backend.torch_dtype(self.compute_dtype)

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        axes = self._axes()
        if self.inputs_quantizer:
            quantized, inputs_scale = self.inputs_quantizer(inputs, axis=self.quantization_axis)
            inputs_scale = axes.to_output(inputs_scale, "input")
            terms = math.prod(self.kernel.shape[i] for i in axes.kernel_reduced)
            x = int_ops.int8_einsum(self.equation, quantized, self.kernel, terms).to(self._compute())
            x = x / (inputs_scale * self.kernel_scale)
        else:
            kernel = self.kernel.to(self._compute()) / axes.kernel_scale_to_kernel(self.kernel_scale)
            x = torch.einsum(self.equation, inputs, kernel)
        return self._finish(inputs, x)

    def _int4_float_kernel(self) -> torch.Tensor:
        unpacked = q.unpack_int4(self.kernel, self._int4_columns, axis=-1)
        if self._block_size is None:
            kernel = unpacked.to(self._compute()) / self.kernel_scale
        else:
            kernel = q.dequantize_with_sz_map(
                unpacked, self.kernel_scale, self.kernel_zero, self.g_idx, group_axis=0
            ).to(self._compute())
        return kernel.reshape(self.original_kernel_shape)

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        kernel = self._int4_float_kernel()
        if self._block_size is None and self.inputs_quantizer:
            quantized, inputs_scale = self.inputs_quantizer(inputs, axis=self.quantization_axis)
            inputs_scale = self._axes().to_output(inputs_scale, "input")
            x = torch.einsum(self.equation, quantized.to(self._compute()), kernel) / inputs_scale
        else:
            x = torch.einsum(self.equation, inputs, kernel)
        return self._finish(inputs, x)

    def _float8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        float8_training.refuse_lora(self)
        x = torch.einsum(
            self.equation,
            float8_training.round_input(self, inputs, "inputs_scale", "inputs_amax_history"),
            float8_training.round_input(self, self.kernel, "kernel_scale", "kernel_amax_history"),
        )
        x = float8_training.round_output_gradient(self, x)
        return self.activation(float8_training.add_bias(self, x))

    def _finish(self, inputs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.lora_enabled:
            low_rank = torch.einsum(self.equation, inputs, self.lora_kernel_a) @ self.lora_kernel_b
            x = (x + self._lora_scale() * low_rank).to(self._compute())
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    # ------------------------------------------------------------------ files

    def _requantized_with_lora(self) -> dict:
        """Keras' ``_get_kernel_with_merged_lora``: dequantize, add the LoRA delta, quantize."""
        axes = self._axes()
        if self.quantization_mode == "int4":
            kernel = self._int4_float_kernel()
        else:
            kernel = self.kernel / axes.kernel_scale_to_kernel(self.kernel_scale)
        kernel = kernel + self._lora_scale() * (self.lora_kernel_a @ self.lora_kernel_b)
        if self.quantization_mode == "int4":
            values, scale, zero = self._quantize_flat_int4(
                kernel.reshape(self._rows_and_columns(tuple(kernel.shape))), self._block_size
            )
        else:
            values, scale = q.abs_max_quantize(kernel, axis=axes.kernel_reduced, to_numpy=True)
            scale, zero = axes.to_output(scale, "kernel"), None
        return {"kernel": values, "kernel_scale": scale, "kernel_zero": zero}
