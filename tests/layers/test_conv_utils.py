"""The argument checks, config writer and constructors the convolution and pooling layers share."""

from __future__ import annotations

import inspect

import pytest

from kerasish import layers
from kerasish.layers import conv_utils
from kerasish.layers.kernel_config import kernel_bias_config
from kerasish.legacy.interfaces import Keras2APIWarning


@pytest.mark.parametrize("value", [0, -1, True, 2.0, None])
def test_check_positive_refuses_what_keras_refuses(value):
    with pytest.raises(ValueError, match=rf"Received depth_multiplier={value}\.$"):
        conv_utils.check_positive("depth_multiplier", value)
    conv_utils.check_positive("depth_multiplier", 3)


def test_groups_other_than_one_are_refused_by_name():
    conv_utils.check_groups_is_one("Conv2DTranspose", 1)
    with pytest.raises(NotImplementedError, match=r"^SeparableConv1D\(groups=2\) is not"):
        conv_utils.check_groups_is_one("SeparableConv1D", 2)


def test_strided_dilated_convolutions_are_refused_but_either_alone_is_fine():
    conv_utils.check_strides_dilation((2, 1), (1, 1))
    conv_utils.check_strides_dilation((1, 1), (1, 3))
    with pytest.raises(ValueError, match=r"strides=\(2, 1\) and dilation_rate=\(1, 3\)"):
        conv_utils.check_strides_dilation((2, 1), (1, 3))


def test_depthwise_config_keys_follow_the_kernel_layers_order():
    dense_keys = list(kernel_bias_config(layers.Dense(2)))
    depthwise_keys = list(kernel_bias_config(layers.DepthwiseConv2D(3), "depthwise"))
    assert depthwise_keys == [key.replace("kernel_", "depthwise_") for key in dense_keys]


@pytest.mark.parametrize(
    "cls", [layers.MaxPooling2D, layers.AveragePooling2D, layers.MaxPooling3D,
            layers.AveragePooling3D, layers.GlobalMaxPooling2D, layers.GlobalAveragePooling3D],
)
def test_layers_sharing_a_constructor_each_keep_their_keras1_spellings(cls):
    with pytest.warns(Keras2APIWarning, match=rf"Update your `{cls.__name__}` call"):
        layer = cls(dim_ordering="th")
    assert layer.data_format == "channels_first"
    assert type(layer).__name__ == cls.__name__


def test_max_and_average_pooling_of_one_rank_differ_only_in_mode():
    assert inspect.signature(layers.MaxPooling1D) == inspect.signature(layers.AveragePooling1D)
    assert layers.MaxPooling1D().pool_mode == "max"
    assert layers.AveragePooling1D().pool_mode == "average"
    with pytest.warns(Keras2APIWarning):
        pool = layers.AveragePooling1D(pool_length=3, stride=1, border_mode="same")
    assert (pool.pool_size, pool.strides, pool.padding, pool.pool_mode) == (
        (3,), (1,), "same", "average"
    )
