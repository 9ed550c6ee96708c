"""Small models every converter test saves and converts."""

import numpy as np
import pytest

import kerasish as keras


@pytest.fixture
def mlp():
    model = keras.Sequential(
        [keras.layers.Input((6,)), keras.layers.Dense(5, activation="relu", name="hidden"),
         keras.layers.Dense(3, name="out")]
    )
    return model


@pytest.fixture
def recurrent():
    """Embedding, LSTM and GRU: the layouts that reorder gates and split biases."""
    inputs = keras.Input((4,), dtype="int32")
    x = keras.layers.Embedding(7, 3, name="emb")(inputs)
    x = keras.layers.LSTM(4, return_sequences=True, name="lstm")(x)
    x = keras.layers.GRU(2, name="gru")(x)
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(x))
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.fixture
def cnn():
    model = keras.Sequential(
        [keras.layers.Input((5, 4, 2)), keras.layers.Conv2D(3, 2, name="conv"),
         keras.layers.BatchNormalization(name="bn"), keras.layers.ReLU(),
         keras.layers.Flatten(), keras.layers.Dense(2, name="fc")]
    )
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()]
    weights[5] = np.abs(weights[5]) + 0.5  # moving variance
    model.set_weights(weights)
    return model
