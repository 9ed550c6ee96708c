"""``keras.layers.serialize``/``deserialize`` dicts cross between kerasish and Keras 3."""

import keras

import kerasish


def test_kerasish_dicts_deserialize_in_keras3_and_back():
    layer = kerasish.layers.Conv2D(4, 3, strides=2, activation="relu", name="conv")
    theirs = keras.layers.deserialize(kerasish.layers.serialize(layer))
    assert isinstance(theirs, keras.layers.Conv2D)
    assert (theirs.name, theirs.filters, theirs.strides) == ("conv", 4, (2, 2))
    ours = kerasish.layers.deserialize(keras.layers.serialize(theirs))
    assert ours.get_config() == layer.get_config()
