"""Seed scenario: Dense applied to a (2, 3) input acts on the last axis.

`Input(shape=(2, 3))` followed by `Dense(2)` gives an output of shape (None, 2, 2) and 8
parameters (a 3x2 kernel and a bias of 2), exactly as Keras reports.

    python examples/dense_on_rank3.py
"""

from __future__ import annotations

import numpy as np

import kerasish as keras
from kerasish.layers import Dense, Input


def build() -> keras.Model:
    data = Input(shape=(2, 3))
    layer = Dense(2)(data)
    return keras.Model(inputs=data, outputs=layer)


def main() -> None:
    model = build()
    model.summary()
    print(model.predict(np.ones((1, 2, 3), dtype="float32"), verbose=0))


if __name__ == "__main__":
    main()
