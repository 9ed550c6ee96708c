"""LoRA (low-rank adaptation), Keras 3's way: ``lora_rank=`` or ``layer.enable_lora(rank)``.

Keras freezes the layer's kernel and trains two float32 factors whose product, scaled by
``lora_alpha / lora_rank``, is added to it: the effective kernel is
``kernel + (lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b``. The factors are ordinary
weights after the layer's own (``weights`` is ``[kernel, bias, lora_kernel_a, lora_kernel_b]``;
the kernel moves to ``non_trainable_weights``), but files never hold them: Keras 3 saves the
merged kernel in the kernel's slot, and loading a file into a LoRA layer sets the kernel and
zeroes both factors. ``_saved_variables`` gives the file formats those Keras 3 slots.

A layer without LoRA runs its ordinary ``call`` untouched; ``enable_lora`` points the instance at
the LoRA variant (an instance attribute shadowing the class' method, which copies and pickles
as a bound method), so only LoRA layers pay for the merge. The merged kernel is materialised
once per call, as Keras does, by one ``addmm`` in the layer's own storage layout.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from kerasish import backend, devices, initializers
from kerasish.variables import Variable


def merged(base: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, scale: float,
           dtype: torch.dtype) -> torch.Tensor:
    """``base + scale * rows @ cols`` for 2-D operands, in ``dtype``.

    The sum is taken in the factors' dtype (float32), as Keras adds a float32 delta to the kernel
    and then casts the result to the layer's compute dtype; for float32 layers both casts are
    no-ops. Under ``torch.autocast`` (mixed policies) ``addmm`` runs in the compute dtype, as
    Keras reads every variable in that dtype inside a mixed layer's call.
    """
    return torch.addmm(base.to(rows.dtype), rows, cols, alpha=scale).to(dtype)


class MergedKernel:
    """The kernel slot of a LoRA layer in Keras 3 files: the merged kernel when saving; when
    loading, the kernel takes the value and both factors are zeroed (Keras'
    ``load_own_variables``), so the loaded layer computes exactly what was saved."""

    def __init__(self, layer: Any, base: Variable, factors: tuple[Variable, Variable]) -> None:
        self._layer = layer
        self._base = base
        self._factors = factors
        self.name = base.name

    @property
    def path(self) -> str:
        return self._base.path

    @property
    def shape(self) -> tuple:
        return self._base.shape

    def numpy(self) -> np.ndarray:
        with torch.no_grad():
            value = self._layer._lora_keras_kernel()
        return value.to(self._base.tensor.dtype).cpu().numpy().copy()

    def assign(self, value: Any) -> None:
        self._base.assign(value)
        for factor in self._factors:
            factor.assign(np.zeros(factor.shape, dtype="float32"))


class LoraMixin:
    """Keras 3's LoRA arguments, ``enable_lora``, config keys and saved variables for a layer
    with one adapted weight.

    A layer sets the class attributes below, calls ``_init_lora`` in ``__init__`` and
    ``_build_lora`` at the end of ``build``, and defines ``_lora_merged`` (the merged weight in
    its storage layout) and the LoRA variant of its per-call method. In Keras layout the factors
    are A ``weight.shape[:-1] + (rank,)`` and B ``(rank, weight.shape[-1])``, so ``A @ B`` has
    the weight's shape for every layer (Dense, Conv, EinsumDense, Embedding).
    """

    _lora_base = "kernel"  # Keras name of the adapted weight
    _lora_constraint_arg = "kernel_constraint"
    _lora_constraint_words = "kernel constraints"
    _lora_regularizer_arg = "kernel_regularizer"
    # (method called per call, its LoRA variant): the instance's method is replaced on enabling.
    _lora_dispatch = ("call", "_lora_call")
    # Keras 3.15's Dense and Embedding build with ``enable_lora(self.lora_rank)``, dropping the
    # ``lora_alpha`` given to the constructor (it becomes the rank); EinsumDense and the
    # convolutions pass it on.
    _lora_alpha_survives_build = True

    def _init_lora(self, lora_rank: Optional[int], lora_alpha: Optional[float]) -> None:
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _build_lora(self) -> None:
        if self.lora_rank:
            alpha = self.lora_alpha if self._lora_alpha_survives_build else None
            self.enable_lora(self.lora_rank, lora_alpha=alpha)

    def enable_lora(
        self,
        rank: int,
        lora_alpha: Optional[float] = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freeze the weight and add the trainable low-rank factors (once per layer)."""
        if getattr(self, self._lora_constraint_arg):
            raise ValueError(
                f"Lora is incompatible with {self._lora_constraint_words}. In order to enable "
                "lora on this layer, remove the "
                f"`{self._lora_constraint_arg}` argument."
            )
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        base = self._lora_variable(self._lora_base)
        shape = self._lora_base_shape()
        a_shape, b_shape = shape[:-1] + (rank,), (rank, shape[-1])
        regularizer = getattr(self, self._lora_regularizer_arg)
        # float32 whatever the layer's dtype, as in Keras: small updates would underflow in
        # half precision. Created beside the weight they adapt, even in a model moved off the
        # default device.
        with devices.device_scope(base.tensor.device):
            for suffix, shape, init in (("a", a_shape, a_initializer), ("b", b_shape, b_initializer)):
                self.add_weight(
                    f"lora_{self._lora_base}_{suffix}",
                    shape=shape,
                    initializer=initializers.get(init),
                    dtype="float32",
                    regularizer=regularizer,
                )
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank
        plain, variant = self._lora_dispatch
        setattr(self, plain, getattr(self, variant))

    def _lora_base_shape(self) -> tuple:
        """The Keras shape of the adapted weight (a quantized layer stores int4 ones packed)."""
        return self._lora_variable(self._lora_base).shape

    def _lora_scale(self) -> float:
        return self.lora_alpha / self.lora_rank

    def _lora_dtype(self) -> torch.dtype:
        return backend.torch_dtype(self.compute_dtype)

    def _lora_variable(self, name: str) -> Variable:
        for variable in self._keras_variables:
            if variable.name == name:
                return variable
        raise AttributeError(f"Layer '{self.name}' has no weight '{name}'.")

    def _lora_keras_kernel(self) -> torch.Tensor:
        """The merged weight in Keras layout (what Keras' ``kernel``/``embeddings`` returns)."""
        base = self._lora_variable(self._lora_base)
        value = self._lora_merged()
        return base._layout.to_keras(value) if base._layout else value

    def _lora_config(self) -> dict:
        if not self.lora_rank:
            return {}
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha}

    def _saved_variables(self, own: list) -> list:
        """What Keras 3's ``save_own_variables`` writes for this layer, from its own variables
        in Keras 3's order."""
        if not self.lora_enabled:
            return own
        factors = (self._lora_variable(f"lora_{self._lora_base}_a"),
                   self._lora_variable(f"lora_{self._lora_base}_b"))
        saved = []
        for variable in own:
            if variable.name == self._lora_base:
                saved.append(MergedKernel(self, variable, factors))
            elif all(variable is not factor for factor in factors):
                saved.append(variable)
        return saved


class TorchLayoutLoraMixin(LoraMixin):
    """LoRA on a layer that stores its kernel in torch layout (Dense, Conv): the factors are
    stored as PEFT stores them, ``lora_A`` ``(rank, in, *k)`` and ``lora_B`` ``(out, rank)``,
    so the merged torch weight is ``weight + scale * lora_B @ lora_A``; ``lora_kernel_a`` and
    ``lora_kernel_b`` give them in Keras layout, as ``kernel`` gives the kernel."""

    @property
    def lora_kernel_a(self) -> torch.Tensor:
        return self._lora_variable("lora_kernel_a").value

    @property
    def lora_kernel_b(self) -> torch.Tensor:
        return self._lora_variable("lora_kernel_b").value

    def _lora_merged(self) -> torch.Tensor:
        weight = self.weight  # (out, in, *k); flatten(1) is the matrix itself for Dense
        flat = merged(
            weight.flatten(1), self.lora_B, self.lora_A.flatten(1), self._lora_scale(),
            self._lora_dtype(),
        )
        return flat.view(weight.shape)
