"""Keras 3's CutMix: a rectangle of another image of the batch pasted into each image, labels
mixed by the pasted area.

The Beta draws (one per image, with one ``alpha`` per call drawn from ``factor``) are made on the
host, as MixUp's are, since torch samples Gamma variables only from its global generator; the
rectangle offsets and the permutation come from the layer's torch generator on the device.
"""

from __future__ import annotations

import random
from typing import Any, Optional

import torch

from kerasish.layers.image_augmentation import Factor, _base_factor, _RandomImageLayer


class CutMix(_RandomImageLayer):
    """Pastes a box of a random other image of the batch into each image (training only).

    The box's sides are ``sqrt(1 - lambda)`` of the image's, ``lambda ~ Beta(a, a)`` per image
    and ``a`` drawn per call from ``factor`` (plus 1e-6); given ``{"images", "labels"}``, the
    labels are mixed by the share of the image each source keeps. A single (unbatched) image
    comes back unchanged, as in Keras 3.15. Every input is cast to the compute dtype.
    """

    def __init__(
        self,
        factor: Factor = 1.0,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _base_factor(factor, (0, 1))
        self._random = random.Random(seed)

    def call(self, inputs: Any, training: Optional[bool] = None) -> Any:
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        unknown = sorted(set(inputs) - {"images", "labels"})
        if unknown:
            raise NotImplementedError(
                f"CutMix: dict keys {unknown} (bounding boxes, segmentation masks) are not "
                "implemented in kerasish; pass {'images': ..., 'labels': ...}."
            )
        images = self._cast(torch.as_tensor(inputs["images"]))
        labels = inputs.get("labels")
        if labels is not None:
            labels = torch.as_tensor(labels, device=images.device)
        if training is None:
            training = self.training
        if training and images.ndim == 4:
            params = self._draw(self._channels_first(images))
            images = self._restore(self._transform(self._channels_first(images), params))
            if labels is not None:
                labels = self._mix_labels(labels, params)
        inputs["images"] = images
        if labels is not None:
            inputs["labels"] = labels
        return inputs

    def _channels_first(self, images: torch.Tensor) -> torch.Tensor:
        return images.movedim(-1, 1) if self.data_format == "channels_last" else images

    def _restore(self, images: torch.Tensor) -> torch.Tensor:
        return images.movedim(1, -1) if self.data_format == "channels_last" else images

    def _augment_images(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim == 3:
            return images
        return super()._augment_images(images)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        return self._transform(images, self._draw(images))

    def _draw(self, images: torch.Tensor) -> dict:
        """Keras' ``get_random_transformation`` for ``(batch, c, h, w)`` images: the
        permutation, the ``(batch, 1, h, w)`` paste masks and the label weights ``(batch,)``."""
        batch, _, height, width = images.shape
        device, dtype = images.device, images.dtype
        alpha = self._random.uniform(self.factor[0], self.factor[1]) + 1e-6
        weights = [self._random.betavariate(alpha, alpha) for _ in range(batch)]
        mix = torch.tensor(weights, dtype=dtype).to(device, non_blocking=True)
        ratio = torch.sqrt(1.0 - mix)
        x0, x1 = self._bounds(batch, width, ratio)
        y0, y1 = self._bounds(batch, height, ratio)
        grid_x = torch.arange(width, dtype=dtype, device=device).view(1, 1, 1, width)
        grid_y = torch.arange(height, dtype=dtype, device=device).view(1, 1, height, 1)
        masks = (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)
        label_weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = torch.randperm(batch, generator=self._generator(device), device=device)
        return {"permutation_order": order, "masks": masks, "mix_weight": label_weight.view(-1)}

    def _bounds(self, batch: int, length: int, ratio: torch.Tensor) -> tuple:
        size = ratio * length
        start = self._uniform(batch, 0.0, 1.0, ratio.device, ratio.dtype) * (length - size)
        return start.view(-1, 1, 1, 1), (start + size).view(-1, 1, 1, 1)

    @staticmethod
    def _transform(images: torch.Tensor, params: dict) -> torch.Tensor:
        """Keras' ``transform_images`` for given draws (``masks`` broadcast over channels)."""
        return torch.where(params["masks"], images[params["permutation_order"]], images)

    @staticmethod
    def _mix_labels(labels: torch.Tensor, params: dict) -> torch.Tensor:
        weight = params["mix_weight"].view(-1, 1)
        return weight * labels + (1.0 - weight) * labels[params["permutation_order"]]

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
