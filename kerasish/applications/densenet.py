"""DenseNet (Huang et al., CVPR 2017): each layer's output is concatenated onto its input.

Four dense blocks of BN-ReLU-1x1-BN-ReLU-3x3 ``conv_block``s (32 new channels each), joined by
transition blocks that halve the channels and the resolution. DenseNet121/169/201 differ in the
blocks per stage.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from kerasish import backend, layers
from kerasish.applications import common, imagenet_utils
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional

_EPSILON = 1.001e-5
_PUBLISHED = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
              (6, 12, 48, 32): "densenet201"}


def dense_block(x: KerasTensor, blocks: int, name: str) -> KerasTensor:
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x: KerasTensor, reduction: float, name: str) -> KerasTensor:
    axis = common.channel_axis()
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x: KerasTensor, growth_rate: int, name: str) -> KerasTensor:
    axis = common.channel_axis()
    x1 = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(
        growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv"
    )(x1)
    return layers.Concatenate(axis=axis, name=f"{name}_concat")([x, x1])


def DenseNet(  # noqa: N802 - Keras' public name
    blocks: Sequence[int],
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet",
) -> Functional:
    """A DenseNet with ``blocks`` conv blocks in its four dense blocks (channels_last only)."""
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet does not support the `channels_first` image data format. Switch to "
            "`channels_last` with `keras.config.set_image_data_format('channels_last')`."
        )
    img_input = common.checked_input(
        weights, include_top, classes, input_tensor, input_shape, 224, 32
    )
    axis = 3

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{stage + 2}")
        if stage < 3:
            x = transition_block(x, 0.5, name=f"pool{stage + 2}")
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    x = common.pooled_top(
        x, include_top, pooling, classes, classifier_activation, weights,
        avg_name="avg_pool", max_name="max_pool",
    )
    file_name = None
    if weights == "imagenet":
        if tuple(blocks) not in _PUBLISHED:
            raise ValueError("weights_path undefined")
        file_name = common.tf_kernels_file(_PUBLISHED[tuple(blocks)], include_top)
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "densenet")


@common.standard_arguments("densenet121")
def DenseNet121(**arguments: Any) -> Functional:  # noqa: N802
    """DenseNet121: 6, 12, 24 and 16 conv blocks. Inputs: ``preprocess_input`` ("torch")."""
    return DenseNet([6, 12, 24, 16], **arguments)


@common.standard_arguments("densenet169")
def DenseNet169(**arguments: Any) -> Functional:  # noqa: N802
    """DenseNet169: 6, 12, 32 and 32 conv blocks."""
    return DenseNet([6, 12, 32, 32], **arguments)


@common.standard_arguments("densenet201")
def DenseNet201(**arguments: Any) -> Functional:  # noqa: N802
    """DenseNet201: 6, 12, 48 and 32 conv blocks."""
    return DenseNet([6, 12, 48, 32], **arguments)


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale to [0, 1], then normalize by ImageNet's mean and std (mode "torch")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


decode_predictions = imagenet_utils.decode_predictions
