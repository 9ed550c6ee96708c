"""Seed scenario: one vision model, weights and all, shared by two inputs.

A small convolutional "vision model" turns a 27x27 digit into a vector; the same model is then
called on two inputs, and a Dense layer decides whether the two digits are the same. Calling a
model on new tensors reuses its layers and weights.

    python examples/siamese_vision.py
"""

from __future__ import annotations

import numpy as np

import kerasish as keras
from kerasish.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, concatenate


def build() -> tuple[keras.Model, keras.Model]:
    digit_input = Input(shape=(27, 27, 1))
    x = Conv2D(64, (3, 3))(digit_input)
    x = Conv2D(64, (3, 3))(x)
    x = MaxPooling2D((2, 2))(x)
    out = Flatten()(x)
    vision_model = keras.Model(digit_input, out)

    digit_a = Input(shape=(27, 27, 1))
    digit_b = Input(shape=(27, 27, 1))
    out_a = vision_model(digit_a)
    out_b = vision_model(digit_b)
    concatenated = concatenate([out_a, out_b])
    out = Dense(1, activation="sigmoid")(concatenated)
    return vision_model, keras.Model([digit_a, digit_b], out)


def main() -> None:
    vision_model, classifier = build()
    classifier.summary()
    rng = np.random.default_rng(0)
    a = rng.random((4, 27, 27, 1)).astype("float32")
    b = rng.random((4, 27, 27, 1)).astype("float32")
    print("same-digit probabilities:", classifier.predict([a, b], verbose=0).ravel())
    shared = sum(p.numel() for p in vision_model.parameters())
    total = sum(p.numel() for p in classifier.parameters())
    print(f"vision model params: {shared:,}; classifier params: {total:,} (vision counted once)")


if __name__ == "__main__":
    main()
