"""Seed scenario 002: one LSTM shared by two tweets, and what "layer nodes" are.

Do two tweets come from the same person? Each tweet is a (280, 256) binary matrix (280
characters, one-hot over 256 symbols). The problem is symmetric, so one LSTM encodes both
tweets: calling the same layer object twice shares its weights. The two encodings are joined
and a logistic regression decides.

Every call of a layer adds a *node* to it. With one node, ``layer.output`` and
``layer.output_shape`` are defined; with several, ``layer.output`` is ambiguous and Keras 2
asks for ``get_output_at(node_index)``. Shapes work the same way: a Conv2D applied to 32x32 and
64x64 images has two input shapes, ``get_input_shape_at(0)`` and ``get_input_shape_at(1)``.

    python examples/shared_lstm_tweets.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

import kerasish as keras
from kerasish.layers import LSTM, Conv2D, Dense, Input
from kerasish.models import Model


def build() -> tuple[Model, LSTM]:
    tweet_a = Input(shape=(280, 256))
    tweet_b = Input(shape=(280, 256))
    shared_lstm = LSTM(64)
    encoded_a = shared_lstm(tweet_a)
    encoded_b = shared_lstm(tweet_b)
    merged_vector = keras.layers.concatenate([encoded_a, encoded_b], axis=-1)
    predictions = Dense(1, activation="sigmoid")(merged_vector)
    return Model(inputs=[tweet_a, tweet_b], outputs=predictions), shared_lstm


def synthetic_tweets(count: int, rng: np.random.Generator) -> tuple:
    """Each "person" writes with their own favourite character; pairs share it or not."""
    people = rng.integers(0, 256, size=(count, 2))
    same = rng.integers(0, 2, count)
    people[same == 1, 1] = people[same == 1, 0]
    tweets = np.zeros((2, count, 280, 256), dtype="float32")
    symbols = rng.integers(0, 256, size=(2, count, 280))
    favourite = rng.random((2, count, 280)) < 0.3
    symbols[favourite] = np.broadcast_to(people.T[:, :, None], symbols.shape)[favourite]
    np.put_along_axis(tweets, symbols[..., None], 1.0, axis=-1)
    return tweets[0], tweets[1], same.astype("float32")[:, None]


def nodes_demo() -> None:
    a = Input(shape=(280, 256))
    lstm = LSTM(32)
    encoded_a = lstm(a)
    assert lstm.output is encoded_a
    print("one node: lstm.output is encoded_a")

    b = Input(shape=(280, 256))
    encoded_b = lstm(b)
    try:
        print(lstm.output)
    except AttributeError as error:
        print("two nodes:", error)
    assert lstm.get_output_at(0) is encoded_a and lstm.get_output_at(1) is encoded_b
    print("lstm.get_output_at(0) is encoded_a, lstm.get_output_at(1) is encoded_b")

    a = Input(shape=(32, 32, 3))
    b = Input(shape=(64, 64, 3))
    conv = Conv2D(16, (3, 3), padding="same")
    conv(a)
    print("conv.input_shape after one call:", conv.input_shape)
    conv(b)
    print("input shapes at nodes 0 and 1:", conv.get_input_shape_at(0), conv.get_input_shape_at(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer pairs and epochs")
    args = parser.parse_args()
    count, epochs = (64, 1) if args.quick else (512, 10)

    model, shared_lstm = build()
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    data_a, data_b, labels = synthetic_tweets(count, np.random.default_rng(0))
    history = model.fit([data_a, data_b], labels, epochs=epochs, batch_size=32, verbose=0)
    print("accuracy per epoch:", " ".join(f"{a:.3f}" for a in history.history["accuracy"]))
    lstm_params = shared_lstm.count_params()
    print(f"shared LSTM params: {lstm_params:,}, counted once in the model's "
          f"{model.count_params():,} ({len(shared_lstm.inbound_nodes)} calls)")
    nodes_demo()


if __name__ == "__main__":
    main()
