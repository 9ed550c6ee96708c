"""Seed scenario 002: stacked LSTMs for sequence classification, then the same model stateful.

Three LSTMs are stacked: the first two return their whole output sequence, the third only its
last output, which turns the sequence into one vector for the classifier.

The stateful version keeps each LSTM's final states of one batch as the initial states of the
next: sample ``i`` of a batch continues sample ``i`` of the previous batch. That needs a fixed
batch size (``batch_input_shape``), ``shuffle=False``, and ``reset_states()`` between
independent sequences.

    python examples/stacked_lstm.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

from kerasish.layers import LSTM, Dense
from kerasish.models import Sequential

DATA_DIM, TIMESTEPS, NUM_CLASSES = 16, 8, 10


def stacked() -> Sequential:
    model = Sequential()
    model.add(LSTM(32, return_sequences=True, input_shape=(TIMESTEPS, DATA_DIM)))
    model.add(LSTM(32, return_sequences=True))
    model.add(LSTM(32))
    model.add(Dense(NUM_CLASSES, activation="softmax"))
    return model


def stateful(batch_size: int) -> Sequential:
    model = Sequential()
    model.add(LSTM(32, return_sequences=True, stateful=True,
                   batch_input_shape=(batch_size, TIMESTEPS, DATA_DIM)))
    model.add(LSTM(32, return_sequences=True, stateful=True))
    model.add(LSTM(32, stateful=True))
    model.add(Dense(NUM_CLASSES, activation="softmax"))
    return model


def random_data(count: int, rng: np.random.Generator) -> tuple:
    x = rng.random((count, TIMESTEPS, DATA_DIM)).astype("float32")
    y = rng.random((count, NUM_CLASSES)).astype("float32")
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and epochs")
    args = parser.parse_args()
    epochs = 2 if args.quick else 5
    rng = np.random.default_rng(0)

    model = stacked()
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    model.summary()
    x_train, y_train = random_data(200 if args.quick else 1000, rng)
    x_val, y_val = random_data(50 if args.quick else 100, rng)
    history = model.fit(x_train, y_train, batch_size=64, epochs=epochs,
                        validation_data=(x_val, y_val), verbose=0)
    print("stacked: history keys", sorted(history.history))

    batch_size = 32
    model = stateful(batch_size)
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    x_train, y_train = random_data(batch_size * (2 if args.quick else 10), rng)
    x_val, y_val = random_data(batch_size * 3, rng)
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    print("stateful: final val_loss", round(history.history["val_loss"][-1], 4))

    # The states carry over between calls until reset.
    batch = x_val[:batch_size]
    model.reset_states()
    first = model.predict(batch, batch_size=batch_size, verbose=0)
    second = model.predict(batch, batch_size=batch_size, verbose=0)
    model.reset_states()
    again = model.predict(batch, batch_size=batch_size, verbose=0)
    print("same batch twice differs (states carried):", not np.allclose(first, second))
    print("after reset_states() it matches the first call:", np.allclose(first, again))


if __name__ == "__main__":
    main()
