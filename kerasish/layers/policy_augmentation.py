"""Keras 3's augmentation policies, RandAugment and AugMix: random sequences of the existing
augmentation layers, held as sublayers under Keras' attribute names.

Which operations run is decided on the host (a ``random.Random`` seeded by ``seed``): Keras
draws RandAugment's choice on the device and then computes every one of its eleven operations
per step, keeping the chosen one with ``where``; here only the chosen operation runs. Each
application reseeds that sublayer's generator from the host stream, so the draws follow the
layer's ``seed`` and, as in Keras, an operation RandAugment picks twice in one call repeats the
same transformation.
"""

from __future__ import annotations

import random
from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.layers.color_augmentation import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomPosterization,
    RandomSharpness,
    RandomShear,
    Solarization,
)
from kerasish.layers.image_augmentation import (
    Factor,
    RandomBrightness,
    RandomContrast,
    RandomRotation,
    RandomTranslation,
    _base_factor,
    _RandomImageLayer,
)
from kerasish.layers.warp_augmentation import float32

RAND_AUGMENT_OPS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)
AUG_MIX_OPS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)
AUG_MIX_ALL_OPS = AUG_MIX_OPS + (
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
)

def _operation(name: str, layer: _RandomImageLayer) -> _RandomImageLayer:
    """One policy operation configured from ``layer``'s arguments, as Keras builds it (a
    placeholder seed: the policy reseeds it before every use)."""
    factor, value_range = layer.factor, layer.value_range
    common = {"seed": 0, "data_format": layer.data_format, "dtype": layer.dtype_policy}
    if name == "random_shear":
        return RandomShear(factor, factor, interpolation=layer.interpolation, **common)
    if name == "random_translation":
        return RandomTranslation(factor, factor, interpolation=layer.interpolation, **common)
    if name == "random_rotation":
        return RandomRotation(factor, interpolation=layer.interpolation, **common)
    if name == "random_posterization":
        bits = max(1, int(8 * factor[1]))
        return RandomPosterization(bits, value_range=value_range, **common)
    if name == "solarization":
        return Solarization(factor, factor, value_range=value_range, **common)
    if name == "auto_contrast":
        return AutoContrast(value_range=value_range, data_format=layer.data_format,
                            dtype=layer.dtype_policy)
    if name == "equalization":
        return Equalization(value_range=value_range, data_format=layer.data_format,
                            dtype=layer.dtype_policy)
    colour = {
        "random_brightness": RandomBrightness,
        "random_color_degeneration": RandomColorDegeneration,
        "random_contrast": RandomContrast,
        "random_sharpness": RandomSharpness,
    }[name]
    return colour(factor, value_range=value_range, **common)


class _PolicyLayer(_RandomImageLayer):
    """Sublayers by name, a host random stream, and one reseeded application of a sublayer."""

    def __init__(
        self,
        value_range: Sequence[float],
        factor: Factor,
        interpolation: str,
        seed: Optional[int],
        data_format: Optional[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.factor = _base_factor(factor, (0, 1))
        self.interpolation = interpolation
        self._random = random.Random(seed)

    def _build_operations(self, names: Sequence[str]) -> None:
        for name in names:
            setattr(self, name, _operation(name, self))

    def _apply(self, name: str, images: torch.Tensor, seed: int) -> torch.Tensor:
        """Sublayer ``name``'s training transformation, its generator seeded with ``seed``."""
        operation = getattr(self, name)
        generator = operation._generator(images.device)
        if generator is not None:
            generator.manual_seed(seed)
        return operation._augment_images(images)

    def _compute(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(backend.torch_dtype(self.compute_dtype))


class RandAugment(_PolicyLayer):
    """Applies ``num_ops`` operations in sequence, each drawn per call (for the whole batch)
    from Keras' eleven, with strength ``factor``; their own draws are per image."""

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        num_ops: int = 2,
        factor: Factor = 0.5,
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_ops = num_ops
        self._build_operations(RAND_AUGMENT_OPS)

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        indices = [self._random.randrange(len(RAND_AUGMENT_OPS)) for _ in range(self.num_ops)]
        return self._transform(images, indices)

    def _transform(
        self, images: torch.Tensor, indices: Sequence[int], seeds: Optional[dict] = None
    ) -> torch.Tensor:
        """Keras' ``transform_images`` for chosen operation ``indices``: one transformation per
        operation and call (``seeds``: operation index to generator seed; drawn when absent)."""
        seeds = {} if seeds is None else dict(seeds)
        for index in indices:
            if index not in seeds:
                seeds[index] = self._random.getrandbits(63)
            images = self._apply(RAND_AUGMENT_OPS[index], images, seeds[index])
        return self._compute(images)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


class AugMix(_PolicyLayer):
    """Mixes ``num_chains`` augmented copies of the batch (each a chain of up to
    ``chain_depth`` operations, drawn per call; every step may also be skipped) with
    Dirichlet(``alpha``) weights, then blends the mix with the input by a Beta(``alpha``,
    ``alpha``) weight and clips to ``value_range``.

    The chain choices and both weights are drawn on the host (Keras draws the choices with
    Python's unseeded global ``random``; here they follow ``seed``).
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Factor = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(value_range, factor, interpolation, seed, data_format, **kwargs)
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self._operations = AUG_MIX_ALL_OPS if all_ops else AUG_MIX_OPS
        self._build_operations(self._operations)

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        gammas = [self._random.gammavariate(self.alpha, 1.0) for _ in range(self.num_chains)]
        total = sum(gammas)
        weights = [g / total for g in gammas]
        weight_sample = self._random.betavariate(self.alpha, self.alpha)
        choices = list(self._operations) + [None]
        chains = [
            [name for name in (self._random.choice(choices) for _ in range(self.chain_depth))
             if name is not None]
            for _ in range(self.num_chains)
        ]
        return self._mix(images, chains, weights, weight_sample)

    def _mix(
        self,
        images: torch.Tensor,
        chains: Sequence[Sequence[str]],
        chain_weights: Sequence[float],
        weight_sample: float,
    ) -> torch.Tensor:
        """Keras' ``transform_images`` for given chains (operation names) and weights."""
        images = self._compute(images)
        mixed: Optional[torch.Tensor] = None
        for chain, weight in zip(chains, chain_weights):
            copy = images
            for name in chain:
                copy = self._apply(name, copy, self._random.getrandbits(63))
            term = copy * float32(weight)
            mixed = term if mixed is None else mixed + term
        if mixed is None:  # no chains: Keras mixes with zeros
            mixed = torch.zeros_like(images)
        sample = float32(weight_sample)
        out = sample * images + float32(1 - sample) * mixed
        out = torch.clamp(out, self.value_range[0], self.value_range[1])
        return self._compute(out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
