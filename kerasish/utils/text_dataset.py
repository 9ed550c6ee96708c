"""``text_dataset_from_directory``: a class-per-folder tree of ``.txt`` files as batches of
strings (NumPy object arrays), with labels as in ``image_dataset_from_directory``."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from kerasish.utils import dataset_utils


def text_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: Optional[str] = "int",
    class_names: Optional[list] = None,
    batch_size: Optional[int] = 32,
    max_length: Optional[int] = None,
    shuffle: bool = True,
    seed: Optional[int] = None,
    validation_split: Optional[float] = None,
    subset: Optional[str] = None,
    follow_links: bool = False,
    format: str = "tf",  # noqa: A002 - Keras' argument name
    verbose: bool = True,
) -> Any:
    """Texts are read as UTF-8 and cut to ``max_length`` characters if given."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(
            "`labels` argument should be a list/tuple of integer labels, of the same size as the "
            'number of text files in the target directory, or "inferred", or None. '
            f"Received: labels={labels}"
        )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, label_array, class_names = dataset_utils.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    num_classes = len(class_names) if class_names else 0
    parts = [("training", shuffle), ("validation", False)] if subset == "both" else [(subset, shuffle)]
    datasets = []
    for part, part_shuffle in parts:
        part_paths, part_labels = dataset_utils.get_training_or_validation_split(
            paths, label_array, validation_split, part
        )
        if not part_paths:
            raise ValueError(f"No text files found in directory {directory}. Allowed format: .txt")
        encoded = (
            None
            if part_labels is None
            else dataset_utils.encode_labels(part_labels, label_mode, num_classes)
        )
        datasets.append(
            _dataset(part_paths, encoded, class_names, batch_size, max_length, part_shuffle, seed)
        )
    return datasets if subset == "both" else datasets[0]


def _dataset(
    paths: list,
    encoded: Any,
    class_names: Any,
    batch_size: Optional[int],
    max_length: Optional[int],
    shuffle: bool,
    seed: int,
) -> dataset_utils.BatchDataset:
    def read(path: str) -> str:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return text[:max_length] if max_length is not None else text

    def make_batch(indices: np.ndarray, single: bool) -> Any:
        texts = np.array([read(paths[i]) for i in indices], dtype=object)
        if encoded is None:
            return texts[0] if single else texts
        batch_labels = encoded[indices]
        return (texts[0], batch_labels[0]) if single else (texts, batch_labels)

    dataset = dataset_utils.BatchDataset(len(paths), batch_size, make_batch, shuffle=shuffle, seed=seed)
    dataset.class_names = class_names
    dataset.file_paths = paths
    return dataset
