"""Seed scenario: turn an image classifier into a video classifier in one line.

`TimeDistributed(image_model)` applies the whole image model to every frame; an LSTM then reads
the sequence of per-frame predictions.

    python examples/video_classifier.py
"""

from __future__ import annotations

import numpy as np

import kerasish as keras
from kerasish.layers import LSTM, Conv2D, Dense, GlobalAveragePooling2D, Input, TimeDistributed


def build() -> keras.Model:
    frame = Input(shape=(16, 16, 3))
    x = Conv2D(8, 3, activation="relu")(frame)
    x = GlobalAveragePooling2D()(x)
    image_model = keras.Model(frame, Dense(5, activation="softmax")(x), name="image_model")

    video_input = Input(shape=(6, 16, 16, 3))
    processed_sequences = TimeDistributed(image_model)(video_input)
    encoded = LSTM(12)(processed_sequences)
    return keras.Model(video_input, Dense(3, activation="softmax")(encoded))


def main() -> None:
    model = build()
    model.summary()
    videos = np.random.default_rng(0).random((2, 6, 16, 16, 3)).astype("float32")
    print("class probabilities per video:\n", model.predict(videos, verbose=0))


if __name__ == "__main__":
    main()
