"""ReversibleEmbedding (Keras 3's ``keras.layers.ReversibleEmbedding``).

An Embedding that also maps hidden states back to logits over the vocabulary
(``call(x, reverse=True)``), the usual output head of a language model. With
``tie_weights=True`` the reverse projection is the embedding table transposed; untied, it is
its own ``reverse_embeddings`` weight ``(output_dim, input_dim)``, after ``embeddings`` in
Keras' weight order.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """Token embedding whose ``reverse=True`` call projects hidden states to vocabulary logits."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Optional[str] = None,
        logit_soft_cap: Optional[float] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            # Keras gives the reverse table the initializer only (no regularizer/constraint).
            self.add_weight(
                "reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )
        self.built = True

    def call(self, inputs: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        if not reverse:
            return super().call(inputs)
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = backend.torch_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        elif kernel.dtype != inputs.dtype:
            kernel = kernel.to(inputs.dtype)
        logits = torch.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Optional[torch.Tensor]:
        # Only the lookup (integer ids) makes a padding mask; reversed logits carry none.
        if _floating(inputs):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]], reverse: bool = False) -> tuple:
        input_shape = tuple(input_shape)
        if reverse:
            return input_shape[:-1] + (self.input_dim,)
        return input_shape + (self.output_dim,)

    def compute_output_spec(self, inputs: Any, reverse: bool = False) -> KerasTensor:
        if reverse and self.reverse_dtype is not None:
            dtype = self.reverse_dtype
        elif reverse:
            dtype = inputs.dtype
        else:
            dtype = self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }


def _floating(tensor: Any) -> bool:
    """For torch tensors and KerasTensors alike (``torch.float32`` / ``"float32"``)."""
    return "float" in str(getattr(tensor, "dtype", ""))
