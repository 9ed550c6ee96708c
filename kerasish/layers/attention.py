"""Attention layers: MultiHeadAttention, Attention (dot-product) and AdditiveAttention.

MultiHeadAttention keeps Keras' structure so weights move between the two libraries as they
are: ``query_dense``/``key_dense``/``value_dense``/``output_dense`` EinsumDense sublayers with
kernels ``(dim, heads, key_dim)`` ... ``(heads, value_dim, out)``, in that ``get_weights()``
order. The attention itself takes the path Keras 3 takes: torch's fused
``scaled_dot_product_attention`` when no scores are returned, there is no dropout and the
inputs are sequences (rank 3); otherwise the explicit ``einsum``/masked-softmax form, which
returns the scores. Choosing the same path keeps the numerics identical, including Keras 3's
difference on fully masked rows (uniform weights on the fused path, zeros on the explicit one).

Masks: a symbolic call picks up the Keras masks of ``query``, ``value`` and ``key`` (an
``Embedding(mask_zero=True)`` upstream), as Keras 3 does, and the output carries the query's
mask.
"""

from __future__ import annotations

import math
import string
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F

from kerasish import constraints, initializers, regularizers
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.activation import Softmax
from kerasish.layers.base import Layer
from kerasish.layers.core import Dropout
from kerasish.layers.einsum_dense import EinsumDense
from kerasish.mixed_precision import policy as policy_lib

