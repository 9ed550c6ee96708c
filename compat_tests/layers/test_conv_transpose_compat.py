"""Conv1D/2D/3DTranspose side by side with Keras 3: same weights in, same outputs and shapes."""

import itertools

import numpy as np
import pytest
import torch

import kerasish


def _check(name, x, **kwargs):
    import keras

    reference = getattr(keras.layers, name)(**kwargs)
    expected = keras.ops.convert_to_numpy(reference(x))
    ours = getattr(kerasish.layers, name)(**kwargs)
    ours.build(x.shape)
    ours.set_weights(reference.get_weights())
    received = ours(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
    assert ours.count_params() == reference.count_params()
    symbolic = (None,) + x.shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(reference.compute_output_shape(symbolic))
    assert ours(kerasish.Input(batch_shape=symbolic)).shape == (None,) + received.shape[1:]


CONV2D_TRANSPOSE_CASES = [
    dict(kernel_size=k, strides=s, padding=p, data_format=f)
    for k, s, p, f in itertools.product(
        (3, 4), (1, 2), ("valid", "same"), ("channels_last", "channels_first")
    )
] + [
    dict(kernel_size=3, strides=2, padding="same", output_padding=1),
    dict(kernel_size=4, strides=2, padding="same", output_padding=0),
    dict(kernel_size=2, strides=3, padding="valid"),
    dict(kernel_size=3, strides=3, padding="valid", output_padding=2, data_format="channels_first"),
    dict(kernel_size=(2, 3), strides=(2, 1), padding="same", output_padding=(1, 0)),
    dict(kernel_size=3, dilation_rate=2, padding="same", activation="relu"),
    dict(kernel_size=3, dilation_rate=2, padding="valid", use_bias=False),
]


@pytest.mark.parametrize(
    "kwargs", CONV2D_TRANSPOSE_CASES, ids=lambda kw: "-".join(f"{v}" for v in kw.values())
)
def test_conv2d_transpose(rng, kwargs):
    shape = (2, 3, 5, 6) if kwargs.get("data_format") == "channels_first" else (2, 5, 6, 3)
    _check("Conv2DTranspose", rng.standard_normal(shape).astype("float32"), filters=4, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, strides=2, padding="same"),
        dict(kernel_size=4, strides=2, padding="valid", output_padding=1),
        dict(kernel_size=2, dilation_rate=3, padding="same", data_format="channels_first"),
    ],
    ids=["same", "valid_output_padding", "dilated_channels_first"],
)
def test_conv1d_transpose(rng, kwargs):
    shape = (2, 3, 7) if kwargs.get("data_format") == "channels_first" else (2, 7, 3)
    _check("Conv1DTranspose", rng.standard_normal(shape).astype("float32"), filters=4, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, strides=2, padding="same"),
        dict(kernel_size=(2, 3, 2), strides=(1, 2, 3), padding="valid", output_padding=(0, 1, 2)),
    ],
    ids=["same", "valid_output_padding"],
)
def test_conv3d_transpose(rng, kwargs):
    _check("Conv3DTranspose", rng.standard_normal((1, 3, 4, 5, 2)).astype("float32"), filters=2, **kwargs)


def test_keras3_config_builds_the_same_layer():
    import keras

    reference = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same", output_padding=1)
    ours = kerasish.layers.Conv2DTranspose.from_config(reference.get_config())
    assert ours.output_padding == (1, 1) and ours.strides == (2, 2)
    back = keras.layers.Conv2DTranspose.from_config(ours.get_config())  # Keras 3 reads ours
    assert back.output_padding == (1, 1)
