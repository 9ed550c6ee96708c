"""Keras 3's ``SpectralNormalization``: divide a wrapped layer's kernel by its spectral norm.

Keras' semantics, which are not ``torch.nn.utils.spectral_norm``'s: each *training* call runs
``power_iterations`` steps on the Keras-layout kernel reshaped to ``(-1, last_dim)``, then
*overwrites* the kernel with ``kernel / sigma`` (no gradient flows through sigma), and updates
the non-trainable ``vector_u``; an all-zero kernel is left as it is. Inference uses the kernel
as stored. kerasish keeps kernels in torch layout, so the update reads and writes the layer's
Keras-layout view (a transpose/permute of the torch ``weight``), which keeps the wrapped layer's
own parameters in place. Like Keras, the wrapper lists the kernel as its own first variable, so
``weights`` and ``.keras`` files have Keras' order (``[kernel, vector_u, bias]``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import initializers
from kerasish.layers.base import Layer
from kerasish.layers.input_spec import InputSpec
from kerasish.layers.wrappers import Wrapper
from kerasish.variables import Variable


def _l2_normalize(x: torch.Tensor) -> torch.Tensor:
    """Keras' ``normalize(x, axis=None)``: ``x * rsqrt(max(sum(x**2), epsilon**2))``."""
    return x * torch.rsqrt(x.square().sum().clamp_min(1e-14))


class SpectralNormalization(Wrapper):
    """Constrain the wrapped layer's Lipschitz constant (GAN discriminators)."""

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape: Sequence[Optional[int]]) -> None:
        if not self.layer.built:
            self.layer._maybe_build(tuple(input_shape))
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if getattr(self.layer, "lora_enabled", False):
            raise NotImplementedError(
                "SpectralNormalization of a LoRA-enabled layer: its kernel is the merged "
                "product, not a variable that can be normalised in place."
            )
        self._kernel_variable = self._find_kernel()
        self.kernel_shape = self._kernel_variable.shape
        self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=self._kernel_variable.dtype,
        )
        self.built = True

    def _find_kernel(self) -> Variable:
        variables = {v.name: v for v in self.layer._keras_variables}
        for name in ("kernel", "embeddings"):
            if name in variables:
                return variables[name]
        raise ValueError(
            f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
        )

    @property
    def kernel(self) -> torch.Tensor:
        """The wrapped layer's kernel in Keras layout (a view of its torch weight)."""
        return self._kernel_variable.value

    @property
    def vector_u(self) -> torch.Tensor:
        return self._keras_variables[0].tensor

    def _own_variables(self) -> list[Variable]:
        # Keras tracks ``self.kernel = self.layer.kernel`` as the wrapper's own first variable.
        return [self._kernel_variable, *super()._own_variables()]

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if training:
            self._normalize_kernel()
        outputs = self.layer(inputs)
        return outputs.to(inputs.dtype)

    @torch.no_grad()
    def _normalize_kernel(self) -> None:
        kernel = self.kernel
        u = self.vector_u
        new_u, new_kernel = self.normalized_weights()
        # Keras' ``cond(all(kernel == 0), keep, normalise)``, without a host sync.
        keep = (kernel == 0).all()
        u.copy_(torch.where(keep, u, new_u.to(u.dtype)))
        kernel.copy_(torch.where(keep, kernel, new_kernel.to(kernel.dtype)))

    def normalized_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(vector_u, kernel / sigma)`` after the power iterations, as Keras computes them."""
        kernel = self.kernel
        weights = kernel.reshape(-1, self.kernel_shape[-1])
        u = self.vector_u
        for _ in range(self.power_iterations):
            v = _l2_normalize(u @ weights.T)
            u = _l2_normalize(v @ weights)
        u, v = u.detach(), v.detach()
        sigma = (v @ weights) @ u.T
        return u, (kernel / sigma).reshape(self.kernel_shape)

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
