"""GroupQueryAttention (Keras 3's ``keras.layers.GroupQueryAttention``).

Grouped-query attention (Ainslie et al., 2023) shares each key/value head among
``num_query_heads // num_key_value_heads`` query heads. It reuses MultiHeadAttention's
masking and attention paths (fused SDPA or explicit masked softmax, chosen as Keras 3
chooses them) so the numerics, including fully masked rows, stay Keras 3's. The weights keep
Keras 3's layout and ``get_weights()`` order: ``query`` ``(dim, Nq, H)``, ``key`` and
``value`` ``(dim, Nkv, H)``, optional ``gate``, then ``attention_output`` ``(Nq, H, dim)``.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch

from kerasish import constraints, initializers, regularizers
from kerasish.layers.activation import Softmax
from kerasish.layers.attention import MultiHeadAttention
from kerasish.layers.base import Layer
from kerasish.layers.core import Dropout
from kerasish.layers.einsum_dense import EinsumDense


class GroupQueryAttention(MultiHeadAttention):
    """Grouped-query attention with Keras 3's weights, call arguments and config."""

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: Optional[int] = None,
        flash_attention: Optional[bool] = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        # MultiHeadAttention's constructor checks its own arguments; this layer has others.
        Layer.__init__(self, **kwargs)
        self.supports_masking = True
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self._num_heads = num_query_heads
        self._key_dim = self._value_dim = head_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        self._output_shape = None
        self._sliding_window = sliding_window
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._softmax_robust_masking = True
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(head_dim))
        self._attention_axes = (1,)
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Please set dropout "
                "to 0.0 to use flash attention."
            )
        self._build_shapes: Optional[tuple] = None

    use_gate = property(lambda self: self._use_gate)

    # Keras 3's class (its `.keras` weight paths) is `GroupedQueryAttention`.
    _keras3_class_name = "GroupedQueryAttention"

    @classmethod
    def _default_name(cls) -> str:
        # Keras 3's class is `GroupedQueryAttention`, exported as `GroupQueryAttention`.
        return "grouped_query_attention"
    sliding_window = property(lambda self: self._sliding_window)

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        if value_shape is None:
            raise ValueError(
                f"GroupQueryAttention layer '{self.name}' needs the shapes of both `query` and "
                f"`value` to build. Received: query_shape={query_shape}"
            )
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(
                    f"GroupQueryAttention layer '{self.name}' expects `{arg}` of rank 3 "
                    f"(batch, sequence, features). Received: {arg}_shape={shape}"
                )
        self._build_shapes = (query_shape, value_shape, key_shape)
        common = self._sublayer_kwargs()
        feature_dim = query_shape[-1]

        def projection(equation: str, heads: int, bias_axes: str, name: str, **extra: Any) -> EinsumDense:
            return EinsumDense(
                equation,
                output_shape=(None, heads, self.head_dim),
                bias_axes=bias_axes if self._use_bias else None,
                name=name,
                **extra,
                **common,
            )

        # Keras 3's attribute names (its `.keras` paths); their order is its weight order: query, key, gate, value, output.
        self._query_dense = projection("bqm,muh->bquh", self.num_query_heads, "uh", "query")
        self._query_dense._maybe_build(query_shape)
        self._key_dense = projection("bkm,mvh->bkvh", self.num_key_value_heads, "vh", "key")
        self._key_dense._maybe_build(key_shape)
        if self._use_gate:
            self._gate_dense = projection(
                "bqm,muh->bquh", self.num_query_heads, "uh", "gate", activation="sigmoid"
            )
            self._gate_dense._maybe_build(query_shape)
        self._value_dense = projection("bkm,mvh->bkvh", self.num_key_value_heads, "vh", "value")
        self._value_dense._maybe_build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed)
        # MultiHeadAttention's explicit path takes (key, query) and (scores, value).
        self._dot_product_equation = "bkuh,bquh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._output_dense = EinsumDense(
            "bquh,uhm->bqm",
            output_shape=(None, feature_dim),
            bias_axes="m" if self._use_bias else None,
            name="attention_output",
            **common,
        )
        self._output_dense._maybe_build((None, None, self.num_query_heads, self.head_dim))
        self.built = True

    def keras3_build_config(self) -> dict:
        """Keras 3's ``build_config`` for a build taking several shapes."""
        query_shape, value_shape, key_shape = self._build_shapes
        shapes = {"query_shape": list(query_shape), "value_shape": list(value_shape)}
        if key_shape != value_shape:
            shapes["key_shape"] = list(key_shape)
        return {"shapes_dict": shapes}

    def _project(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> tuple:
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        # Query head u reads key/value head u // num_repeats, as Keras' `ops.repeat(axis=2)`.
        if self.num_repeats > 1:
            key = key.repeat_interleave(self.num_repeats, dim=2)
            value = value.repeat_interleave(self.num_repeats, dim=2)
        return gate, query, key, value

    def _output_projection(self, output: torch.Tensor) -> torch.Tensor:
        return self._output_dense(output)

    def compute_output_shape(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> tuple:
        query_shape = tuple(query_shape)
        if value_shape is None:
            return query_shape
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def get_config(self) -> dict:
        return {
            **Layer.get_config(self),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "sliding_window": self._sliding_window,
            "dropout": self._dropout,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> GroupQueryAttention:
        return cls(**config)

