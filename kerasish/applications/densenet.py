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
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x: KerasTensor, growth_rate: int, name: str) -> KerasTensor:
    axis = 3 if backend.image_data_format() == "channels_last" else 1
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
    common.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, backend.image_data_format(), include_top, weights
    )
    img_input = common.image_input(input_tensor, input_shape)
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

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = common.classifier(x, classes, classifier_activation, weights)
    else:
        x = common.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
    file_name = None
    if weights == "imagenet":
        if tuple(blocks) not in _PUBLISHED:
            raise ValueError("weights_path undefined")
        suffix = "" if include_top else "_notop"
        file_name = f"{_PUBLISHED[tuple(blocks)]}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "densenet")


def _densenet(blocks: tuple, name: str, **kwargs: Any) -> Functional:
    return DenseNet(list(blocks), name=name, **kwargs)


def DenseNet121(  # noqa: N802
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet121",
) -> Functional:
    """DenseNet121: 6, 12, 24 and 16 conv blocks. Inputs: ``preprocess_input`` ("torch")."""
    return _densenet(
        (6, 12, 24, 16), name, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def DenseNet169(  # noqa: N802
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet169",
) -> Functional:
    """DenseNet169: 6, 12, 32 and 32 conv blocks."""
    return _densenet(
        (6, 12, 32, 32), name, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def DenseNet201(  # noqa: N802
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet201",
) -> Functional:
    """DenseNet201: 6, 12, 48 and 32 conv blocks."""
    return _densenet(
        (6, 12, 48, 32), name, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale to [0, 1], then normalize by ImageNet's mean and std (mode "torch")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds: Any, top: int = 5) -> list:
    return imagenet_utils.decode_predictions(preds, top=top)
