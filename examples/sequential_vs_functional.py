"""Seed scenario: the same network as a Sequential and as a functional Model.

The functional model lists its InputLayer in `model.layers`; the Sequential does not. With the
same weights both compute the same function.

    python examples/sequential_vs_functional.py
"""

from __future__ import annotations

import numpy as np

import kerasish as keras
from kerasish.layers import Dense, Input

N_IN, N_HIDDEN, N_OUT = 10, 10, 10


def build() -> tuple[keras.Model, keras.Sequential]:
    inputs = Input(shape=(N_IN,))
    hidden = Dense(N_HIDDEN)(inputs)
    output = Dense(N_OUT)(hidden)
    model1 = keras.Model(inputs, output)

    model2 = keras.Sequential()
    model2.add(Dense(N_HIDDEN, input_dim=N_IN))
    model2.add(Dense(N_OUT))
    return model1, model2


def main() -> None:
    model1, model2 = build()
    for layer in model1.layers:
        print("functional:", type(layer).__name__, layer.name)
    for layer in model2.layers:
        print("sequential:", type(layer).__name__, layer.name)
    model1.summary()
    model2.summary()
    model2.set_weights(model1.get_weights())
    x = np.random.default_rng(0).random((3, N_IN)).astype("float32")
    difference = np.abs(model1.predict(x, verbose=0) - model2.predict(x, verbose=0)).max()
    print(f"max |difference| with shared weights: {difference:.2e}")


if __name__ == "__main__":
    main()
