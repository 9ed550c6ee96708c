"""Seed 001: a new head on InceptionV3, trained with the base frozen."""

import numpy as np
import torch

import kerasish as keras
from kerasish.applications import InceptionV3


def _batch_norm_state(model):
    return {
        layer.name: [w.numpy().copy() for w in layer.weights]
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    }


def test_new_head_on_a_frozen_base_keeps_batch_norm_in_inference_mode(rng):
    base = InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3))
    assert base.output.shape == (None, 1, 1, 2048)
    x = keras.layers.GlobalAveragePooling2D()(base.output)
    x = keras.layers.Dense(64, activation="relu")(x)
    new_output = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(base.inputs, new_output)
    assert model.layers[: len(base.layers)] == base.layers
    assert model.count_params() == 21_802_784 + 2048 * 64 + 64 + 64 * 3 + 3

    base.trainable = False
    assert len(model.trainable_weights) == 4
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    images = rng.random((8, 75, 75, 3)).astype("float32")
    labels = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
    base_before = [w.numpy().copy() for w in base.weights]
    statistics_before = _batch_norm_state(base)
    features_before = base.predict(images, verbose=0)
    head_before = model.layers[-1].get_weights()[0].copy()

    model.fit(images, labels, batch_size=4, epochs=1, verbose=0)

    for name, values in _batch_norm_state(base).items():
        for before, after in zip(statistics_before[name], values):
            np.testing.assert_array_equal(after, before, err_msg=name)
    for before, after in zip(base_before, base.weights):
        np.testing.assert_array_equal(after.numpy(), before)
    np.testing.assert_array_equal(base.predict(images, verbose=0), features_before)
    assert not np.allclose(model.layers[-1].get_weights()[0], head_before)

    # The contrast: unfrozen (and recompiled), the same fit moves the statistics.
    base.trainable = True
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(images[:2], labels[:2], verbose=0)
    first = base.get_layer("batch_normalization").get_weights()[1]  # no scale: beta, mean, var
    assert not np.allclose(first, statistics_before["batch_normalization"][1])


def test_layer_structure_and_names():
    model = InceptionV3(weights=None, input_shape=(75, 75, 3), classes=10)
    names = [layer.name for layer in model.layers]
    assert names[:4] == ["input_1", "conv2d", "batch_normalization", "activation"]
    assert names[-2:] == ["avg_pool", "predictions"]
    assert "mixed9_1" in names and "mixed10" in names
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers) == 94
    assert model.output_shape == (None, 10)
    out = model(torch.zeros(1, 75, 75, 3))
    np.testing.assert_allclose(out.sum().item(), 1.0, rtol=1e-5)
