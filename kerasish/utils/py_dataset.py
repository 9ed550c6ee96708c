"""``PyDataset`` (Keras 3) and ``Sequence`` (Keras 2): indexable batch sources for ``fit``.

A subclass returns one whole batch from ``__getitem__(index)`` and the number of batches from
``__len__``; ``fit`` reads batches ``0..len-1`` in order each epoch and calls
``on_epoch_end`` after each epoch, so shuffling belongs there. ``workers`` and
``use_multiprocessing`` are kept for compatibility; batches are read in the training process.
"""

from __future__ import annotations

from typing import Any, Iterator


class PyDataset:
    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(index)` returning one batch."
        )

    def __len__(self) -> int:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__()` returning the number of batches."
        )

    @property
    def num_batches(self) -> int:
        return len(self)

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before each epoch of ``fit``."""

    def on_epoch_end(self) -> None:
        """Called after each epoch of ``fit``: reshuffle here."""


class Sequence(PyDataset):
    """Keras 2's name for ``PyDataset`` (``keras.utils.Sequence``)."""
