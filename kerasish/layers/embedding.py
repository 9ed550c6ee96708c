"""Embedding: integer indices to dense vectors, stored as torch ``Embedding.weight``.

Keras and torch keep the table in the same ``(input_dim, output_dim)`` layout, so ``weight`` is
the Keras ``embeddings`` itself and ``state_dict`` loads into ``torch.nn.Embedding``.

With LoRA (``lora_rank=``/``enable_lora``) the table is frozen and ``lora_embeddings_a``
``(input_dim, rank)`` and ``lora_embeddings_b`` ``(rank, output_dim)`` adapt it (``layers/lora.py``).
Keras looks indices up in the merged table; when a call has fewer indices than the table has
rows, the same values come cheaper from the rows alone: ``table[i] + scale * a[i] @ b``.
``quantize("int8"/"int4")`` replaces the table by Keras 3's quantized one
(``layers/quantized_embedding.py``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from kerasish import backend, constraints, initializers, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.lora import LoraMixin, merged
from kerasish.layers.quantized_embedding import EmbeddingQuantization

# Index dtypes F.embedding takes as they are; anything else (floats holding integers, bool,
# narrow ints) is cast to int64 first, as Keras casts non-int inputs.
_INDEX_DTYPES = (torch.int32, torch.int64)


def _positive_int(value: Any, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"`{arg}` must be a positive integer. Received: {arg}={value!r} "
            f"(of type {type(value).__name__})."
        )
    return value


class Embedding(EmbeddingQuantization, LoraMixin, Layer):
    """Lookup table layer; ``mask_zero=True`` makes index 0 the padding value for later layers."""

    _lora_base = "embeddings"
    _lora_constraint_arg = "embeddings_constraint"
    _lora_constraint_words = "embedding constraints"
    _lora_regularizer_arg = "embeddings_regularizer"
    _lora_alpha_survives_build = False  # Keras 3.15's build: enable_lora(self.lora_rank)

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        activity_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        input_length: Union[int, Sequence[Optional[int]], None] = None,
        sparse: bool = False,
        lora_rank: Optional[int] = None,
        lora_alpha: Optional[float] = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        input_dim = _positive_int(input_dim, "input_dim")
        output_dim = _positive_int(output_dim, "output_dim")
        if sparse:
            raise NotImplementedError("Embedding(sparse=True) is not supported by kerasish.")
        # Keras 2 derived the input shape from `input_length`, which lets a Sequential model
        # whose first layer is an Embedding build itself at construction time.
        if input_length is not None and not {"input_shape", "batch_input_shape"} & set(kwargs):
            lengths = input_length if isinstance(input_length, (list, tuple)) else (input_length,)
            kwargs["input_shape"] = tuple(lengths)
        weights = kwargs.pop("weights", None)
        if weights is not None and not (isinstance(weights, list) and len(weights) == 1):
            weights = [weights]  # Keras 3 takes the bare matrix, Keras 2 a one-item list
        super().__init__(activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length
        self._init_lora(lora_rank, lora_alpha)
        self._init_quantization(quantization_config)
        if weights is not None:
            # Keras builds at once when given weights, so get_weights() works before any call.
            self._initial_weights = weights
            self._maybe_build(None)

    def build(self, input_shape: Any = None) -> None:
        if self.quantization_mode:
            self._quantized_build(self._logical_shape(), self.quantization_mode, self.quantization_config)
        if self._builds_float_weight():
            self.add_weight(
                "embeddings",
                shape=(self.input_dim, self.output_dim),
                initializer=self.embeddings_initializer,
                regularizer=self.embeddings_regularizer,
                constraint=self.embeddings_constraint,
            )
        self.built = True
        self._build_lora()
        self._dispatch_quantized()

    @property
    def embeddings(self) -> torch.Tensor:
        """The table in Keras layout, which is torch's layout too (with LoRA: merged)."""
        if not self.built:
            raise AttributeError("You must build the layer before accessing `embeddings`.")
        if self._is_quantized:
            return self._quantized_table()
        return self._lora_merged() if self.lora_enabled else self.weight

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.to(torch.int64)
        try:
            outputs = F.embedding(inputs, self.weight)
        except IndexError as err:
            raise IndexError(
                f"Embedding layer '{self.name}' got an index outside [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}): {err}"
            ) from err
        dtype = backend.torch_dtype(self.compute_dtype)
        return outputs if outputs.dtype == dtype else outputs.to(dtype)

    def _lora_call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.to(torch.int64)
        if inputs.numel() >= self.input_dim:
            return self._lookup(inputs, self._lora_merged())
        rows = self._lookup(inputs, self.weight)
        low = self._lookup(inputs, self.lora_embeddings_a)
        flat = merged(
            rows.reshape(-1, self.output_dim), low.reshape(-1, low.shape[-1]),
            self.lora_embeddings_b, self._lora_scale(), self._lora_dtype(),
        )
        return flat.view(rows.shape)

    def _lookup(self, inputs: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        try:
            return F.embedding(inputs, table)
        except IndexError as err:
            raise IndexError(
                f"Embedding layer '{self.name}' got an index outside [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}): {err}"
            ) from err

    def _lora_merged(self) -> torch.Tensor:
        return merged(
            self.weight, self.lora_embeddings_a, self.lora_embeddings_b, self._lora_scale(),
            self._lora_dtype(),
        )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Optional[torch.Tensor]:
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        input_shape = tuple(input_shape)
        if self.input_length is None:
            return input_shape + (self.output_dim,)
        lengths = (
            list(self.input_length)
            if isinstance(self.input_length, (list, tuple))
            else [self.input_length]
        )
        if len(lengths) != len(input_shape) - 1:
            raise ValueError(
                f'"input_length" is {self.input_length}, but received input has shape '
                f"{input_shape}"
            )
        for i, (expected, received) in enumerate(zip(lengths, input_shape[1:])):
            if expected is not None and received is not None and expected != received:
                raise ValueError(
                    f'"input_length" is {self.input_length}, but received input has shape '
                    f"{input_shape}"
                )
            if expected is None:
                lengths[i] = received
        return (input_shape[0],) + tuple(lengths) + (self.output_dim,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
            **self._quantization_config_entry(),
            **self._lora_config(),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, input_dim={self.input_dim}, output_dim={self.output_dim}, "
            f"mask_zero={self.mask_zero}"
        )
