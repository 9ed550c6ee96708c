"""``plot_image_gallery``: a grid of images (with optional label titles) via matplotlib."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from kerasish import backend
from kerasish.ops import convert_to_numpy


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "The `plot_image_gallery` function requires the `matplotlib` package. Please "
            "install it with `pip install matplotlib`."
        ) from None
    return plt


def transform_value_range(images: Any, original_range: Any, target_range: Any) -> Any:
    """Linear map of pixel values, computed in float32 as Keras' preprocessing layers do;
    returned unchanged when the ranges already agree."""
    if original_range[0] == target_range[0] and original_range[1] == target_range[1]:
        return images
    images = convert_to_numpy(images).astype("float32")
    low, high = (np.float32(v) for v in original_range)
    target_low, target_high = (np.float32(v) for v in target_range)
    return (images - low) / (high - low) * (target_high - target_low) + target_low


def plot_image_gallery(
    images: Any,
    y_true: Any = None,
    y_pred: Any = None,
    label_map: Optional[dict] = None,
    rows: Optional[int] = None,
    cols: Optional[int] = None,
    value_range: tuple = (0, 255),
    scale: float = 2,
    path: Optional[str] = None,
    show: Optional[bool] = None,
    transparent: bool = True,
    dpi: int = 60,
    legend_handles: Optional[list] = None,
    data_format: Optional[str] = None,
) -> None:
    """Saves to ``path`` or shows the figure. Grid arithmetic follows Keras exactly
    (``cols = ceil(batch // rows)``), so the same batch gives the same grid."""
    plt = _pyplot()
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be provided.")
    show = show if show is not None else (path is None)
    data_format = data_format or backend.image_data_format()
    images = convert_to_numpy(images)
    batch_size = images.shape[0] if images.ndim == 4 else 1
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    if images.ndim != 4:
        raise ValueError(
            "`plot_images_gallery()` requires you to batch your `np.array` samples together."
        )
    images = images[: min(rows * cols, batch_size)]
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    fig, axes = plt.subplots(
        nrows=rows,
        ncols=cols,
        figsize=(cols * scale, rows * scale),
        frameon=False,
        layout="tight",
        squeeze=True,
        sharex="row",
        sharey="col",
    )
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and axes.ndim == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    images = np.asarray(transform_value_range(images, value_range, (0, 255)))
    if data_format == "channels_first":
        # Keras transposes a second time here; kept so channels_first galleries match it.
        images = images.transpose(0, 2, 3, 1)
    y_true = None if y_true is None else convert_to_numpy(y_true)
    y_pred = None if y_pred is None else convert_to_numpy(y_pred)
    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col] if isinstance(axes, np.ndarray) else axes
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = []
            if y_true is not None and index < len(y_true):
                title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
            if y_pred is not None and index < len(y_pred):
                title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
            if title:
                axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()
