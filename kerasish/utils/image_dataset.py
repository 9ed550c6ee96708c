"""``image_dataset_from_directory``: a class-per-folder image tree as batches of arrays."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from kerasish import backend
from kerasish.utils import dataset_utils, image_utils

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
_KERAS_INTERPOLATIONS = (
    "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic",
)


def image_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: Optional[str] = "int",
    class_names: Optional[list] = None,
    color_mode: str = "rgb",
    batch_size: Optional[int] = 32,
    image_size: Any = (256, 256),
    shuffle: bool = True,
    seed: Optional[int] = None,
    validation_split: Optional[float] = None,
    subset: Optional[str] = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: Optional[str] = None,
    format: str = "tf",  # noqa: A002 - Keras' argument name
    verbose: bool = True,
) -> Any:
    """Batches ``(images, labels)`` (float32 images, labels per ``label_mode``) or images only,
    as a ``BatchDataset`` with ``class_names`` and ``file_paths``. ``subset="both"`` returns
    ``[train, validation]``. Images are resized as Keras 3 on torch resizes them."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size as "
                "the number of image files in the target directory. If you wish to infer the "
                'labels from the subdirectory names in the target directory, pass `labels="inferred"`. '
                "If you wish to get a dataset that only contains images (no labels), pass "
                f"`labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in _CHANNELS:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _KERAS_INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_KERAS_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation}"
        )
    from kerasish.layers.preprocessing import check_interpolation

    check_interpolation(interpolation, "image_dataset_from_directory")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, label_array, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    options = {
        "image_size": tuple(int(d) for d in image_size),
        "color_mode": color_mode,
        "label_mode": label_mode,
        "num_classes": len(class_names) if class_names else 0,
        "interpolation": interpolation,
        "crop": crop_to_aspect_ratio,
        "pad": pad_to_aspect_ratio,
        "data_format": backend.standardize_data_format(data_format),
        "batch_size": batch_size,
    }
    if subset == "both":
        datasets = []
        for part, part_shuffle in (("training", shuffle), ("validation", False)):
            part_paths, part_labels = dataset_utils.get_training_or_validation_split(
                paths, label_array, validation_split, part
            )
            if not part_paths:
                raise ValueError(
                    f"No {part} images found in directory {directory}. Allowed formats: "
                    f"{ALLOWLIST_FORMATS}"
                )
            datasets.append(_dataset(part_paths, part_labels, class_names, part_shuffle, seed, options))
        return datasets
    paths, label_array = dataset_utils.get_training_or_validation_split(
        paths, label_array, validation_split, subset
    )
    if not paths:
        raise ValueError(f"No images found in directory {directory}. Allowed formats: {ALLOWLIST_FORMATS}")
    return _dataset(paths, label_array, class_names, shuffle, seed, options)


def _dataset(
    paths: list, labels: Any, class_names: Any, shuffle: bool, seed: int, options: dict
) -> dataset_utils.BatchDataset:
    encoded = (
        None
        if labels is None
        else dataset_utils.encode_labels(labels, options["label_mode"], options["num_classes"])
    )

    def make_batch(indices: np.ndarray, single: bool) -> Any:
        images = np.stack([_load(paths[i], options) for i in indices])
        if single:
            images = images[0]
        if encoded is None:
            return images
        batch_labels = encoded[indices]
        return images, (batch_labels[0] if single else batch_labels)

    dataset = dataset_utils.BatchDataset(
        len(paths), options["batch_size"], make_batch, shuffle=shuffle, seed=seed
    )
    dataset.class_names = class_names
    dataset.file_paths = paths
    return dataset


def _load(path: str, options: dict) -> np.ndarray:
    """One image: decoded in its color mode, cropped or padded to the aspect ratio if asked,
    resized, as float32 in the requested data format."""
    import torch

    from kerasish.layers.preprocessing import resize_images

    image = image_utils.img_to_array(
        image_utils.load_img(path, color_mode=options["color_mode"]),
        data_format="channels_last",
        dtype="float32",
    )
    height, width = options["image_size"]
    if options["crop"]:
        image = _crop_to_ratio(image, height, width)
    elif options["pad"]:
        image = _pad_to_ratio(image, height, width)
    if image.shape[:2] != (height, width):
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
        tensor = resize_images(tensor, (height, width), options["interpolation"])
        image = tensor[0].permute(1, 2, 0).numpy()
    if options["data_format"] == "channels_first":
        image = image.transpose(2, 0, 1)
    return np.ascontiguousarray(image, dtype="float32")


def _crop_to_ratio(image: np.ndarray, target_height: int, target_width: int) -> np.ndarray:
    height, width = image.shape[:2]
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return image[top : top + crop_height, left : left + crop_width]


def _pad_to_ratio(image: np.ndarray, target_height: int, target_width: int) -> np.ndarray:
    height, width = image.shape[:2]
    padded_height = max(height, int(width * target_height / target_width))
    padded_width = max(width, int(height * target_width / target_height))
    top, left = (padded_height - height) // 2, (padded_width - width) // 2
    out = np.zeros((padded_height, padded_width, image.shape[2]), dtype=image.dtype)
    out[top : top + height, left : left + width] = image
    return out
