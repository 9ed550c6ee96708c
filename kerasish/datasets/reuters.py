"""Reuters newswires: word-index sequences and 46 topic labels, split after shuffling."""

from __future__ import annotations

from typing import Optional

import numpy as np

from kerasish.datasets import npz, word_sequences
from kerasish.utils.file_utils import get_file

_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
_LABELS = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves "
    "ship cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin "
    "strategic-metal livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange "
    "pet-chem dlr gas silver wpi hog lead"
).split()


def load_data(
    path: str = "reuters.npz",
    num_words: Optional[int] = None,
    skip_top: int = 0,
    maxlen: Optional[int] = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: Optional[int] = 1,
    oov_char: Optional[int] = 2,
    index_from: int = 3,
) -> tuple:
    path = get_file(fname=path, origin=f"{npz.ORIGIN}reuters.npz", file_hash=_SHA256)
    f = npz.load_npz(path)
    xs, labels = word_sequences.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = word_sequences.reindex(xs, start_char, index_from)
    if maxlen:
        xs, labels = word_sequences.drop_long(maxlen, xs, labels)
    xs = word_sequences.cut_vocabulary(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return (
        (np.array(xs[:split], dtype="object"), np.array(labels[:split])),
        (np.array(xs[split:], dtype="object"), np.array(labels[split:])),
    )


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    return word_sequences.load_word_index(path, _WORD_INDEX_MD5)


def get_label_names() -> tuple:
    return tuple(_LABELS)
