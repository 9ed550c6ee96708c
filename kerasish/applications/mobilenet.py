"""MobileNet v1 (Howard et al., 2017): depthwise-separable convolutions with ReLU6.

``alpha`` scales every layer's width; ``depth_multiplier`` the depthwise convolutions'
channel multiplier. The ImageNet top is a 1x1 convolution on the pooled features (Keras keeps
the original Conv2D classifier, so its weight files fit).
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

from kerasish import backend, layers
from kerasish.applications import common, imagenet_utils
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional

_SIZES = (128, 160, 192, 224)
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0", 0.25: "2_5"}
# (pointwise filters, strides) of depthwise blocks 1..13.
_BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)


def MobileNet(  # noqa: N802 - Keras' public name
    input_shape: Optional[tuple] = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: Optional[str] = None,
) -> Functional:
    """MobileNet; ImageNet weights exist for alpha 0.25/0.5/0.75/1.0 at 128..224 pixels."""
    common.check_weights_argument(weights, include_top, classes)
    input_shape, rows, cols = sized_input_shape(
        input_shape, input_shape, _SIZES, include_top, weights
    )
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, "
                f"`0.75` or `1.0` only.  Received alpha={alpha}"
            )
        rows = weights_rows(rows, cols, _SIZES)
    img_input = common.image_input(input_tensor, input_shape)

    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(
            x, filters, alpha, depth_multiplier, strides=(stride, stride), block_id=block_id
        )
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = common.pooled(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    file_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{suffix}.h5"
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, "mobilenet")


def sized_input_shape(
    input_shape: Optional[tuple],
    sized: Optional[Sequence],
    sizes: Sequence[int],
    include_top: bool,
    weights: Any,
) -> tuple[tuple, Any, Any]:
    """The input shape by Keras' rules, with its rows and cols. The default size is that of
    ``sized`` (a shape without the batch axis) when it is square and one of the ``sizes`` that
    ImageNet weights exist for, else 224 (also for MobileNetV2)."""
    default_size = 224
    if sized is not None:
        rows, cols = _rows_cols(sized)
        if rows == cols and rows in sizes:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, backend.image_data_format(), include_top, weights
    )
    return (input_shape, *_rows_cols(input_shape))


def weights_rows(rows: Any, cols: Any, sizes: Sequence[int]) -> int:
    """The input size of the ImageNet weights to load: ``rows`` for a square input of one of
    the ``sizes``, else 224, with Keras' warning (also for MobileNetV2)."""
    if rows == cols and rows in sizes:
        return rows
    warnings.warn(
        f"`input_shape` is undefined or non-square, or `rows` is not in {list(sizes)}. "
        "Weights for input shape (224, 224) will be loaded as the default.",
        stacklevel=3,
    )
    return 224


def _rows_cols(shape: Sequence) -> tuple:
    if backend.image_data_format() == "channels_first":
        return shape[1], shape[2]
    return tuple(shape[:2])


def _conv_block(
    inputs: KerasTensor, filters: int, alpha: float, kernel: tuple = (3, 3),
    strides: tuple = (1, 1),
) -> KerasTensor:
    """The stem: a full 3x3 convolution, BatchNormalization, ReLU6."""
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    x = layers.Conv2D(
        int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides,
        name="conv1",
    )(inputs)
    x = layers.BatchNormalization(axis=axis, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(
    inputs: KerasTensor,
    pointwise_conv_filters: int,
    alpha: float,
    depth_multiplier: int = 1,
    strides: tuple = (1, 1),
    block_id: int = 1,
) -> KerasTensor:
    """3x3 depthwise (padded bottom/right when strided) and 1x1 pointwise, each BN + ReLU6."""
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    if strides == (1, 1):
        x = inputs
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(inputs)
    x = layers.DepthwiseConv2D(
        (3, 3),
        padding="same" if strides == (1, 1) else "valid",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(pointwise_conv_filters * alpha), (1, 1), padding="same", use_bias=False,
        strides=(1, 1), name=f"conv_pw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils`` mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
