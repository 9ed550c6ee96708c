"""What the ``*_dataset_from_*`` helpers share: the dataset object they return and Keras' rules
for indexing a class-per-folder directory and splitting off a validation subset.

Keras returns a ``tf.data.Dataset``; kerasish returns a ``BatchDataset``, a ``PyDataset`` whose
batches are built on demand as NumPy arrays, so ``fit``/``evaluate``/``predict`` take it as they
take any ``PyDataset`` and a loop ``for x, y in dataset`` works as with tf.data.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable, Optional, Sequence

import numpy as np

from kerasish.utils.py_dataset import PyDataset


class BatchDataset(PyDataset):
    """Samples ``0..n-1`` in batches; ``make_batch(indices)`` builds one batch.

    With ``shuffle`` the sample order is redrawn after every epoch (tf.data's
    ``reshuffle_each_iteration``); ``batch_size=None`` yields single samples.
    """

    def __init__(
        self,
        num_samples: int,
        batch_size: Optional[int],
        make_batch: Callable[..., Any],
        shuffle: bool = False,
        seed: Optional[int] = None,
        order: Optional[np.ndarray] = None,
    ) -> None:
        super().__init__()
        self.num_samples = int(num_samples)
        self.batch_size = None if batch_size is None else int(batch_size)
        self._make_batch = make_batch
        self._shuffle = shuffle
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(self.num_samples) if order is None else np.asarray(order)

    def __len__(self) -> int:
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for {len(self)} batches.")
        index %= len(self)
        if self.batch_size is None:
            return self._make_batch(self._order[index : index + 1], single=True)
        start = index * self.batch_size
        return self._make_batch(self._order[start : start + self.batch_size], single=False)

    def on_epoch_end(self) -> None:
        if self._shuffle:
            self._rng.shuffle(self._order)


def check_validation_split_arg(
    validation_split: Optional[float], subset: Optional[str], shuffle: bool, seed: Any
) -> None:
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def index_directory(
    directory: str,
    labels: Any,
    formats: tuple,
    class_names: Optional[Sequence[str]] = None,
    shuffle: bool = True,
    seed: Optional[int] = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list, Any, Optional[list]]:
    """``(file_paths, labels, class_names)`` for the files under ``directory`` whose extension
    is in ``formats``; with ``labels="inferred"`` each subfolder is a class, in alphanumeric
    order (or ``class_names``' order). Shuffling uses Keras' seeded permutation."""
    if labels == "inferred":
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of "
                    f"the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError(
                    "When `labels=None` (no labels), argument `class_names` cannot be specified."
                )
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
    filenames: list[str] = []
    found_labels: list[int] = []
    for class_index, subdir in enumerate(subdirs):
        folder = os.path.join(directory, subdir)
        for root, _, files in sorted(os.walk(folder, followlinks=follow_links)):
            for fname in sorted(files):
                if fname.lower().endswith(formats):
                    filenames.append(os.path.join(root, fname))
                    found_labels.append(class_index)
    if labels == "inferred":
        label_array: Any = np.asarray(found_labels, dtype="int32")
        names: Optional[list] = list(subdirs)
    elif labels is None:
        label_array, names = None, None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files "
                f"in directory {directory}."
            )
        label_array = np.asarray(labels)
        names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if label_array is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(filenames)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return filenames, label_array, names


def get_training_or_validation_split(
    samples: list, labels: Any, validation_split: Optional[float], subset: Optional[str]
) -> tuple[list, Any]:
    """Keras' split: the last ``validation_split`` fraction is the validation subset."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    num_train = len(samples) - num_val
    if subset == "training":
        print(f"Using {num_train} files for training.")
        return samples[:num_train], None if labels is None else labels[:num_train]
    if subset == "validation":
        print(f"Using {num_val} files for validation.")
        return samples[num_train:], None if labels is None else labels[num_train:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def encode_labels(labels: np.ndarray, label_mode: Optional[str], num_classes: int) -> np.ndarray:
    """``int``: int32 indices; ``binary``: float32 ``(n, 1)``; ``categorical``: one-hot float32."""
    if label_mode == "binary":
        return np.asarray(labels, dtype="float32").reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[np.asarray(labels, dtype="int64")]
    return np.asarray(labels, dtype="int32")
