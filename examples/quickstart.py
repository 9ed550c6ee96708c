"""The main example: a functional model with a shared layer and a nested model.

Builds it with the Keras API, prints its summary and generated forward, trains it briefly with
``compile``/``fit``, fine-tunes it in a plain PyTorch loop (a kerasish model *is* a
``torch.nn.Module``), predicts with Keras' ``predict``, then saves it as a Keras 3 ``.keras``
file and a Keras 2 ``.h5`` file and reloads both.

    python examples/quickstart.py [--epochs N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

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
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = build_model()
    model.summary()
    print(model.forward_source())

    inputs, labels = make_data(2048, rng)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(inputs, labels, batch_size=64, epochs=args.epochs, validation_split=0.1, verbose=2)
    print("final training loss:", round(history.history["loss"][-1], 4))

    # The same model in a hand-written PyTorch loop: it is an ordinary nn.Module.
    left, right, target = (torch.from_numpy(a) for a in (*inputs, labels))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(10):
        loss = torch.nn.functional.binary_cross_entropy(model(left, right), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()

    test_inputs, test_labels = make_data(512, rng)
    loss, accuracy = model.evaluate(test_inputs, test_labels, verbose=0)
    predictions = model.predict(test_inputs, verbose=0)
    print(f"held-out accuracy: {accuracy:.3f} (from predict: {np.mean((predictions > 0.5) == test_labels):.3f})")

    with tempfile.TemporaryDirectory() as folder:
        for name in ("pair_classifier.keras", "pair_classifier.h5"):
            path = Path(folder) / name
            model.save(path)
            reloaded = keras.models.load_model(path)
            difference = np.abs(reloaded.predict(test_inputs, verbose=0) - predictions).max()
            print(f"saved and reloaded {name} ({path.stat().st_size:,} bytes): max |difference| {difference:.1e}")


if __name__ == "__main__":
    main()
