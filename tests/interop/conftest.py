"""The four models every interop test runs on, and a clean global state around each test."""

from __future__ import annotations

import pytest
import torch

import kerasish as keras
from kerasish import devices


def mlp() -> keras.Model:
    inputs = keras.Input((8,))
    x = keras.layers.Dense(16, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def cnn() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),
            keras.layers.Dropout(0.5),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )


def shared_nested() -> keras.Model:
    inner_input = keras.Input((6,))
    inner = keras.Model(
        inner_input, keras.layers.Dense(5, activation="tanh")(inner_input), name="inner"
    )
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    shared = keras.layers.Dense(6, name="shared")
    merged = keras.layers.Concatenate()([inner(shared(a)), inner(shared(b))])
    return keras.Model([a, b], keras.layers.Dense(1, name="head")(merged))


def embedding_lstm() -> keras.Model:
    inputs = keras.Input((7,), dtype="int64")
    x = keras.layers.Embedding(20, 4)(inputs)
    x = keras.layers.LSTM(5)(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def _inputs(name: str) -> tuple:
    generator = torch.Generator().manual_seed(7)
    if name == "mlp":
        return (torch.rand(4, 8, generator=generator),)
    if name == "cnn":
        return (torch.rand(4, 8, 8, 3, generator=generator),)
    if name == "shared_nested":
        return (torch.rand(4, 6, generator=generator), torch.rand(4, 6, generator=generator))
    return (torch.randint(0, 20, (4, 7), generator=generator),)


MODELS = {
    "mlp": mlp,
    "cnn": cnn,
    "shared_nested": shared_nested,
    "embedding_lstm": embedding_lstm,
}


@pytest.fixture(params=sorted(MODELS))
def model_case(request) -> tuple:
    """``(name, build function, example inputs)`` for each of the four models."""
    return request.param, MODELS[request.param], _inputs(request.param)


@pytest.fixture(autouse=True)
def _restore_globals():
    yield
    keras.mixed_precision.set_global_policy(None)
    devices.set_device(None)
