"""Keras 3's ContrastLimitedAdaptiveHistogramEqualization (CLAHE).

Keras counts each tile's histogram through a ``one_hot`` of every pixel (256 counts per pixel);
here one scatter-add per batch counts the same integers. On torch those counts are int64, so
Keras 3.15 truncates the clip limit (``clip_limit * tile pixels / 256``) to an integer before
clipping; kept, so a limit below one count clips every bin and the tile's map is the identity. The lookups, clipping, cumulative sums
and the bilinear blend of the four neighbouring tiles' maps follow Keras' expressions in Keras'
order, so the results agree bit for bit in float32.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.layers.base import Layer

_BINS = 256


def _to_range(
    images: torch.Tensor, source: Sequence[float], target: Sequence[float]
) -> torch.Tensor:
    """Keras' ``_transform_value_range`` in float32 (a no-op for equal ranges)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    low, high = np.float32(source[0]), np.float32(source[1])
    unit = (images.to(torch.float32) - float(low)) / float(high - low)
    scale = np.float32(target[1]) - np.float32(target[0])
    return unit * float(scale) + float(np.float32(target[0]))


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """Equalises each channel within a grid of tiles, clipping each tile's histogram at
    ``clip_limit`` times its mean bin count, truncated to an integer count as Keras 3.15 on
    torch does (the excess spread evenly), and blends the four
    nearest tiles' maps bilinearly. Applied in training and inference alike, as in Keras 3.15;
    integer images keep their dtype (values truncated), floating ones are in the compute dtype.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Sequence[int] = (8, 8),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self.data_format = backend.standardize_data_format(data_format)
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None) -> torch.Tensor:
        if isinstance(inputs, dict):
            raise NotImplementedError(
                "ContrastLimitedAdaptiveHistogramEqualization: dict inputs (images with labels, "
                "bounding boxes or segmentation masks) are not implemented in kerasish; pass an "
                "image tensor."
            )
        images = torch.as_tensor(inputs)
        if images.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' (ContrastLimitedAdaptiveHistogramEqualization) expects "
                "rank 3 (one image) or rank 4 (a batch of images) inputs. Received: "
                f"inputs.shape={tuple(images.shape)}"
            )
        unbatched = images.ndim == 3
        x = images.unsqueeze(0) if unbatched else images
        if self.data_format == "channels_last":
            x = x.movedim(-1, 1)
        x = _to_range(x, self.value_range, (0, 255))
        x = self._equalise(x)
        x = _to_range(x, (0, 255), self.value_range).to(images.dtype)
        if self.data_format == "channels_last":
            x = x.movedim(1, -1)
        return x.squeeze(0) if unbatched else x

    def _equalise(self, images: torch.Tensor) -> torch.Tensor:
        """Keras' ``_clahe`` on ``(batch, channels, height, width)`` images in [0, 255]."""
        batch, channels, height, width = images.shape
        grid_h, grid_w = (int(n) for n in self.tile_grid_size)
        tile_h = (height + grid_h - 1) // grid_h
        tile_w = (width + grid_w - 1) // grid_w
        device = images.device
        # Keras asks for NumPy's "symmetric" padding at the bottom and right, which its torch
        # backend implements as "replicate": the last row and column repeat.
        rows = torch.arange(tile_h * grid_h, device=device).clamp(max=height - 1)
        cols = torch.arange(tile_w * grid_w, device=device).clamp(max=width - 1)
        padded = images[:, :, rows[:, None], cols[None, :]]
        # (batch, grid_h, grid_w, channels, pixels of one tile): Keras' histogram layout.
        tiles = padded.reshape(batch, channels, grid_h, tile_h, grid_w, tile_w)
        tiles = tiles.permute(0, 2, 4, 1, 3, 5).reshape(
            batch, grid_h, grid_w, channels, tile_h * tile_w
        )
        levels = tiles.to(torch.int32).clamp(0, _BINS - 1).to(torch.int64)
        hists = torch.zeros(batch, grid_h, grid_w, channels, _BINS, dtype=torch.int64, device=device)
        hists.scatter_add_(-1, levels, torch.ones_like(levels))
        if self.clip_limit > 0:
            # Integer counts, as Keras' torch ``one_hot`` gives: the limit is truncated.
            limit = int(self.clip_limit * (tile_h * tile_w) / 256.0)
            clipped = torch.clamp(hists, 0, limit)
            excess = torch.sum(hists - clipped, dim=-1, keepdim=True)
            hists = clipped + excess / 256.0
        cdf = torch.cumsum(hists, dim=-1)
        cdf_min = torch.amin(cdf, dim=-1, keepdim=True)
        numerator = (cdf - cdf_min) * 255.0
        denominator = tile_h * tile_w - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        cdf = torch.clamp(numerator / denominator, 0, 255)
        # Edge tiles repeated once on every side, so that every pixel has four neighbours.
        cdf = torch.cat([cdf[:, :1], cdf, cdf[:, -1:]], dim=1)
        cdf = torch.cat([cdf[:, :, :1], cdf, cdf[:, :, -1:]], dim=2)
        y0, y1, wy = self._neighbours(tile_h * grid_h, tile_h, grid_h, device)
        x0, x1, wx = self._neighbours(tile_w * grid_w, tile_w, grid_w, device)
        pixels = torch.clamp(padded, 0, 255).to(torch.int32).to(torch.int64)
        b = torch.arange(batch, device=device).view(-1, 1, 1, 1)
        c = torch.arange(channels, device=device).view(1, -1, 1, 1)
        y0, y1, wy = (t.view(1, 1, -1, 1) for t in (y0, y1, wy))
        x0, x1, wx = (t.view(1, 1, 1, -1) for t in (x0, x1, wx))
        north_west = cdf[b, y0, x0, c, pixels]
        north_east = cdf[b, y0, x1, c, pixels]
        south_west = cdf[b, y1, x0, c, pixels]
        south_east = cdf[b, y1, x1, c, pixels]
        top = north_west * (1.0 - wx) + north_east * wx
        bottom = south_west * (1.0 - wx) + south_east * wx
        result = top * (1.0 - wy) + bottom * wy
        return result[:, :, :height, :width]

    @staticmethod
    def _neighbours(length: int, tile: int, grid: int, device: torch.device) -> tuple:
        """Per pixel along one axis: the two tile rows (of the edge-padded grid) to blend, and
        the second one's weight."""
        position = torch.arange(length, dtype=torch.float32, device=device)
        position = (position - (tile / 2.0)) / tile + 1.0
        lower = torch.floor(position)
        weight = position - lower
        first = torch.clamp(lower, 0, grid + 1).to(torch.int64)
        second = torch.clamp(lower + 1.0, 0, grid + 1).to(torch.int64)
        return first, second, weight

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }
