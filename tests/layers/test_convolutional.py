import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import Conv1D, Conv2D, Conv3D


def _eager(layer, x):
    return layer(torch.as_tensor(x)).detach().numpy()


def _reference_conv2d_nhwc(x, kernel, bias, stride, padding):
    """Direct NHWC cross-correlation in numpy, with explicit (top, bottom, left, right) padding."""
    top, bottom, left, right = padding
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, filters = kernel.shape
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, filters), np.float64)
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out + bias


# ----------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    "kwargs, input_shape, expected",
    [
        ({"filters": 4, "kernel_size": 3}, (None, 9, 9, 3), (None, 7, 7, 4)),
        ({"filters": 4, "kernel_size": 3, "padding": "same"}, (None, 9, 9, 3), (None, 9, 9, 4)),
        ({"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, (None, 7, 7, 3), (None, 4, 4, 4)),
        ({"filters": 4, "kernel_size": 4, "strides": 2}, (None, 7, 8, 3), (None, 2, 3, 4)),
        ({"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (None, 9, 9, 3), (None, 5, 5, 4)),
        ({"filters": 2, "kernel_size": (1, 3), "data_format": "channels_first"}, (None, 3, 5, 6), (None, 2, 5, 4)),
        ({"filters": 4, "kernel_size": 3}, (None, None, None, 3), (None, None, None, 4)),
    ],
)
def test_conv2d_output_shapes_symbolic_and_eager(kwargs, input_shape, expected):
    layer = Conv2D(**kwargs)
    assert layer(keras.Input(batch_shape=input_shape)).shape == expected
    concrete = tuple(2 if d is None else d for d in input_shape)
    if None in input_shape[1:]:
        concrete = (2, 9, 9, 3)
    out = _eager(layer, np.zeros(concrete, np.float32))
    assert out.shape == layer.compute_output_shape(concrete)


def test_conv1d_causal_and_conv3d_shapes():
    assert Conv1D(5, 3, padding="causal", dilation_rate=2)(keras.Input((10, 4))).shape == (None, 10, 5)
    assert Conv1D(5, 3, strides=2)(keras.Input((10, 4))).shape == (None, 4, 5)
    assert Conv3D(2, 3, padding="same", strides=2)(keras.Input((5, 6, 7, 1))).shape == (None, 3, 3, 4, 2)
    assert Conv3D(2, (1, 2, 3), data_format="channels_first")(keras.Input((1, 5, 6, 7))).shape == (
        None,
        2,
        5,
        5,
        5,
    )


# ------------------------------------------------------------------ numerics


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kernel", [3, 4])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_matches_direct_cross_correlation(rng, stride, kernel, padding):
    x = rng.standard_normal((2, 7, 8, 3)).astype(np.float32)
    layer = Conv2D(5, kernel, strides=stride, padding=padding)
    layer.build(x.shape)
    bias = rng.standard_normal(5).astype(np.float32)
    layer.set_weights([layer.get_weights()[0], bias])
    kernel_value = layer.get_weights()[0]
    pads = (0, 0, 0, 0)
    if padding == "same":
        def same(n):
            out = -(-n // stride)
            total = max((out - 1) * stride + kernel - n, 0)
            return total // 2, total - total // 2

        pads = same(7) + same(8)
    expected = _reference_conv2d_nhwc(x, kernel_value, bias, stride, pads)
    np.testing.assert_allclose(_eager(layer, x), expected, atol=1e-5)


def test_channels_first_equals_channels_last_on_transposed_input(rng):
    x = rng.standard_normal((2, 9, 7, 4)).astype(np.float32)
    last = Conv2D(6, 3, strides=2, padding="same", groups=2, activation="relu")
    first = Conv2D(6, 3, strides=2, padding="same", groups=2, activation="relu", data_format="channels_first")
    last.build(x.shape)
    first.build((2, 4, 9, 7))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(
        _eager(first, x.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1), _eager(last, x), atol=1e-5
    )


def test_conv1d_causal_output_depends_only_on_the_past(rng):
    layer = Conv1D(3, 3, padding="causal", dilation_rate=2)
    x = rng.standard_normal((1, 12, 2)).astype(np.float32)
    base = _eager(layer, x)
    changed = x.copy()
    changed[:, 8:] += 10.0
    out = _eager(layer, changed)
    np.testing.assert_allclose(out[:, :8], base[:, :8], atol=1e-6)
    assert not np.allclose(out[:, 8:], base[:, 8:])


def test_channels_last_runs_torch_in_channels_last_memory_format():
    layer = Conv2D(2, 3)
    x = torch.randn(1, 6, 6, 3)
    out = layer(x)
    # The result comes back as a channels_last view of torch's NCHW output, not a copy.
    assert out.shape == (1, 4, 4, 2)
    assert out.movedim(-1, 1).is_contiguous(memory_format=torch.channels_last)


# ------------------------------------------------------------------- weights


def test_weights_param_counts_and_layouts():
    layer = Conv2D(8, (3, 2), groups=2)
    layer.build((None, 10, 10, 4))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 2, 8)  # Keras: (*kernel_size, in/groups, filters)
    assert bias.shape == (8,)
    assert tuple(layer.weight.shape) == (8, 2, 3, 2)  # torch: (out, in/groups, kh, kw)
    assert layer.count_params() == 3 * 2 * 2 * 8 + 8
    assert tuple(layer.kernel.shape) == (3, 2, 2, 8)
    value = np.arange(kernel.size, dtype=np.float32).reshape(kernel.shape)
    layer.set_weights([value, bias])
    np.testing.assert_array_equal(layer.kernel.detach().numpy(), value)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), value.transpose(3, 2, 0, 1))


def test_no_bias_and_conv1d_conv3d_layouts():
    layer = Conv1D(4, 5, use_bias=False)
    layer.build((None, 20, 3))
    assert [w.shape for w in layer.get_weights()] == [(5, 3, 4)]
    assert layer.bias is None and layer.count_params() == 60
    layer3 = Conv3D(2, (1, 2, 3))
    layer3.build((None, 4, 4, 4, 5))
    assert layer3.get_weights()[0].shape == (1, 2, 3, 5, 2)
    assert tuple(layer3.weight.shape) == (2, 5, 1, 2, 3)


def test_kernel_before_build_raises():
    with pytest.raises(AttributeError, match="build the layer"):
        Conv2D(2, 3).kernel


def test_glorot_uniform_bound_uses_keras_fans():
    layer = Conv2D(64, 3)
    layer.build((None, 8, 8, 32))
    limit = np.sqrt(6 / (3 * 3 * 32 + 3 * 3 * 64))
    kernel = layer.get_weights()[0]
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert np.all(layer.get_weights()[1] == 0)


@pytest.mark.parametrize(
    "keras_cls, torch_cls, shape, kwargs",
    [
        (Conv1D, torch.nn.Conv1d, (2, 11, 4), {"strides": 2}),
        (Conv2D, torch.nn.Conv2d, (2, 9, 8, 4), {"dilation_rate": 2, "groups": 2}),
        (Conv3D, torch.nn.Conv3d, (1, 5, 6, 7, 4), {}),
    ],
)
def test_state_dict_loads_into_torch_module(keras_cls, torch_cls, shape, kwargs):
    layer = keras_cls(6, 3, **kwargs)
    x = torch.randn(shape)
    layer.build(shape)
    with torch.no_grad():
        layer.bias.uniform_(-1, 1)
    ours = layer(x)
    module = torch_cls(
        4,
        6,
        3,
        stride=kwargs.get("strides", 1),
        dilation=kwargs.get("dilation_rate", 1),
        groups=kwargs.get("groups", 1),
    )
    module.load_state_dict(layer.state_dict())
    theirs = module(x.movedim(-1, 1)).movedim(1, -1)
    torch.testing.assert_close(ours, theirs)


def test_gradients_reach_the_torch_parameters():
    layer = Conv2D(3, 3, padding="same", strides=2)
    x = torch.randn(2, 7, 7, 2, requires_grad=True)
    layer(x).square().sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
    assert x.grad is not None and x.grad.shape == x.shape


# --------------------------------------------------------------------- config


def test_config_round_trip():
    layer = Conv2D(
        4,
        (3, 5),
        strides=(2, 1),
        padding="SAME",
        data_format="channels_first",
        activation="relu",
        use_bias=False,
        kernel_initializer="he_normal",
        kernel_regularizer="l2",
        name="c",
    )
    config = layer.get_config()
    assert config["kernel_size"] == (3, 5)
    assert config["strides"] == (2, 1)
    assert config["padding"] == "same"
    assert config["dilation_rate"] == (1, 1)
    assert config["groups"] == 1
    assert config["activation"] == "relu"
    clone = Conv2D.from_config(config)
    assert clone.get_config() == config
    assert keras.layers.Convolution2D is Conv2D


def test_conv1d_config_keeps_causal():
    clone = Conv1D.from_config(Conv1D(2, 3, padding="causal").get_config())
    assert clone.padding == "causal"


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": 0, "kernel_size": 3}, "filters"),
        ({"filters": 4, "kernel_size": 0}, "kernel_size"),
        ({"filters": 4, "kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"filters": 4, "kernel_size": 3, "strides": 0}, "strides"),
        ({"filters": 4, "kernel_size": 3, "padding": "causal"}, "padding"),
        ({"filters": 4, "kernel_size": 3, "padding": "full"}, "padding"),
        ({"filters": 4, "kernel_size": 3, "groups": 3}, "divisible"),
        ({"filters": 4, "kernel_size": 3, "groups": 0}, "groups"),
        ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "dilation_rate"),
        ({"filters": 4, "kernel_size": 3, "data_format": "nhwc"}, "data_format"),
        ({"filters": 4, "kernel_size": 3, "bogus": 1}, "bogus"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(**kwargs)


def test_input_errors():
    with pytest.raises(ValueError, match="divisible"):
        Conv2D(4, 3, groups=2)(keras.Input((8, 8, 3)))
    with pytest.raises(ValueError, match="zero or negative"):
        Conv2D(4, 5)(keras.Input((3, 8, 3)))
    with pytest.raises(ValueError, match="min_ndim=4"):
        Conv2D(4, 3)(keras.Input((8, 3)))
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        Conv2D(4, 3)(keras.Input((8, 8, 8, 3)))
    with pytest.raises(ValueError, match="should be defined"):
        Conv2D(4, 3)(keras.Input((8, 8, None)))
    layer = Conv2D(4, 3)
    layer(keras.Input((8, 8, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(keras.Input((8, 8, 5)))
