"""``plot_bounding_box_gallery``: true and predicted boxes drawn with ``draw_bounding_boxes``
and plotted with ``plot_image_gallery``; needs matplotlib and OpenCV."""

from __future__ import annotations

import functools
from typing import Any, Optional

import numpy as np

from kerasish import backend
from kerasish.ops import convert_to_numpy
from kerasish.visualization.draw_bounding_boxes import draw_bounding_boxes
from kerasish.visualization.plot_image_gallery import plot_image_gallery


def plot_bounding_box_gallery(
    images: Any,
    bounding_box_format: str,
    y_true: Optional[dict] = None,
    y_pred: Optional[dict] = None,
    value_range: tuple = (0, 255),
    true_color: tuple = (0, 188, 212),
    pred_color: tuple = (255, 235, 59),
    line_thickness: int = 2,
    font_scale: float = 1.0,
    text_thickness: Optional[int] = None,
    class_mapping: Optional[dict] = None,
    ground_truth_mapping: Optional[dict] = None,
    prediction_mapping: Optional[dict] = None,
    legend: bool = False,
    legend_handles: Optional[list] = None,
    rows: Optional[int] = None,
    cols: Optional[int] = None,
    data_format: Optional[str] = None,
    **kwargs: Any,
) -> None:
    try:
        from matplotlib import patches
    except ImportError:
        raise ImportError(
            "The `plot_bounding_box_gallery` function requires the  `matplotlib` package. "
            "Please install it with  `pip install matplotlib`."
        ) from None
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = data_format or backend.image_data_format()
    images = convert_to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={tuple(images.shape)}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    draw = functools.partial(
        draw_bounding_boxes,
        bounding_box_format=bounding_box_format,
        line_thickness=line_thickness,
        text_thickness=text_thickness,
        font_scale=font_scale,
    )
    if y_true is not None:
        images = draw(images, y_true, color=true_color, class_mapping=ground_truth_mapping)
    if y_pred is not None:
        images = draw(images, y_pred, color=pred_color, class_mapping=prediction_mapping)
    if legend:
        if legend_handles:
            raise ValueError(
                "Only pass `legend` OR `legend_handles` to "
                "`keras.visualization.plot_bounding_box_gallery()`."
            )
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(
        images, value_range=value_range, legend_handles=legend_handles, rows=rows, cols=cols, **kwargs
    )
