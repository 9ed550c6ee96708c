"""Conv1D/2D/3D side by side with Keras 3: same weights in, same outputs and shapes out."""

import itertools

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


def _pair(name, x, **kwargs):
    """The Keras and kerasish layer, built on ``x``, sharing Keras' initial weights."""
    import keras

    reference = getattr(keras.layers, name)(**kwargs)
    expected = keras.ops.convert_to_numpy(reference(x))
    ours = getattr(kerasish.layers, name)(**kwargs)
    ours.build(x.shape)
    ours.set_weights(reference.get_weights())
    return reference, ours, expected


def _check(name, x, **kwargs):
    reference, ours, expected = _pair(name, x, **kwargs)
    received = ours(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
    assert ours.count_params() == reference.count_params()
    symbolic = (None,) + x.shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(reference.compute_output_shape(symbolic))
    assert ours(kerasish.Input(batch_shape=symbolic)).shape == (None,) + received.shape[1:]


CONV2D_CASES = [
    dict(kernel_size=k, strides=s, padding=p, data_format=f)
    for k, s, p, f in itertools.product(
        (3, 4), (1, 2), ("valid", "same"), ("channels_last", "channels_first")
    )
] + [
    dict(kernel_size=3, dilation_rate=2, padding="same"),
    dict(kernel_size=(2, 3), dilation_rate=(2, 1), padding="valid"),
    dict(kernel_size=3, groups=2, strides=2, padding="same", activation="relu"),
    dict(kernel_size=(1, 4), strides=(2, 3), padding="same", use_bias=False),
]


@pytest.mark.parametrize("kwargs", CONV2D_CASES, ids=lambda kw: "-".join(f"{v}" for v in kw.values()))
def test_conv2d(rng, kwargs):
    shape = (2, 4, 7, 8) if kwargs.get("data_format") == "channels_first" else (2, 7, 8, 4)
    _check("Conv2D", rng.standard_normal(shape).astype("float32"), filters=6, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, padding="causal", dilation_rate=2),
        dict(kernel_size=4, padding="causal", strides=2),
        dict(kernel_size=4, padding="same", strides=3),
        dict(kernel_size=2, padding="same"),
        dict(kernel_size=5, padding="valid", strides=2, groups=2),
        dict(kernel_size=3, padding="same", data_format="channels_first", strides=2),
        dict(kernel_size=3, padding="causal", data_format="channels_first"),
    ],
)
def test_conv1d(rng, kwargs):
    shape = (2, 4, 11) if kwargs.get("data_format") == "channels_first" else (2, 11, 4)
    _check("Conv1D", rng.standard_normal(shape).astype("float32"), filters=6, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, padding="same", strides=2),
        dict(kernel_size=(2, 3, 1), padding="valid"),
        dict(kernel_size=2, padding="same", data_format="channels_first", dilation_rate=2),
    ],
)
def test_conv3d(rng, kwargs):
    shape = (2, 2, 5, 6, 7) if kwargs.get("data_format") == "channels_first" else (2, 5, 6, 7, 2)
    _check("Conv3D", rng.standard_normal(shape).astype("float32"), filters=4, **kwargs)


def _cnn(lib):
    L = lib.layers
    inputs = lib.Input((9, 9, 3))
    x = L.Conv2D(8, 3, padding="same", strides=2, activation="relu")(inputs)
    x = L.Conv2D(8, 2, padding="same", groups=2)(x)
    x = L.Conv2D(4, 3, dilation_rate=2, padding="same", activation="tanh")(x)
    return lib.Model(inputs, L.Dense(3)(L.Flatten()(x)))


def test_conv_model_predictions(rng):
    import keras

    reference, ours = _cnn(keras), _cnn(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((5, 9, 9, 3)).astype("float32"))


def test_configs_interoperate():
    import keras

    reference = keras.layers.Conv2D(
        5, (3, 2), strides=2, padding="same", dilation_rate=1, groups=1, activation="relu",
        kernel_initializer="he_normal", data_format="channels_first",
    )
    ours = kerasish.layers.Conv2D.from_config(reference.get_config())
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups"):
        assert ours.get_config()[key] == reference.get_config()[key]
    back = keras.layers.Conv2D.from_config(ours.get_config())
    assert back.get_config()["kernel_size"] == (3, 2) and back.get_config()["activation"] == "relu"
    assert back.get_config()["kernel_initializer"]["class_name"] == "HeNormal"
    causal = kerasish.layers.Conv1D.from_config(keras.layers.Conv1D(2, 3, padding="causal").get_config())
    assert causal.padding == "causal"
