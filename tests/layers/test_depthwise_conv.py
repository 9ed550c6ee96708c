import itertools

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import DepthwiseConv1D, DepthwiseConv2D


def _reference_nhwc(x, kernel, bias, stride, padding):
    """Each input channel c filtered by its dm kernels; output channel c * dm + m."""
    top, bottom, left, right = padding
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, channels, dm = kernel.shape
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, channels * dm))
    for i, j, c, m in itertools.product(range(oh), range(ow), range(channels), range(dm)):
        window = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, c]
        out[:, i, j, c * dm + m] = np.tensordot(window, kernel[:, :, c, m], axes=([1, 2], [0, 1]))
    return out + bias


@pytest.mark.parametrize("depth_multiplier", [1, 2])
# pads: (top, bottom, left, right) under TF "same" rules for a 5x6 input.
@pytest.mark.parametrize(
    "kernel_size, strides, padding, pads",
    [(3, 1, "valid", (0, 0, 0, 0)), (3, 2, "same", (1, 1, 0, 1)), (2, 2, "same", (0, 1, 0, 0))],
)
def test_matches_reference(rng, depth_multiplier, kernel_size, strides, padding, pads):
    x = rng.standard_normal((2, 5, 6, 3)).astype("float32")
    layer = DepthwiseConv2D(kernel_size, strides=strides, padding=padding,
                            depth_multiplier=depth_multiplier)
    layer.build(x.shape)
    kernel = rng.standard_normal((kernel_size, kernel_size, 3, depth_multiplier)).astype("float32")
    bias = rng.standard_normal(3 * depth_multiplier).astype("float32")
    layer.set_weights([kernel, bias])
    out = layer(torch.from_numpy(x)).detach().numpy()
    expected = _reference_nhwc(x, kernel, bias, strides, pads)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert out.shape == layer.compute_output_shape(x.shape)


def test_weights_are_torch_grouped_conv(rng):
    layer = DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")
    x = torch.from_numpy(rng.standard_normal((2, 3, 6, 6)).astype("float32"))
    layer(x)
    kernel = rng.standard_normal((3, 3, 3, 2)).astype("float32")
    layer.set_weights([kernel, np.zeros(6, "float32")])
    assert tuple(layer.weight.shape) == (6, 1, 3, 3)
    np.testing.assert_array_equal(layer.weight[3, 0].detach().numpy(), kernel[:, :, 1, 1])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    np.testing.assert_array_equal(layer.depthwise_kernel.detach().numpy(), kernel)
    reference = torch.nn.Conv2d(3, 6, 3, groups=3)
    reference.load_state_dict(layer.state_dict())
    torch.testing.assert_close(layer(x), reference(x))
    assert layer.count_params() == 3 * 3 * 3 * 2 + 6


def test_initializer_sees_the_keras_shape():
    layer = DepthwiseConv2D(3, depth_multiplier=2)
    layer.build((None, 8, 8, 4))
    kernel = layer.get_weights()[0]
    assert kernel.shape == (3, 3, 4, 2)
    fan_in, fan_out = 3 * 3 * 4, 3 * 3 * 2
    assert np.abs(kernel).max() <= np.sqrt(6 / (fan_in + fan_out))


def test_depthwise_conv1d_shapes_and_dilation(rng):
    layer = DepthwiseConv1D(3, depth_multiplier=2, dilation_rate=2, padding="same")
    assert layer(keras.Input((9, 4))).shape == (None, 9, 8)
    assert DepthwiseConv1D(2, strides=2)(keras.Input((9, 4))).shape == (None, 4, 4)
    out = layer(torch.zeros(2, 9, 4))
    assert tuple(out.shape) == (2, 9, 8)


def test_config_round_trip_and_keras2_groups():
    layer = DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                            depthwise_regularizer="l2", activation="relu")
    config = layer.get_config()
    assert "groups" not in config and "filters" not in config
    assert DepthwiseConv2D.from_config(config).get_config() == config
    assert DepthwiseConv2D.from_config({**config, "groups": 1}).depth_multiplier == 2
    with pytest.raises(NotImplementedError, match="groups=3"):
        DepthwiseConv2D(3, groups=3)


def test_errors():
    with pytest.raises(ValueError, match="depth_multiplier"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match=r"depthwise_conv2d.*min_ndim=4.*\(None, 5, 3\)"):
        DepthwiseConv2D(3)(keras.Input((5, 3)))
    with pytest.raises(ValueError, match="zero or negative"):
        DepthwiseConv2D(5)(keras.Input((3, 3, 2)))
    with pytest.raises(AttributeError, match="build"):
        DepthwiseConv2D(3).kernel
    layer = DepthwiseConv2D(3)
    layer.build((None, 5, 5, 2))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
        layer(keras.Input((5, 5, 3)))
