"""``keras.utils.split_dataset``: one dataset into a left and a right ``torch`` dataset.

As Keras 3 on torch: arrays (or a list/tuple of arrays of one length) become a
``TensorDataset``, and the halves are ``torch.utils.data.Subset``s (so ``len()`` and indexing
work, and they feed ``fit`` through a ``DataLoader``); the sizes follow Keras' rules and
messages. With ``shuffle=True`` the indices are Keras' own (``torch.randperm`` on a generator
seeded with ``seed``), so a seeded split picks the same samples as Keras. Two departures from
Keras 3.15's torch path, which draws a random permutation even for ``shuffle=False`` and fails
when the two sizes do not cover the dataset: here ``shuffle=False`` keeps the order (left: the
first samples, right: the last, as Keras' TensorFlow path and tf.keras do), and sizes that leave
samples out are allowed, as there.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

Size = Union[int, float, None]


def split_dataset(
    dataset: Any,
    left_size: Size = None,
    right_size: Size = None,
    shuffle: bool = False,
    seed: Optional[int] = None,
    preferred_backend: Optional[str] = None,
) -> tuple[Subset, Subset]:
    """``(left, right)`` splits of ``dataset``; a float size is a fraction of the samples, an
    int a count, ``None`` the complement of the other side."""
    if _is_tf_dataset(dataset) or preferred_backend in ("tensorflow", "jax"):
        raise NotImplementedError(
            "keras.utils.split_dataset: tf.data.Dataset inputs and "
            f"preferred_backend={preferred_backend!r} are not supported by kerasish (it returns "
            "torch datasets). Pass NumPy arrays, a list/tuple of arrays or a "
            f"torch.utils.data.Dataset. Received: dataset of type {type(dataset).__name__}"
        )
    dataset = _as_torch_dataset(dataset)
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    total = len(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        else:
            generator.seed()
        indices = torch.randperm(total, generator=generator).tolist()
        return Subset(dataset, indices[:left]), Subset(dataset, indices[left : left + right])
    return Subset(dataset, range(left)), Subset(dataset, range(total - right, total))


def _is_tf_dataset(dataset: Any) -> bool:
    return any(
        cls.__module__.startswith("tensorflow.python.data") for cls in type(dataset).__mro__
    )


def _as_torch_dataset(dataset: Any) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, np.ndarray):
        return TensorDataset(torch.from_numpy(dataset))
    if isinstance(dataset, (list, tuple)):
        kind = type(dataset).__name__
        if not dataset:
            raise ValueError(
                f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays."
            )
        for i, element in enumerate(dataset):
            if not isinstance(element, np.ndarray):
                raise ValueError(
                    f"Expected a {kind} of `numpy.ndarray` objects, Received: {type(element)} "
                    f"at index {i}."
                )
            if len(element) != len(dataset[0]):
                raise ValueError(
                    f"Received a {kind} of NumPy arrays with different lengths. Mismatch found at "
                    f"index {i}, Expected shape={dataset[0].shape} Received "
                    f"shape={element.shape}. Please provide a {kind} of NumPy arrays of the same "
                    "length."
                )
        return TensorDataset(*(torch.from_numpy(element) for element in dataset))
    raise TypeError(
        "The `dataset` argument must be a `torch.utils.data.Dataset` object, or a list/tuple of "
        f"arrays. Received: dataset={dataset} of type {type(dataset)}"
    )


def _split_sizes(left_size: Size, right_size: Size, total: int) -> tuple[int, int]:
    """Keras' ``_rescale_dataset_split_sizes``: the checks, messages and rounding."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None, Received: "
                f"type({name})={type(size)}."
            )
    if left_size == 0 and right_size == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must "
            "be non-zero."
        )
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            bound = f"smaller than {total}," if name == "left_size" else f"and smaller than {total}"
            raise ValueError(
                f"`{name}` should be either a positive integer {bound} or a float within the "
                f"range `[0, 1]`. Received: {name}={size}"
            )
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than or "
            "equal to 1."
        )
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {left + right}and total_length = {total}"
        )
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}."
                f"Resulting {side} side dataset split will be empty. Adjust any of the "
                "aforementioned parameters"
            )
    return int(left), int(right)