# tf.keras writes these into MultiHeadAttention configs (the shapes let from_config build).
_TF_KERAS_BUILD_KEYS = ("query_shape", "key_shape", "value_shape")


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017) with Keras' weights and call arguments."""

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: Optional[int] = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        softmax_robust_masking: bool = True,
        **kwargs: Any,
    ) -> None:
        if not isinstance(num_heads, int) or num_heads <= 0:
            raise ValueError(
                "Received an invalid value for argument `num_heads`, expected a positive "
                f"integer. Received: num_heads={num_heads}"
            )
        if not isinstance(key_dim, int) or key_dim <= 0:
            raise ValueError(
                "Received an invalid value for argument `key_dim`, expected a positive "
                f"integer. Received: key_dim={key_dim}"
            )
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(
                "Received an invalid value for argument `value_dim`, expected a positive "
                f"integer or `None`. Received: value_dim={value_dim}"
            )
        super().__init__(activity_regularizer=None, **kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = float(dropout)
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                ) from None
        self._output_shape = output_shape or None
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple. "
                f"Received: attention_axes={attention_axes}"
            )
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self._sliding_window = sliding_window
        self._softmax_robust_masking = softmax_robust_masking
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Please set dropout "
                "to 0.0 to use flash attention."
            )
        self._build_shapes: Optional[tuple] = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    # ------------------------------------------------------------------ build

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        if value_shape is None:
            raise ValueError(
                f"MultiHeadAttention layer '{self.name}' needs the shapes of both `query` and "
                f"`value` to build. Received: query_shape={query_shape}"
            )
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        self._build_shapes = (query_shape, value_shape, key_shape)
        query_rank = len(query_shape)
        common = self._sublayer_kwargs()

        def projection(rank: int, heads_dim: int, name: str, **extra: Any) -> EinsumDense:
            equation, bias_axes, output_rank = _projection_equation(rank - 1, 1, 2)
            return EinsumDense(
                equation,
                output_shape=[None] * (output_rank - 3) + [self._num_heads, heads_dim],
                bias_axes=bias_axes if self._use_bias else None,
                name=name,
                **extra,
                **common,
            )

        self.query_dense = projection(query_rank, self._key_dim, "query")
        self.query_dense._maybe_build(query_shape)
        self.key_dense = projection(len(key_shape), self._key_dim, "key")
        self.key_dense._maybe_build(key_shape)
        if self._use_gate:
            self.gate_dense = projection(query_rank, self._value_dim, "gate", activation="sigmoid")
            self.gate_dense._maybe_build(query_shape)
        self.value_dense = projection(len(value_shape), self._value_dim, "value")
        self.value_dense._maybe_build(value_shape)

        projected_rank = query_rank + 1
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, projected_rank - 2))
        else:
            self._attention_axes = tuple(
                axis if axis >= 0 else (projected_rank - 1) + axis for axis in self._attention_axes
            )
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            projected_rank, self._attention_axes
        )
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed)

        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, output_rank = _projection_equation(query_rank - 1, 2, len(output_shape))
        self.output_dense = EinsumDense(
            equation,
            output_shape=[None] * (output_rank - 1 - len(output_shape)) + list(output_shape),
            bias_axes=bias_axes if self._use_bias else None,
            name="attention_output",
            **common,
        )
        output_input_shape = query_shape[:-1] + (self._num_heads, self._value_dim)
        self.output_dense._maybe_build(output_input_shape)
        self.built = True

    def _sublayer_kwargs(self) -> dict:
        return {
            "kernel_initializer": self._kernel_initializer,
            "bias_initializer": self._bias_initializer,
            "kernel_regularizer": self._kernel_regularizer,
            "bias_regularizer": self._bias_regularizer,
            "activity_regularizer": self._activity_regularizer,
            "kernel_constraint": self._kernel_constraint,
            "bias_constraint": self._bias_constraint,
            "dtype": policy_lib.serialize(self._dtype),
        }

    def build_from_config(self, config: dict) -> None:
        """Keras 3's ``build_config``: ``{"shapes_dict": {"query_shape": ..., ...}}``."""
        shapes = config.get("shapes_dict") or {}
        if shapes.get("query_shape") is not None and shapes.get("value_shape") is not None:
            self._maybe_build_all(shapes["query_shape"], shapes["value_shape"], shapes.get("key_shape"))

    def _maybe_build_all(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        if self.built:
            return
        self.build(query_shape, value_shape, key_shape)
        if self._initial_weights is not None:
            initial, self._initial_weights = self._initial_weights, None
            self.set_weights(initial)

    def _build_from_call(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        query, value, key = _bind_qvk(args, kwargs)
        self._maybe_build_all(
            tuple(query.shape), tuple(value.shape), None if key is None else tuple(key.shape)
        )

    # ------------------------------------------------------------------ calling

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        self._build_from_call(args, kwargs)
        query, value, key = _bind_qvk(args, kwargs)
        framework = []
        # Keras 3 fills `<arg>_mask` from the inputs' Keras masks; they are not saved in configs.
        for arg_name, tensor in (("query_mask", query), ("value_mask", value), ("key_mask", key)):
            mask = getattr(tensor, "_keras_mask", None)
            if kwargs.get(arg_name) is None and mask is not None:
                kwargs[arg_name] = mask
                framework.append(arg_name)
        outputs = super()._symbolic_call(args, kwargs)
        self._inbound_nodes[-1].framework_kwargs = frozenset(framework)
        return outputs

    def _eager_call(self, args: tuple, kwargs: dict) -> Any:
        self._build_from_call(args, kwargs)
        return super()._eager_call(args, kwargs)

    def call(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: Optional[torch.Tensor] = None,
        query_mask: Optional[torch.Tensor] = None,
        value_mask: Optional[torch.Tensor] = None,
        key_mask: Optional[torch.Tensor] = None,
        attention_mask: Optional[torch.Tensor] = None,
        return_attention_scores: bool = False,
        training: Optional[bool] = None,
        use_causal_mask: bool = False,
    ) -> Any:
        if key is None:
            key = value
        if training is None:
            training = self.training
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
            and self._sliding_window is None
        )
        if not causal_only:
            attention_mask = self._compute_attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        gate, query, key, value = self._project(query, key, value)
        output, scores = self._compute_attention(
            query, key, value, attention_mask, training, return_attention_scores, causal_only
        )
        if gate is not None:
            output = output * gate
        output = self._output_projection(output)
        if return_attention_scores:
            return output, scores
        return output

    def _project(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> tuple:
        """The gate (or None) and the query, key and value heads; GroupQueryAttention
        overrides it (its own sublayers, key/value heads repeated)."""
        gate = self.gate_dense(query) if self._use_gate else None
        return gate, self.query_dense(query), self.key_dense(key), self.value_dense(value)

    def _output_projection(self, output: torch.Tensor) -> torch.Tensor:
        return self.output_dense(output)

    def _compute_attention_mask(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        query_mask: Optional[torch.Tensor],
        value_mask: Optional[torch.Tensor],
        key_mask: Optional[torch.Tensor],
        attention_mask: Optional[torch.Tensor],
        use_causal_mask: bool,
    ) -> Optional[torch.Tensor]:
        """The ``(B, T, S)`` boolean mask combining every source: query/value/key masks, the
        causal and sliding-window bands, and ``attention_mask``."""
        auto = None
        if query_mask is not None:
            auto = query_mask.bool().unsqueeze(-1)
        for mask in (value_mask, key_mask):
            if mask is not None:
                mask = mask.bool().unsqueeze(-2)
                auto = mask if auto is None else auto & mask
        if use_causal_mask:
            causal = _causal_mask(query.shape[1], value.shape[1], query.device)
            auto = causal if auto is None else auto & causal
        if self._sliding_window is not None:
            rows = torch.arange(query.shape[1], device=query.device).reshape(1, -1, 1)
            cols = torch.arange(value.shape[1], device=query.device).reshape(1, 1, -1)
            band = (rows - cols).abs() < self._sliding_window
            auto = band if auto is None else auto & band
        if attention_mask is not None:
            attention_mask = torch.as_tensor(attention_mask, device=query.device).bool()
        if auto is not None:
            attention_mask = auto if attention_mask is None else attention_mask & auto
        return attention_mask

    def _compute_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: Optional[torch.Tensor],
        training: bool,
        return_attention_scores: bool,
        causal_only: bool,
    ) -> tuple:
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. "
                "Please disable flash attention to access attention scores."
            )
        fused = not (self._dropout > 0.0 or return_attention_scores or query.ndim != 4)
        if fused:
            return self._fused_attention(query, key, value, attention_mask, causal_only), None
        if causal_only:
            attention_mask = _causal_mask(query.shape[1], value.shape[1], query.device)
        query = query * self._inverse_sqrt_key_dim
        scores = torch.einsum(self._dot_product_equation, key, query)
        if attention_mask is not None:
            expand_at = -len(self._attention_axes) * 2 - 1
            while attention_mask.ndim < scores.ndim:
                attention_mask = attention_mask.unsqueeze(expand_at)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0.0 else scores
        output = torch.einsum(self._combine_equation, dropped, value)
        return output, scores

    def _masked_softmax(self, scores: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        if mask is None or self._softmax_robust_masking:
            return self._softmax(scores, mask=mask)
        # tf.keras' default (`softmax_robust_masking=False`): add -1e9 where masked.
        large = -3e4 if scores.dtype == torch.float16 else -1e9
        return self._softmax(scores + (~mask).to(scores.dtype) * large)

    def _fused_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attention_mask: Optional[torch.Tensor],
        causal_only: bool,
    ) -> torch.Tensor:
        """SDPA on ``(B, N, T, H)`` views; the boolean mask becomes Keras' additive one."""
        additive = None
        if attention_mask is not None:
            mask = attention_mask
            while mask.ndim < 4:
                mask = mask.unsqueeze(-3)
            large = -0.7 * (65500.0 if query.dtype == torch.float16 else 3.38953e38)
            additive = torch.where(mask, 0.0, large).to(query.dtype)
        q, k, v = (t.transpose(1, 2) for t in (query, key, value))
        output = F.scaled_dot_product_attention(
            q.contiguous(),
            k.contiguous(),
            v.contiguous(),
            attn_mask=additive,
            is_causal=causal_only,
            scale=self._inverse_sqrt_key_dim,
        )
        return output.transpose(1, 2)

    # ------------------------------------------------------------------ shapes

    def compute_output_shape(
        self, query_shape: Any, value_shape: Any = None, key_shape: Any = None
    ) -> tuple:
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError(
                    "All dimensions of `value` and `key`, except the last one, must be equal. "
                    f"Received: value_shape={value_shape} and key_shape={key_shape}"
                )
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        key_shape = None if key is None else key.shape
        output = KerasTensor(
            self.compute_output_shape(query.shape, value.shape, key_shape), self.compute_dtype
        )
        if not return_attention_scores:
            return output
        # (batch and other non-attention axes, heads, query attention axes, key attention axes)
        key_tensor = value if key is None else key
        batch_axes = [i for i in range(len(query.shape) - 1) if i not in self._attention_axes]
        scores_shape = (
            tuple(query.shape[i] for i in batch_axes)
            + (self._num_heads,)
            + tuple(query.shape[i] for i in self._attention_axes)
            + tuple(key_tensor.shape[i] for i in self._attention_axes)
        )
        return output, KerasTensor(scores_shape, self.compute_dtype)

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
        }
        # tf.keras' keys, which its from_config requires (tf.keras is the .h5 schema's owner).
        shapes = self._build_shapes or (None, None, None)
        config.update(
            {
                "query_shape": _json_shape(shapes[0]),
                "key_shape": _json_shape(shapes[2]),
                "value_shape": _json_shape(shapes[1]),
                "softmax_robust_masking": self._softmax_robust_masking,
            }
        )
        # Keras 3-only features, written only when used.
        for key, value, default in (
            ("use_gate", self._use_gate, False),
            ("sliding_window", self._sliding_window, None),
            ("seed", self.seed, None),
        ):
            if value != default:
                config[key] = value
        return config

    @classmethod
    def from_config(cls, config: dict) -> MultiHeadAttention:
        config = dict(config)
        shapes = [config.pop(key, None) for key in _TF_KERAS_BUILD_KEYS]
        layer = cls(**config)
        query_shape, key_shape, value_shape = shapes
        if query_shape is not None and value_shape is not None:
            layer._maybe_build_all(query_shape, value_shape, key_shape)
        return layer


