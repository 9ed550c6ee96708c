"""ResNet v1 (He et al., CVPR 2016) and the builder ResNet v2 shares (``resnet_v2``).

One builder, ``ResNet``, takes the stack of residual blocks as a function; ResNet50/101/152
differ only in how many bottleneck blocks each of the four stages repeats. v1 normalizes after
each convolution; v2 ("pre-activation") before, with one final BatchNormalization (``post_bn``).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from kerasish import layers
from kerasish.applications import common, imagenet_utils
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional

# The weight files Keras publishes, by weights name (ResNeXt's are not in keras.applications).
_PUBLISHED = {"resnet50", "resnet101", "resnet152", "resnet50v2", "resnet101v2", "resnet152v2"}
_EPSILON = 1.001e-5


def ResNet(  # noqa: N802 - Keras' public name
    stack_fn: Callable[[KerasTensor], KerasTensor],
    preact: bool,
    use_bias: bool,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet",
    weights_name: Optional[str] = None,
) -> Functional:
    """The stem (7x7/2 conv, 3x3/2 max pool), ``stack_fn``'s blocks, then the top."""
    img_input = common.checked_input(
        weights, include_top, classes, input_tensor, input_shape, 224, 32
    )
    axis = common.channel_axis()

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)

    x = common.pooled_top(
        x, include_top, pooling, classes, classifier_activation, weights,
        avg_name="avg_pool", max_name="max_pool",
    )
    file_name = None
    if weights_name in _PUBLISHED:
        file_name = common.tf_kernels_file(weights_name, include_top)
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "resnet")


def residual_block_v1(
    x: KerasTensor,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    conv_shortcut: bool = True,
    name: Optional[str] = None,
) -> KerasTensor:
    """Bottleneck 1x1 -> kxk -> 1x1 (4x wider), each normalized, added to the shortcut."""
    axis = common.channel_axis()
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_0_bn")(
            shortcut
        )
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(
    x: KerasTensor, filters: int, blocks: int, stride1: int = 2, name: Optional[str] = None
) -> KerasTensor:
    """One stage: a projection block (stride ``stride1``), then identity blocks."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(
    x: KerasTensor,
    filters: int,
    kernel_size: int = 3,
    stride: int = 1,
    conv_shortcut: bool = False,
    name: Optional[str] = None,
) -> KerasTensor:
    """Pre-activation bottleneck: BN + ReLU first; the stride is on the kxk convolution."""
    axis = common.channel_axis()
    preact = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(
        filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv"
    )(x)
    x = layers.BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(
    x: KerasTensor, filters: int, blocks: int, stride1: int = 2, name: Optional[str] = None
) -> KerasTensor:
    """One v2 stage: a projection block, identity blocks, and the stride on the last block."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stacks(depths: tuple[int, int, int, int]) -> Callable[[KerasTensor], KerasTensor]:
    def stack_fn(x: KerasTensor) -> KerasTensor:
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, depths[3], name="conv5")

    return stack_fn


def _resnet_v1(depths: tuple, weights_name: str, **arguments: Any) -> Functional:
    return ResNet(_v1_stacks(depths), False, True, weights_name=weights_name, **arguments)


@common.standard_arguments("resnet50")
def ResNet50(**arguments: Any) -> Functional:  # noqa: N802
    """ResNet50: stages of 3, 4, 6 and 3 bottleneck blocks. Inputs: ``preprocess_input``."""
    return _resnet_v1((3, 4, 6, 3), "resnet50", **arguments)


@common.standard_arguments("resnet101")
def ResNet101(**arguments: Any) -> Functional:  # noqa: N802
    """ResNet101: stages of 3, 4, 23 and 3 bottleneck blocks."""
    return _resnet_v1((3, 4, 23, 3), "resnet101", **arguments)


@common.standard_arguments("resnet152")
def ResNet152(**arguments: Any) -> Functional:  # noqa: N802
    """ResNet152: stages of 3, 8, 36 and 3 bottleneck blocks."""
    return _resnet_v1((3, 8, 36, 3), "resnet152", **arguments)


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """RGB -> BGR and ImageNet mean subtraction (``imagenet_utils`` mode "caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
