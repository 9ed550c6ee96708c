"""Xception (Chollet, CVPR 2017): depthwise-separable convolutions with residual connections.

Entry flow (blocks 1-4, each halving the resolution with a strided 1x1 projection shortcut),
middle flow (blocks 5-12, identity shortcuts at 728 channels), exit flow (blocks 13-14). The
shortcut projections are unnamed (``conv2d_N`` / ``batch_normalization_N``), as in Keras.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish import backend, layers
from kerasish.applications import common, imagenet_utils
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional


def Xception(  # noqa: N802 - Keras' public name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "xception",
) -> Functional:
    """Xception; inputs at least 71x71 (299x299 with the top), scaled to [-1, 1]."""
    img_input = common.checked_input(
        weights, include_top, classes, input_tensor, input_shape, 299, 71
    )
    axis = 1 if backend.image_data_format() == "channels_first" else -1

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # Entry flow: block 2 starts without the leading ReLU (block 1 ended with one).
    x = _entry_block(x, 128, 128, 2, axis, leading_relu=False)
    x = _entry_block(x, 256, 256, 3, axis)
    x = _entry_block(x, 728, 728, 4, axis)
    for i in range(8):
        residual = x
        prefix = f"block{i + 5}"
        for conv in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{conv}_act")(x)
            x = _sepconv_bn(x, 728, f"{prefix}_sepconv{conv}", axis)
        x = layers.add([x, residual])
    x = _entry_block(x, 728, 1024, 13, axis)

    x = _sepconv_bn(x, 1536, "block14_sepconv1", axis)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv_bn(x, 2048, "block14_sepconv2", axis)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    x = common.pooled_top(x, include_top, pooling, classes, classifier_activation, weights)
    file_name = common.tf_kernels_file("xception", include_top)
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "xception")


def _sepconv_bn(x: KerasTensor, filters: int, name: str, axis: int) -> KerasTensor:
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _entry_block(
    x: KerasTensor, filters1: int, filters2: int, block: int, axis: int, leading_relu: bool = True
) -> KerasTensor:
    """Two separable convs and a strided max pool, plus a strided 1x1 projection shortcut."""
    residual = layers.Conv2D(
        filters2, (1, 1), strides=(2, 2), padding="same", use_bias=False
    )(x)
    residual = layers.BatchNormalization(axis=axis)(residual)
    if leading_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sepconv_bn(x, filters1, f"block{block}_sepconv1", axis)
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sepconv_bn(x, filters2, f"block{block}_sepconv2", axis)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils`` mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
