"""Inception v3 (Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016).

Every convolution is Conv2D (no bias) + BatchNormalization (no scale) + ReLU, auto-named as in
Keras (``conv2d_N``, ``batch_normalization_N``, ``activation_N``), so Keras' weight files load
by position.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish import layers
from kerasish.applications import common, imagenet_utils
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional


def InceptionV3(  # noqa: N802 - Keras' public name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_v3",
) -> Functional:
    """Inception v3; inputs at least 75x75 (299x299 with the ImageNet top), scaled to [-1, 1]."""
    img_input = common.checked_input(
        weights, include_top, classes, input_tensor, input_shape, 299, 75
    )
    axis = common.channel_axis()

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # 35x35: mixed0 (256 channels), mixed1 and mixed2 (288).
    for index, pool_filters in enumerate((32, 64, 64)):
        x = _block_35(x, pool_filters, axis, f"mixed{index}")
    # Down to 17x17: mixed3 (768).
    x = _reduction_a(x, axis)
    # 17x17: mixed4..mixed7, factorized 7x7 convolutions of growing width.
    for index, width in ((4, 128), (5, 160), (6, 160), (7, 192)):
        x = _block_17(x, width, axis, f"mixed{index}")
    # Down to 8x8: mixed8 (1280).
    x = _reduction_b(x, axis)
    # 8x8: mixed9 and mixed10 (2048), expanded filter banks.
    for i in range(2):
        x = _block_8(x, axis, i)

    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation, weights)
    file_name = common.tf_kernels_file("inception_v3", include_top)
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "inception_v3")


def conv2d_bn(
    x: KerasTensor,
    filters: int,
    num_row: int,
    num_col: int,
    padding: str = "same",
    strides: tuple = (1, 1),
    name: Optional[str] = None,
) -> KerasTensor:
    """Conv2D (no bias) -> BatchNormalization (no scale) -> ReLU."""
    x = layers.Conv2D(
        filters,
        (num_row, num_col),
        strides=strides,
        padding=padding,
        use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(
        axis=common.channel_axis(), scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return layers.Activation("relu", name=name)(x)


def _average_branch(x: KerasTensor, filters: int) -> KerasTensor:
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def _block_35(x: KerasTensor, pool_filters: int, axis: int, name: str) -> KerasTensor:
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch_pool = _average_branch(x, pool_filters)
    return layers.concatenate(
        [branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=axis, name=name
    )


def _reduction_a(x: KerasTensor, axis: int) -> KerasTensor:
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=axis, name="mixed3")


def _block_17(x: KerasTensor, width: int, axis: int, name: str) -> KerasTensor:
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(x, width, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7)
    branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate(
        [branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=axis, name=name
    )


def _reduction_b(x: KerasTensor, axis: int) -> KerasTensor:
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=axis, name="mixed8")


def _block_8(x: KerasTensor, axis: int, i: int) -> KerasTensor:
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate(
        [conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)],
        axis=axis,
        name=f"mixed9_{i}",
    )
    branch3x3dbl = conv2d_bn(x, 448, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
    branch3x3dbl = layers.concatenate(
        [conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)], axis=axis
    )
    branch_pool = _average_branch(x, 192)
    return layers.concatenate(
        [branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=axis, name=f"mixed{9 + i}"
    )


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils`` mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
