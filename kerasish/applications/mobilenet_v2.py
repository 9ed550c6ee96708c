"""MobileNet v2 (Sandler et al., CVPR 2018): inverted residual blocks with linear bottlenecks.

Each block expands with a 1x1 convolution (except block 0), filters with a 3x3 depthwise one
and projects back with a linear 1x1; blocks that keep shape and stride add their input.
``alpha`` scales widths, rounded to multiples of 8.
"""

from __future__ import annotations

from typing import Any, Optional

from kerasish import backend, layers
from kerasish.applications import common, imagenet_utils, mobilenet
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional

_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of inverted residual blocks 0..16.
_BLOCKS = (
    (16, 1, 1),
    (24, 2, 6), (24, 1, 6),
    (32, 2, 6), (32, 1, 6), (32, 1, 6),
    (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
    (96, 1, 6), (96, 1, 6), (96, 1, 6),
    (160, 2, 6), (160, 1, 6), (160, 1, 6),
    (320, 1, 6),
)


def MobileNetV2(  # noqa: N802 - Keras' public name
    input_shape: Optional[tuple] = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: Optional[str] = None,
) -> Functional:
    """MobileNetV2; ImageNet weights for alpha in 0.35..1.4 at 96..224 pixels."""
    common.check_weights_argument(weights, include_top, classes)
    channels_first = backend.image_data_format() == "channels_first"
    if input_tensor is not None:
        if not isinstance(input_tensor, KerasTensor):
            raise ValueError(f"input_tensor is not a Keras tensor; Received `input_tensor={input_tensor}`")
        if input_shape is not None:
            width_axis = 1 if channels_first else 2
            if input_tensor.shape[width_axis] != input_shape[1]:
                raise ValueError(
                    f"input_tensor.shape[{width_axis}] must equal input_shape[1]; Received "
                    f"`input_tensor.shape={input_tensor.shape}`, `input_shape={input_shape}`"
                )
    sized = input_shape if input_shape is not None else (
        tuple(input_tensor.shape)[1:] if input_tensor is not None else None
    )
    input_shape, rows, cols = mobilenet.sized_input_shape(
        input_shape, sized, _SIZES, include_top, weights
    )
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        rows = mobilenet.weights_rows(rows, cols, _SIZES)
    img_input = common.image_input(input_tensor, input_shape)
    axis = 1 if channels_first else -1

    x = layers.Conv2D(
        _make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
        use_bias=False, name="Conv1",
    )(img_input)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = common.classifier(x, classes, classifier_activation, weights)
    else:
        x = common.pooled(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    file_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "mobilenet_v2")


def _inverted_res_block(
    inputs: KerasTensor, expansion: int, stride: int, alpha: float, filters: int, block_id: int
) -> KerasTensor:
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    in_channels = inputs.shape[axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
            activation=None, name=f"{prefix}expand",
        )(x)
        x = layers.BatchNormalization(
            axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_BN"
        )(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad"
        )(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3, strides=stride, activation=None, use_bias=False,
        padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise",
    )(x)
    x = layers.BatchNormalization(
        axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_BN"
    )(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None,
        name=f"{prefix}project",
    )(x)
    x = layers.BatchNormalization(
        axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_BN"
    )(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils`` mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
