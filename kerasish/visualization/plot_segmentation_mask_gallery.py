"""``plot_segmentation_mask_gallery``: one gallery row per image (image, true mask, predicted
mask), drawn with ``draw_segmentation_masks`` and plotted with ``plot_image_gallery``."""

from __future__ import annotations

import functools
from typing import Any, Optional

import numpy as np

from kerasish import backend
from kerasish.ops import convert_to_numpy
from kerasish.visualization.draw_segmentation_masks import draw_segmentation_masks
from kerasish.visualization.plot_image_gallery import plot_image_gallery


def segmentation_mask_gallery_images(
    images: Any,
    num_classes: int,
    y_true: Any = None,
    y_pred: Any = None,
    color_mapping: Optional[dict] = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: Optional[str] = None,
) -> np.ndarray:
    """The stacked gallery images, row-major: what ``plot_segmentation_mask_gallery`` plots."""
    data_format = data_format or backend.image_data_format()
    images = convert_to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    draw = functools.partial(
        draw_segmentation_masks,
        num_classes=num_classes,
        color_mapping=color_mapping,
        alpha=alpha,
        ignore_index=ignore_index,
        blend=blend,
        data_format="channels_last",
    )
    drawn = []
    for masks in (y_true, y_pred):
        if masks is None:
            continue
        masks = convert_to_numpy(masks)
        if data_format == "channels_first":
            masks = masks.transpose(0, 2, 3, 1)
        drawn.append(convert_to_numpy(draw(images, masks.astype("int32"))))
    gallery = []
    for i in range(images.shape[0]):
        gallery.append(images[i])
        gallery.extend(panel[i] for panel in drawn)
    return np.stack(gallery, axis=0)


def plot_segmentation_mask_gallery(
    images: Any,
    num_classes: int,
    value_range: tuple = (0, 255),
    y_true: Any = None,
    y_pred: Any = None,
    color_mapping: Optional[dict] = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: Optional[str] = None,
    **kwargs: Any,
) -> None:
    gallery = segmentation_mask_gallery_images(
        images, num_classes, y_true, y_pred, color_mapping, blend, alpha, ignore_index, data_format
    )
    cols = 1 + (y_true is not None) + (y_pred is not None)
    return plot_image_gallery(
        gallery, value_range=value_range, rows=len(gallery) // cols, cols=cols, **kwargs
    )
