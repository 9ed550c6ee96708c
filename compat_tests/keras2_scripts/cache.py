"""Tiny stand-ins for the Keras datasets, written in the real file formats into a Keras cache
folder (``$KERAS_HOME/datasets``), so ``keras.datasets.*.load_data()`` finds them cached and
never touches the network. Each set has a learnable class signal."""

from __future__ import annotations

import os

import numpy as np


def _ragged(rows: list) -> np.ndarray:
    array = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        array[i] = [int(v) for v in row]  # Python ints, as the real files hold
    return array


def mnist_arrays(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits as a bright 6x6 block whose position encodes the class, over noise."""
    labels = rng.integers(0, 10, size=count).astype("uint8")
    images = rng.integers(0, 60, size=(count, 28, 28)).astype("uint8")
    for i, label in enumerate(labels):
        row, col = 2 + 12 * (label // 5), 1 + 5 * (label % 5)
        images[i, row : row + 6, col : col + 6] = 255
    return images, labels


def word_sequences(
    rng: np.random.Generator, count: int, classes: int, words_per_class: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of raw word indices drawn from a class-specific range of the vocabulary."""
    labels = rng.integers(0, classes, size=count)
    rows = []
    for label in labels:
        low = 1 + words_per_class * int(label)
        rows.append(rng.integers(low, low + words_per_class, size=rng.integers(8, 25)))
    return _ragged(rows), labels.astype("int64")


def write_cache(keras_home: str, seed: int = 0) -> str:
    """Write mnist, imdb, reuters and boston_housing into ``keras_home``/datasets."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(keras_home, "datasets")
    os.makedirs(folder, exist_ok=True)
    x_train, y_train = mnist_arrays(rng, 1000)
    x_test, y_test = mnist_arrays(rng, 200)
    np.savez(os.path.join(folder, "mnist.npz"), x_train=x_train, y_train=y_train,
             x_test=x_test, y_test=y_test)
    x_train, y_train = word_sequences(rng, 400, 2, 60)
    x_test, y_test = word_sequences(rng, 100, 2, 60)
    np.savez(os.path.join(folder, "imdb.npz"), x_train=x_train, y_train=y_train,
             x_test=x_test, y_test=y_test)
    xs, ys = word_sequences(rng, 600, 5, 18)
    np.savez(os.path.join(folder, "reuters.npz"), x=xs, y=ys)
    features = rng.normal(size=(300, 13)) * rng.uniform(0.5, 20, size=13) + rng.uniform(0, 50, size=13)
    weights = rng.normal(size=13)
    standardized = (features - features.mean(0)) / features.std(0)
    prices = 22 + 4 * standardized @ weights / np.sqrt(13) + rng.normal(scale=0.5, size=300)
    np.savez(os.path.join(folder, "boston_housing.npz"), x=features, y=prices)
    return folder
