import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import (
    Conv1D,
    Conv2D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution2D,
)


@pytest.mark.parametrize("depth_multiplier", [1, 2])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("strides, padding", [(1, "valid"), (2, "same")])
def test_is_depthwise_then_pointwise(rng, depth_multiplier, data_format, strides, padding):
    shape = (2, 3, 7, 6) if data_format == "channels_first" else (2, 7, 6, 3)
    x = torch.from_numpy(rng.standard_normal(shape).astype("float32"))
    common = dict(strides=strides, padding=padding, data_format=data_format)
    layer = SeparableConv2D(5, 3, depth_multiplier=depth_multiplier, activation="relu", **common)
    out = layer(x)
    depthwise_kernel, pointwise_kernel, bias = (
        rng.standard_normal(w.shape).astype("float32") for w in layer.weights
    )
    layer.set_weights([depthwise_kernel, pointwise_kernel, bias])
    depthwise = DepthwiseConv2D(3, depth_multiplier=depth_multiplier, use_bias=False, **common)
    depthwise(x)
    depthwise.set_weights([depthwise_kernel])
    pointwise = Conv2D(5, 1, data_format=data_format, activation="relu")
    hidden = depthwise(x)
    pointwise(hidden)
    pointwise.set_weights([pointwise_kernel, bias])
    out = layer(x)
    torch.testing.assert_close(out, pointwise(hidden), atol=1e-5, rtol=0)
    assert tuple(out.shape) == layer.compute_output_shape(tuple(x.shape))


def test_conv1d_variant_and_weights(rng):
    layer = SeparableConv1D(4, 3, depth_multiplier=2, padding="same", use_bias=False)
    x = torch.from_numpy(rng.standard_normal((2, 8, 3)).astype("float32"))
    out = layer(x)
    assert [w.shape for w in layer.weights] == [(3, 3, 2), (1, 6, 4)]
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel"]
    assert sorted(layer.state_dict()) == ["depthwise_weight", "pointwise_weight"]
    assert tuple(layer.pointwise_weight.shape) == (4, 6, 1)
    depthwise = DepthwiseConv1D(3, depth_multiplier=2, padding="same", use_bias=False)
    depthwise(x)
    depthwise.set_weights([layer.get_weights()[0]])
    pointwise = Conv1D(4, 1, use_bias=False)
    pointwise(depthwise(x))
    pointwise.set_weights([layer.get_weights()[1]])
    torch.testing.assert_close(out, pointwise(depthwise(x)), atol=1e-5, rtol=0)
    assert layer.count_params() == 3 * 3 * 2 + 6 * 4


def test_config_round_trip_reads_tf_keras_keys():
    layer = SeparableConv2D(8, 3, strides=2, padding="same", depth_multiplier=2,
                            pointwise_regularizer="l2", name="sep")
    config = layer.get_config()
    for key in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
        assert key not in config  # Keras 3 refuses them
    assert SeparableConv2D.from_config(config).get_config() == config
    tf_keras = {**config, "groups": 1, "kernel_initializer": {"class_name": "GlorotUniform",
                "config": {"seed": None}}, "kernel_regularizer": None, "kernel_constraint": None}
    assert SeparableConv2D.from_config(tf_keras).get_config() == config
    with pytest.raises(NotImplementedError, match="groups=2"):
        SeparableConv2D.from_config({**config, "groups": 2})
    assert SeparableConvolution2D is SeparableConv2D


def test_errors():
    with pytest.raises(ValueError, match="filters"):
        SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match="depth_multiplier"):
        SeparableConv2D(4, 3, depth_multiplier=-1)
    with pytest.raises(ValueError, match="min_ndim=4"):
        SeparableConv2D(4, 3)(keras.Input((5, 3)))
    with pytest.raises(AttributeError, match="pointwise_kernel"):
        SeparableConv2D(4, 3).pointwise_kernel
    assert SeparableConv2D(4, 3)(keras.Input((None, None, 3))).shape == (None, None, None, 4)
    assert np.prod(SeparableConv2D(4, 3, padding="same")(keras.Input((5, 5, 3))).shape[1:]) == 100
