"""Shared checks for the side-by-side augmentation tests."""

from __future__ import annotations

import json

import keras
import numpy as np

import kerasish


def both(name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs), getattr(kerasish.layers, name)(
        *args, **kwargs
    )


def assert_same(expected, received, atol: float = 0.0) -> None:
    expected = keras.ops.convert_to_numpy(expected)
    received = received.detach().cpu().numpy()
    assert received.dtype == expected.dtype
    assert received.shape == expected.shape
    np.testing.assert_allclose(received, expected, atol=atol, rtol=0)


def plain_config(layer) -> dict:
    config = json.loads(json.dumps(layer.get_config()))  # JSON: tuples to lists
    config.pop("name")
    config.pop("dtype")
    return config


def assert_configs_load_both_ways(name, *args, **kwargs) -> None:
    theirs, ours = both(name, *args, **kwargs)
    assert plain_config(ours) == plain_config(theirs)
    assert plain_config(getattr(kerasish.layers, name).from_config(theirs.get_config())) == \
        plain_config(theirs)
    assert plain_config(getattr(keras.layers, name).from_config(ours.get_config())) == \
        plain_config(theirs)


def assert_inference_matches(name, images, *args, **kwargs) -> None:
    """Inference (and single images, integer and float64 inputs) give Keras' exact output."""
    theirs, ours = both(name, *args, **kwargs)
    for x in (images, images[0], images.astype("uint8"), images.astype("float64")):
        assert_same(theirs(x, training=False), ours(x, training=False))


def to_layout(images: np.ndarray, data_format: str) -> np.ndarray:
    if data_format == "channels_last":
        return images
    return np.ascontiguousarray(np.moveaxis(images, -1, -3))
