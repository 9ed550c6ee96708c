"""TensorFlow's string ops that TextVectorization uses, in Python, with TensorFlow's exact
semantics (each one checked against TensorFlow in the compat fixtures):

* ``tf.strings.lower`` without an encoding lowercases ASCII letters only (``"ÄB"`` → ``"Äb"``);
* Keras' punctuation class is ASCII punctuation (``[!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~']``);
* ``tf.strings.split`` with no separator splits on ASCII whitespace and drops empty pieces;
* ``tf.strings.unicode_split`` gives code points;
* ``tf.strings.ngrams(width, separator=" ")`` gives, per row, all n-grams of each width in turn,
  and none of a width longer than the row.
"""

from __future__ import annotations

import re
from typing import Sequence

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def strip_punctuation(text: str) -> str:
    return PUNCTUATION.sub("", text)


def split_whitespace(text: str) -> list[str]:
    return [piece for piece in _ASCII_WHITESPACE.split(text) if piece]


def split_characters(text: str) -> list[str]:
    return list(text)


def ngrams(tokens: Sequence[str], widths: Sequence[int]) -> list[str]:
    grams: list[str] = []
    for width in widths:
        grams.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return grams
