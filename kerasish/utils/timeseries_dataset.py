"""``timeseries_dataset_from_array``: sliding windows over a series, in batches."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from kerasish.utils.dataset_utils import BatchDataset


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: Optional[int] = 128,
    shuffle: bool = False,
    seed: Optional[int] = None,
    start_index: Optional[int] = None,
    end_index: Optional[int] = None,
    format: str = "tf",  # noqa: A002 - Keras' argument name
) -> BatchDataset:
    """Window ``i`` is ``data[start + p, start + p + rate, ...]`` (``sequence_length`` steps)
    for the ``i``-th start position ``p`` (every ``sequence_stride``); its target is
    ``targets[start + p]``. Yields ``(windows, targets)`` batches, or windows alone."""
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= length:
        raise ValueError(
            "`sampling_rate` must be lower than the length of the data. Received: "
            f"sampling_rate={sampling_rate}, for data of length {length}"
        )
    if sequence_stride <= 0:
        raise ValueError(
            f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}"
        )
    if sequence_stride >= length:
        raise ValueError(
            "`sequence_stride` must be lower than the length of the data. Received: "
            f"sequence_stride={sequence_stride}, for data of length {length}"
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    start = start_index or 0
    stop = end_index or length
    num_seqs = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    values = np.asarray(data)[start:stop]
    target_values = None if targets is None else np.asarray(targets)[start:stop]
    offsets = np.arange(sequence_length, dtype="int64") * sampling_rate

    def make_batch(indices: np.ndarray, single: bool) -> Any:
        starts = positions[indices]
        windows = values[starts[:, None] + offsets[None, :]]
        if single:
            windows = windows[0]
        if target_values is None:
            return windows
        batch_targets = target_values[starts]
        return windows, (batch_targets[0] if single else batch_targets)

    return BatchDataset(len(positions), batch_size, make_batch, shuffle=shuffle, seed=seed)