class Attention(Layer):
    """Dot-product (Luong-style) attention over ``[query, value]`` or ``[query, value, key]``."""

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: Optional[int] = None,
        causal: Optional[bool] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        # tf.keras 2.x's constructor flag, replaced by the call argument `use_causal_mask`.
        self.causal = bool(causal)
        self.supports_masking = True
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight("scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                "concat_score_weight", shape=(), initializer="ones"
            )
        self.built = True

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.tanh(summed).sum(-1)

    def _apply_scores(
        self, scores: torch.Tensor, value: torch.Tensor, scores_mask: Optional[torch.Tensor], training: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if scores_mask is not None:
            padding = ~scores_mask
            if padding.ndim == 2:
                padding = padding.unsqueeze(-2)
            max_value = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            scores = torch.where(padding, scores - max_value, scores)
        weights = torch.softmax(scores, dim=-1)
        if training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout, True)
        return torch.matmul(weights, value), weights

    def call(
        self,
        inputs: Sequence[torch.Tensor],
        mask: Optional[Sequence[Optional[torch.Tensor]]] = None,
        training: Optional[bool] = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        if training is None:
            training = self.training
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = value_mask.bool() if value_mask is not None else None
        if use_causal_mask or self.causal:
            causal = _causal_mask(scores.shape[-2], scores.shape[-1], scores.device)
            scores_mask = causal if scores_mask is None else scores_mask.unsqueeze(-2) & causal
        output, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            output = torch.where(query_mask.bool().unsqueeze(-1), output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def compute_output_spec(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = KerasTensor(
            self.compute_output_shape([query.shape, value.shape, key.shape]), self.compute_dtype
        )
        if return_attention_scores:
            return output, KerasTensor(tuple(query.shape[:-1]) + (key.shape[-2],), self.compute_dtype)
        return output

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        class_name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(
                f"{class_name} layer '{self.name}' must be called on a list of inputs, namely "
                f"[query, value] or [query, value, key]. Received: inputs={inputs}."
            )
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(
                f"{class_name} layer '{self.name}' accepts inputs list of length 2 or 3, "
                f"namely [query, value] or [query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(
                    f"{class_name} layer '{self.name}' mask must be a list, namely "
                    f"[query_mask, value_mask]. Received: mask={mask}."
                )
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(
                    f"{class_name} layer '{self.name}' accepts mask list of length 2 or 3. "
                    f"Received: inputs={inputs}, mask={mask}."
                )

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
        }
        if self.seed is not None:
            config["seed"] = self.seed
        if self.causal:
            config["causal"] = True
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: ``sum(scale * tanh(query + key))`` scores."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(
                "scale", shape=(input_shape[0][-1],), initializer="glorot_uniform"
            )
        self.built = True

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        summed = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.scale is not None:
            summed = self.scale * summed
        return summed.sum(-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config


# ---------------------------------------------------------------- helpers


def _bind_qvk(args: tuple, kwargs: dict) -> tuple:
    names = ("query", "value", "key")
    values = list(args[:3]) + [None] * (3 - len(args[:3]))
    for i, name in enumerate(names):
        if values[i] is None:
            values[i] = kwargs.get(name)
    query, value, key = values
    if query is None or value is None:
        raise ValueError(
            "MultiHeadAttention must be called with both `query` and `value`. Received: "
            f"query={query}, value={value}"
        )
    return query, value, key


def _causal_mask(query_length: int, key_length: int, device: torch.device) -> torch.Tensor:
    """``(1, T, S)``: position i attends to positions j <= i, as Keras' cumsum construction."""
    return torch.ones((query_length, key_length), dtype=torch.bool, device=device).tril().unsqueeze(0)


def _json_shape(shape: Optional[tuple]) -> Optional[list]:
    return None if shape is None else list(shape)


def _projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """The EinsumDense equation of a projection: free axes pass through, bound axes contract
    with the kernel, output axes come from it (and carry the bias)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims : free_dims + bound_dims]
    out = letters[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def _attention_equations(rank: int, attention_axes: tuple) -> tuple[str, str, int]:
    """einsum equations for ``(batch..., attention axes..., heads, channels)`` projections:
    query.key -> ``(batch..., heads, query attention..., key attention...)`` scores, and
    scores.value -> the query's layout."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_axes = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source = list(target)
    offset = rank
    for i in attention_axes:
        source[i] = letters[offset]
        offset += 1
    source = "".join(source)
    product = (
        "".join(target[i] for i in batch_axes)
        + "".join(target[i] for i in attention_axes)
        + "".join(source[i] for i in attention_axes)
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)
