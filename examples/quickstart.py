"""The main example: a functional model with a shared layer and a nested model.

Builds it with the Keras API, prints its summary and generated forward, trains it briefly in a
plain PyTorch loop (a kerasish model *is* a torch.nn.Module), and predicts with Keras' predict.

    python examples/quickstart.py [--steps N]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import kerasish as keras
from kerasish import layers


def build_model() -> keras.Model:
    # A small encoder, itself a model, used on both inputs (a nested, shared model).
    encoder_input = keras.Input(shape=(16,), name="features")
    hidden = layers.Dense(32, activation="relu", name="encoder_hidden")(encoder_input)
    encoder = keras.Model(encoder_input, layers.Dense(8, name="embedding")(hidden), name="encoder")

    left = keras.Input(shape=(16,), name="left")
    right = keras.Input(shape=(16,), name="right")
    shared_projection = layers.Dense(8, activation="tanh", name="projection")  # a shared layer
    a = shared_projection(encoder(left))
    b = shared_projection(encoder(right))
    difference = layers.subtract([a, b])
    squared = layers.multiply([difference, difference])
    same = layers.Dense(1, activation="sigmoid", name="same")(squared)
    return keras.Model([left, right], same, name="pair_classifier")


def make_data(n: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    left = rng.standard_normal((n, 16)).astype("float32")
    right = np.where(rng.random((n, 1)) < 0.5, left, rng.standard_normal((n, 16))).astype("float32")
    labels = np.all(left == right, axis=1, keepdims=True).astype("float32")
    return [left, right], labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = build_model()
    model.summary()
    print(model.forward_source())

    (left, right), labels = make_data(2048, rng)
    left_t, right_t, labels_t = map(torch.from_numpy, (left, right, labels))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(args.steps):
        index = torch.randint(0, len(labels_t), (64,))
        loss = torch.nn.functional.binary_cross_entropy(
            model(left_t[index], right_t[index]), labels_t[index]
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    model.eval()

    (test_left, test_right), test_labels = make_data(512, rng)
    predictions = model.predict([test_left, test_right], verbose=0)
    accuracy = float(np.mean((predictions > 0.5) == test_labels))
    print(f"held-out accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()
