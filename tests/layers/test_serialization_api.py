"""``keras.layers.serialize``/``deserialize``."""

import numpy as np
import torch

import kerasish as keras


def test_serialize_writes_keras3_dicts_and_deserialize_reads_them_back():
    layer = keras.layers.Dense(3, activation="relu", name="head")
    config = keras.layers.serialize(layer)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    clone = keras.layers.deserialize(config)
    assert isinstance(clone, keras.layers.Dense)
    assert (clone.name, clone.units) == ("head", 3)
    assert clone.get_config() == layer.get_config()


def test_deserialize_reads_keras2_dicts_and_models():
    old = {"class_name": "Dropout", "config": {"rate": 0.3, "name": "drop", "trainable": True}}
    assert keras.layers.deserialize(old).rate == 0.3
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Dense(1)(inp))
    clone = keras.layers.deserialize(keras.layers.serialize(model))
    clone.set_weights(model.get_weights())
    x = torch.ones(1, 2)
    np.testing.assert_allclose(clone(x).detach().numpy(), model(x).detach().numpy())
