"""Every kind of training data Keras accepts, as one iterator of ``(x, y, sample_weight)`` batches.

Batches are flat lists aligned with the model's inputs and outputs (``y``/``sample_weight`` are
None when absent). In-memory arrays become tensors on the model's device once, up front; a batch
is then a slice (a view) or, when shuffling, one ``index_select`` — no DataLoader, no per-batch
conversion. String inputs (torch has none) stay NumPy arrays and are sliced/indexed the same way. Generators, ``keras.utils.Sequence``/``PyDataset`` and torch ``Dataset``/
``DataLoader`` are read as they come and moved to the device one batch at a time.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Optional

import numpy as np
import torch

from kerasish.training import data as data_utils
from kerasish.utils import tree

Batch = tuple[list, Optional[list], Optional[list]]


class DataAdapter:
    """Yields one epoch of batches per ``epoch()`` call."""

    steps_per_epoch: Optional[int] = None

    def epoch(self) -> Iterator[Batch]:
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        pass


class ArrayDataAdapter(DataAdapter):
    def __init__(
        self,
        x: list[torch.Tensor],
        y: Optional[list[torch.Tensor]],
        sample_weight: Optional[list[Optional[torch.Tensor]]],
        batch_size: int,
        shuffle: Any = False,
        steps: Optional[int] = None,
    ) -> None:
        self.x, self.y, self.sample_weight = x, y, sample_weight
        arrays = list(x) + list(y or []) + [w for w in (sample_weight or []) if w is not None]
        self.num_samples = data_utils.num_samples(arrays)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        full_steps = max(1, math.ceil(self.num_samples / self.batch_size))
        self.steps_per_epoch = min(full_steps, steps) if steps else full_steps

    def epoch(self) -> Iterator[Batch]:
        device = getattr(self.x[0], "device", None) if self.x else None
        device = device if isinstance(device, torch.device) else torch.device("cpu")
        order = None
        if self.shuffle and self.shuffle != "batch":
            order = torch.randperm(self.num_samples, device=device)
        batch_order = range(self.steps_per_epoch)
        if self.shuffle == "batch":
            batch_order = torch.randperm(self.steps_per_epoch).tolist()
        for step in batch_order:
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            if order is None:
                take = _slicer(start, stop)
            else:
                index = order[start:stop]
                take = _indexer(index)
            yield (
                [take(t) for t in self.x],
                None if self.y is None else [None if t is None else take(t) for t in self.y],
                None
                if self.sample_weight is None
                else [None if w is None else take(w) for w in self.sample_weight],
            )


def _slicer(start: int, stop: int):
    return lambda tensor: tensor[start:stop]


def _indexer(index: torch.Tensor):
    def take(tensor: Any) -> Any:
        if isinstance(tensor, np.ndarray):  # string inputs stay NumPy
            return tensor[index.cpu().numpy()]
        return tensor.index_select(0, index.to(tensor.device))

    return take


class IteratorDataAdapter(DataAdapter):
    """Generators, Sequences/PyDatasets and torch DataLoaders: batches as the source makes them."""

    def __init__(self, source: Any, steps: Optional[int], split_batch) -> None:
        self.source = source
        self.split_batch = split_batch
        self._is_sequence = hasattr(source, "__getitem__") and hasattr(source, "__len__") and not isinstance(
            source, torch.utils.data.DataLoader
        )
        if steps is None and hasattr(source, "__len__"):
            steps = len(source)
        self.steps_per_epoch = steps
        self._iterator: Optional[Iterator] = None

    def epoch(self) -> Iterator[Batch]:
        if self._is_sequence:
            count = self.steps_per_epoch if self.steps_per_epoch is not None else len(self.source)
            for index in range(count):
                yield self.split_batch(self.source[index])
            return
        if isinstance(self.source, torch.utils.data.DataLoader) or self._iterator is None:
            self._iterator = iter(self.source)
        produced = 0
        while self.steps_per_epoch is None or produced < self.steps_per_epoch:
            try:
                item = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self.steps_per_epoch is not None and produced == 0:
                    raise ValueError(
                        "The data generator ran out of data before the first step of an epoch. "
                        "Make sure it yields at least `steps_per_epoch * epochs` batches (use "
                        "an infinite generator with `steps_per_epoch`)."
                    ) from None
                return
            produced += 1
            yield self.split_batch(item)

    def on_epoch_end(self) -> None:
        if hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()


def split_batch(item: Any) -> tuple:
    """A generator item: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if isinstance(item, tuple):
        if len(item) == 1:
            return item[0], None, None
        if len(item) == 2:
            return item[0], item[1], None
        if len(item) == 3:
            return item
        raise ValueError(
            "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
            f"found a tuple of length {len(item)}."
        )
    if isinstance(item, list) and len(item) in (2, 3) and not isinstance(item[0], (int, float)):
        # torch DataLoaders collate (x, y) tuples into lists.
        return tuple(item) + (None,) * (3 - len(item))
    return item, None, None


def is_iterator_source(x: Any) -> bool:
    if isinstance(x, (np.ndarray, torch.Tensor, list, tuple, dict)):
        return False
    return (
        hasattr(x, "__next__")
        or isinstance(x, (torch.utils.data.DataLoader, torch.utils.data.Dataset))
        or (hasattr(x, "__getitem__") and hasattr(x, "__len__"))
        or hasattr(x, "__iter__")
    )


def class_weight_to_sample_weight(y: torch.Tensor, class_weight: dict) -> torch.Tensor:
    """Per-sample weights from the class of each sample (argmax for one-hot targets)."""
    if not hasattr(class_weight, "items"):
        raise ValueError(
            "`class_weight` must be a dict-like mapping of class indices to weights. Received: "
            f"class_weight={class_weight!r}"
        )
    try:
        weights = {int(key): float(value) for key, value in class_weight.items()}
    except (TypeError, ValueError) as err:
        raise ValueError(
            "`class_weight` must be a dictionary with integer keys representing class "
            f"indices. Received: {class_weight!r}"
        ) from err
    labels = y
    if labels.ndim > 1:
        labels = labels.argmax(dim=-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    labels = labels.round().long() if labels.is_floating_point() else labels.long()
    size = max(max(weights) + 1, int(labels.max()) + 1 if labels.numel() else 1)
    table = torch.ones(size, dtype=torch.float32, device=labels.device)
    for key, value in weights.items():
        table[key] = value
    return table[labels]


def validation_split_arrays(arrays: list, split: float) -> tuple[list, list]:
    """Keras' rule: the last ``split`` fraction, taken before any shuffling."""
    if not 0.0 < split < 1.0:
        raise ValueError(f"`validation_split` must be between 0 and 1. Received: {split}")
    total = data_utils.num_samples([a for a in arrays if a is not None])
    split_at = int(math.floor(total * (1.0 - split)))
    if split_at == 0 or split_at == total:
        raise ValueError(
            f"Training data contains {total} samples, which is not sufficient to split it into "
            f"a validation and training set as specified by `validation_split={split}`. Either "
            "provide more data, or a different value for the `validation_split` argument."
        )
    first = [None if a is None else a[:split_at] for a in arrays]
    second = [None if a is None else a[split_at:] for a in arrays]
    return first, second


def flat_or_none(value: Any) -> Optional[list]:
    return None if value is None else tree.flatten(value)
