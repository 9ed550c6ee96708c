"""EinsumDense: a dense layer whose contraction is any ``einsum`` equation.

The kernel and bias keep Keras' layout (the shapes the equation implies): no ``torch.nn`` module
holds an arbitrary einsum kernel, so there is no torch layout to prefer, and ``state_dict`` keys
are simply ``kernel`` and ``bias``.

Shapes follow Keras' analysis of the equation: ``"ab,bc->ac"`` (no ellipsis), ``"...b,bc->...c"``
(batch-like axes elided on the left) and ``"ab...,bc->ac..."`` (on the right). Each kernel axis
is an input axis (its size read from the input) or an output axis (its size from
``output_shape``); the initializer's fans are the products of those two groups, as Keras 3
computes them.

With LoRA (``lora_rank=``/``enable_lora``) the kernel is frozen and ``lora_kernel_a``
``kernel.shape[:-1] + (rank,)`` and ``lora_kernel_b`` ``(rank, kernel.shape[-1])``, also in Keras
layout, adapt it (``layers/lora.py``). ``layer.kernel`` is the stored kernel parameter here (its
``state_dict`` entry), not Keras' merged kernel; ``_lora_merged()`` is that. Quantized
(``quantize(mode)``, ``layers/quantized_einsum_dense.py``), ``kernel`` is the stored int8 (or
packed int4) variable.
"""

from __future__ import annotations

import math
import re
from typing import Any, Optional, Sequence, Union

import torch

from kerasish import activations, constraints, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.lora import LoraMixin, merged
from kerasish.layers.quantization import refuse_gptq_argument
from kerasish.layers.quantized_einsum_dense import EinsumDenseQuantization

Shape = Sequence[Optional[int]]


class EinsumDense(EinsumDenseQuantization, LoraMixin, Layer):
    def __init__(
        self,
        equation: str,
        output_shape: Union[int, Sequence[Optional[int]]],
        activation: Any = None,
        bias_axes: Optional[str] = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: Optional[int] = None,
        lora_alpha: Optional[float] = None,
        gptq_unpacked_column_size: Optional[int] = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        refuse_gptq_argument("EinsumDense", gptq_unpacked_column_size)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self._init_quantization(quantization_config)

    def build(self, input_shape: Shape) -> None:
        analysis = analyze_equation(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        )
        self.input_spec = InputSpec(ndim=len(input_shape))
        if self.quantization_mode:
            self._quantized_build(analysis.kernel_shape, self.quantization_mode, self.quantization_config)
        if self._builds_float_weight():
            self.add_weight(
                "kernel",
                shape=analysis.kernel_shape,
                initializer=_with_fans(self.kernel_initializer, analysis),
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        if analysis.bias_shape is not None:
            self.add_weight(
                "bias",
                shape=analysis.bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True
        self._build_lora()
        self._dispatch_quantized()

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def _lora_call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = torch.einsum(self.equation, inputs, self._lora_merged())
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def _lora_merged(self) -> torch.Tensor:
        kernel, a = self.kernel, self.lora_kernel_a
        flat = merged(
            kernel.reshape(-1, kernel.shape[-1]), a.reshape(-1, a.shape[-1]),
            self.lora_kernel_b, self._lora_scale(), self._lora_dtype(),
        )
        return flat.view(kernel.shape)

    def compute_output_shape(self, input_shape: Shape) -> tuple:
        return analyze_equation(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape
        ).output_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            **self._quantization_config_entry(),
            **self._lora_config(),
        }

    def extra_repr(self) -> str:
        return f"name={self.name!r}, equation={self.equation!r}"


class EquationAnalysis:
    """Weight and output shapes implied by an EinsumDense equation and input shape."""

    def __init__(
        self,
        kernel_shape: tuple,
        bias_shape: Optional[tuple],
        output_shape: tuple,
        input_axes: tuple,
        output_axes: tuple,
    ) -> None:
        self.kernel_shape = kernel_shape
        self.bias_shape = bias_shape
        self.output_shape = output_shape
        self.input_axes = input_axes
        self.output_axes = output_axes


_PATTERNS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$"), True),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$"), False),
)


def analyze_equation(
    equation: str,
    bias_axes: Optional[str],
    input_shape: tuple,
    output_shape: Union[int, Sequence[Optional[int]]],
) -> EquationAnalysis:
    dotless = equation.replace("...", "0")
    for pattern, left_elided in _PATTERNS:
        match = pattern.match(dotless)
        if match:
            return _analyze(*match.groups(), bias_axes, input_shape, output_shape, left_elided)
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def _analyze(
    input_spec: str,
    weight_spec: str,
    output_spec: str,
    bias_axes: Optional[str],
    input_shape: tuple,
    partial_output: Sequence,
    left_elided: bool,
) -> EquationAnalysis:
    elided = len(input_shape) - len(input_spec)
    if isinstance(partial_output, int):
        partial_output = (partial_output,)
    output_shape = [input_shape[0]] + list(partial_output)
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])

    if left_elided:
        input_dims = {dim: i + elided - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dims = {dim: i + elided for i, dim in enumerate(output_spec)}
    else:
        input_dims = {dim: i for i, dim in enumerate(input_spec)}
        output_dims = {dim: i for i, dim in enumerate(output_spec)}

    for dim in input_spec:
        size = input_shape[input_dims[dim]]
        if dim in output_dims:
            expected = output_shape[output_dims[dim]]
            if expected is not None and expected != size:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{dim}'. "
                    f"Input shape is {size}, and output shape is {expected}."
                )
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{output_spec}'"
            )

    kernel_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dims:
            kernel_shape.append(output_shape[output_dims[dim]])
            output_axes.append(i)
        elif dim in input_dims:
            kernel_shape.append(input_shape[input_dims[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the "
                "weight must be fully specified."
            )

    bias_shape = None
    if bias_axes is not None:
        offset = elided if left_elided else 0
        sizes = {char: output_shape[i + offset] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(
                    f"Bias dimension '{char}' was requested, but is not part of the output "
                    f"spec '{output_spec}'"
                )
        first = min(output_spec.find(char) for char in bias_axes)
        bias_shape = [sizes[char] if char in bias_axes else 1 for char in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
        bias_shape = tuple(bias_shape)

    return EquationAnalysis(
        tuple(kernel_shape), bias_shape, tuple(output_shape), tuple(input_axes), tuple(output_axes)
    )


def _with_fans(initializer: Any, analysis: EquationAnalysis) -> Any:
    """A variance-scaling initializer sees the einsum fans, as Keras 3 gives it input/output axes.

    Fans are the products of the input and the output kernel axes. The values are i.i.d., so
    drawing a ``(fan_in, fan_out)`` matrix and reshaping it to the kernel shape gives exactly the
    distribution Keras draws.
    """
    if not isinstance(initializer, initializers.VarianceScaling):
        return initializer
    shape = analysis.kernel_shape
    fan_in = math.prod(shape[i] for i in analysis.input_axes)
    fan_out = math.prod(shape[i] for i in analysis.output_axes)

    def initialize(kernel_shape: Sequence[int], dtype: Any = None) -> torch.Tensor:
        return initializer((fan_in, fan_out), dtype).reshape(tuple(kernel_shape))

    return initialize
