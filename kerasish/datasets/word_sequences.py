"""What IMDB and Reuters share: Keras' re-indexing of word-index sequences (start character,
index offset, ``maxlen`` filter, vocabulary cut with an out-of-vocabulary character)."""

from __future__ import annotations

import json
from typing import Optional

import numpy as np

from kerasish.datasets.npz import ORIGIN
from kerasish.utils.file_utils import get_file


def shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> list:
    """The arrays in one permutation drawn from ``rng`` (Keras draws one per split)."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]


def reindex(
    sequences: list,
    start_char: Optional[int],
    index_from: int,
) -> list:
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in sequences]
    if index_from:
        return [[w + index_from for w in x] for x in sequences]
    return [list(x) for x in sequences]


def drop_long(maxlen: int, sequences: list, labels) -> tuple[list, list]:
    """Keep sequences strictly shorter than ``maxlen``."""
    kept = [(x, y) for x, y in zip(sequences, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def cut_vocabulary(
    sequences: list, num_words: Optional[int], skip_top: int, oov_char: Optional[int]
) -> list:
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped)."""
    if not num_words:
        num_words = max(max(x) for x in sequences)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]
    return [[w for w in x if skip_top <= w < num_words] for x in sequences]


def load_word_index(path: str, file_hash: str) -> dict:
    path = get_file(path, origin=f"{ORIGIN}{path}", file_hash=file_hash)
    with open(path) as f:
        return json.load(f)
