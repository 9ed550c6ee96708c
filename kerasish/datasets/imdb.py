"""IMDB movie reviews: word-index sequences (object arrays of lists) and 0/1 labels."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from kerasish.datasets import npz, word_sequences
from kerasish.utils.file_utils import get_file

_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: Optional[int] = None,
    skip_top: int = 0,
    maxlen: Optional[int] = None,
    seed: int = 113,
    start_char: Optional[int] = 1,
    oov_char: Optional[int] = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple:
    """Keras' preprocessing: shuffle each split (seeded), prepend ``start_char``, shift word
    indices by ``index_from``, drop sequences of ``maxlen`` or more, cut the vocabulary."""
    if "nb_words" in kwargs:  # Keras 1 spelling
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
    path = get_file(fname=path, origin=f"{npz.ORIGIN}imdb.npz", file_hash=_SHA256)
    f = npz.load_npz(path)
    rng = np.random.RandomState(seed)
    x_train, labels_train = word_sequences.shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = word_sequences.shuffled(rng, f["x_test"], f["y_test"])
    x_train = word_sequences.reindex(x_train, start_char, index_from)
    x_test = word_sequences.reindex(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = word_sequences.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = word_sequences.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was "
                "kept. Increase maxlen."
            )
    xs = word_sequences.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    split = len(x_train)
    return (
        (np.array(xs[:split], dtype="object"), labels[:split]),
        (np.array(xs[split:], dtype="object"), labels[split:]),
    )


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    return word_sequences.load_word_index(path, _WORD_INDEX_MD5)
