import itertools

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution2DTranspose,
)


def _pair(rank, kernel_size, strides, padding, dilation_rate=1, data_format="channels_last"):
    """A transposed conv and the conv it is the adjoint of, sharing one kernel, no bias."""
    kwargs = dict(kernel_size=kernel_size, strides=strides, padding=padding,
                  dilation_rate=dilation_rate, data_format=data_format, use_bias=False)
    transpose_cls, conv_cls = {1: (Conv1DTranspose, Conv1D), 2: (Conv2DTranspose, Conv2D)}[rank]
    return transpose_cls(filters=3, **kwargs), conv_cls(filters=2, **kwargs)


ADJOINT_CASES = [
    dict(rank=r, kernel_size=k, strides=s, padding=p, data_format=f)
    for r, k, s, p, f in itertools.product(
        (1, 2), (2, 3, 4), (1, 2, 3), ("valid", "same"), ("channels_last", "channels_first")
    )
] + [
    dict(rank=1, kernel_size=3, strides=1, padding=p, dilation_rate=2) for p in ("valid", "same")
] + [dict(rank=2, kernel_size=(2, 3), strides=(3, 2), padding="same")]


@pytest.mark.parametrize("case", ADJOINT_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_transpose_is_the_adjoint_of_the_convolution(rng, case):
    """TensorFlow (so Keras) defines conv_transpose as the gradient of conv: <T y, x> = <y, C x>."""
    case = dict(case)
    rank = case.pop("rank")
    transpose, conv = _pair(rank, **case)
    channels_last = case.get("data_format", "channels_last") == "channels_last"
    spatial = (5, 4)[:rank]
    y_shape = (2,) + spatial + (2,) if channels_last else (2, 2) + spatial
    y = torch.from_numpy(rng.standard_normal(y_shape).astype("float32"))
    out = transpose(y)
    x = torch.from_numpy(rng.standard_normal(tuple(out.shape)).astype("float32"))
    conv.build(tuple(x.shape))
    conv.set_weights(transpose.get_weights())  # (k, out_T, in_T) is also (k, in_C, out_C)
    conv_x = conv(x)
    assert conv_x.shape == y.shape
    torch.testing.assert_close((out * x).sum(), (y * conv_x).sum(), atol=1e-4, rtol=1e-5)
    assert out.shape == transpose.compute_output_shape(tuple(y.shape))


@pytest.mark.parametrize(
    "kwargs, input_shape, expected",
    [
        (dict(kernel_size=3, strides=2), (None, 5, 5, 2), (None, 11, 11, 4)),
        (dict(kernel_size=2, strides=3), (None, 5, 5, 2), (None, 15, 15, 4)),  # max(k, s)
        (dict(kernel_size=3, strides=2, padding="same"), (None, 5, 6, 2), (None, 10, 12, 4)),
        (dict(kernel_size=3, strides=2, output_padding=1), (None, 5, 5, 2), (None, 12, 12, 4)),
        (dict(kernel_size=4, strides=2, padding="same", output_padding=0),
         (None, 5, 5, 2), (None, 8, 8, 4)),
        (dict(kernel_size=3, dilation_rate=2), (None, 5, 5, 2), (None, 9, 9, 4)),
        (dict(kernel_size=3, data_format="channels_first"), (None, 2, None, 5), (None, 4, None, 7)),
    ],
)
def test_output_shapes(kwargs, input_shape, expected):
    layer = Conv2DTranspose(4, **kwargs)
    assert layer(keras.Input(batch_shape=input_shape)).shape == expected
    concrete = tuple(3 if d is None else d for d in input_shape)
    out = layer(torch.zeros(concrete))
    assert tuple(out.shape) == layer.compute_output_shape(concrete)


def test_state_dict_loads_into_torch_conv_transpose(rng):
    layer = Conv2DTranspose(4, 3, strides=2, output_padding=1, data_format="channels_first")
    x = torch.from_numpy(rng.standard_normal((2, 3, 5, 6)).astype("float32"))
    layer(x)
    layer.set_weights([rng.standard_normal(w.shape).astype("float32") for w in layer.weights])
    assert tuple(layer.weight.shape) == (3, 4, 3, 3)
    np.testing.assert_array_equal(
        layer.kernel.detach().numpy(), layer.weight.detach().numpy().transpose(2, 3, 1, 0)
    )
    reference = torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1)
    reference.load_state_dict(layer.state_dict())
    torch.testing.assert_close(layer(x), reference(x))


def test_zero_padded_window_gets_the_bias():
    # valid, kernel 2 < stride 3: Keras extends each axis by one zero cell, bias included.
    layer = Conv1DTranspose(1, 2, strides=3, bias_initializer="ones", kernel_initializer="ones")
    out = layer(torch.ones(1, 2, 1))[0, :, 0]
    torch.testing.assert_close(out, torch.tensor([2.0, 2.0, 1.0, 2.0, 2.0, 1.0]))


def test_conv3d_transpose_and_alias(rng):
    layer = Conv3DTranspose(2, (2, 3, 2), strides=(2, 1, 3), padding="same")
    assert layer(keras.Input((3, 4, 5, 1))).shape == (None, 6, 4, 15, 2)
    assert Convolution2DTranspose is Conv2DTranspose


def test_config_round_trip_and_keras2_groups():
    layer = Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1,
                            dilation_rate=1, activation="relu", name="up")
    config = layer.get_config()
    assert "groups" not in config and config["output_padding"] == (1, 1)
    assert Conv2DTranspose.from_config(config).get_config() == config
    keras2 = {**config, "groups": 1}  # tf.keras wrote this key
    assert Conv2DTranspose.from_config(keras2).get_config() == config


def test_errors():
    with pytest.raises(ValueError, match="strictly less than `strides`"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(NotImplementedError, match="groups=2"):
        Conv2DTranspose(2, 3, groups=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv1DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="filters"):
        Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match="padding"):
        Conv2DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"conv2d_transpose.*rank 4.*\(None, 5, 3\)"):
        Conv2DTranspose(2, 3, name="conv2d_transpose").compute_output_shape((None, 5, 3))
