"""EfficientNetV2 B0-B3, S, M, L (Tan & Le, "EfficientNetV2", ICML 2021).

Early stages use fused MBConv blocks (one full kxk convolution instead of expand + depthwise),
later ones EfficientNet's MBConv with squeeze-and-excitation; every variant has its own block
table (B0-B3 share one and scale it by width and depth coefficients). Input scaling is part of
the model (``include_preprocessing``): the B variants rescale to [0, 1] and normalize with the
ImageNet mean and variance, S/M/L rescale to [-1, 1]. ``preprocess_input`` is the identity.

As in Keras, the block table and the choice of preprocessing are looked up by the model's
``name`` (``"efficientnetv2-b0"``...), so a variant called with another ``name`` raises Keras'
``KeyError``. tf.keras 2 has the same layers and names; its variants take no ``name`` and its
``EfficientNetV2`` calls the argument ``model_name``.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any, Callable, Optional

from kerasish import backend, initializers, layers
from kerasish.applications import common, imagenet_utils, weight_files
from kerasish.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# Keras' md5 hashes of (with the top, without it), by variant suffix.
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio",
         "se_ratio", "strides", "conv_type")


def _stages(*rows: tuple) -> list[dict]:
    """Block arguments from rows of ``_KEYS`` values (conv_type 1: fused MBConv, 0: MBConv)."""
    return [dict(zip(_KEYS, row)) for row in rows]


_B_STAGES = _stages(
    (3, 1, 32, 16, 1, 0, 1, 1),
    (3, 2, 16, 32, 4, 0, 2, 1),
    (3, 2, 32, 48, 4, 0, 2, 1),
    (3, 3, 48, 96, 4, 0.25, 2, 0),
    (3, 5, 96, 112, 6, 0.25, 1, 0),
    (3, 8, 112, 192, 6, 0.25, 2, 0),
)
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages(
        (3, 2, 24, 24, 1, 0.0, 1, 1),
        (3, 4, 24, 48, 4, 0.0, 2, 1),
        (3, 4, 48, 64, 4, 0, 2, 1),
        (3, 6, 64, 128, 4, 0.25, 2, 0),
        (3, 9, 128, 160, 6, 0.25, 1, 0),
        (3, 15, 160, 256, 6, 0.25, 2, 0),
    ),
    "efficientnetv2-m": _stages(
        (3, 3, 24, 24, 1, 0, 1, 1),
        (3, 5, 24, 48, 4, 0, 2, 1),
        (3, 5, 48, 80, 4, 0, 2, 1),
        (3, 7, 80, 160, 4, 0.25, 2, 0),
        (3, 14, 160, 176, 6, 0.25, 1, 0),
        (3, 18, 176, 304, 6, 0.25, 2, 0),
        (3, 5, 304, 512, 6, 0.25, 1, 0),
    ),
    "efficientnetv2-l": _stages(
        (3, 4, 32, 32, 1, 0, 1, 1),
        (3, 7, 32, 64, 4, 0, 2, 1),
        (3, 7, 64, 96, 4, 0, 2, 1),
        (3, 10, 96, 192, 4, 0.25, 2, 0),
        (3, 19, 192, 224, 6, 0.25, 1, 0),
        (3, 25, 224, 384, 6, 0.25, 2, 0),
        (3, 7, 384, 640, 6, 0.25, 1, 0),
    ),
    **{f"efficientnetv2-b{i}": _B_STAGES for i in range(4)},
}


def round_filters(filters: float, width_coefficient: float, min_depth: int, depth_divisor: int) -> int:
    """Filters scaled by the width coefficient, rounded to the nearest multiple of the divisor
    (unlike EfficientNet v1, rounding down by more than 10% is allowed)."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    return int(max(minimum_depth, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats: int, depth_coefficient: float) -> int:
    return int(math.ceil(depth_coefficient * repeats))


def _bn(x: KerasTensor, axis: int, momentum: float, name: str) -> KerasTensor:
    return layers.BatchNormalization(axis=axis, momentum=momentum, name=name)(x)


def _conv(x: KerasTensor, filters: int, kernel_size: int, name: str, strides: int = 1) -> KerasTensor:
    return layers.Conv2D(
        filters, kernel_size=kernel_size, strides=strides, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=name,
    )(x)


def _squeeze_excite(x: KerasTensor, filters: int, input_filters: int, se_ratio: float,
                    activation: Any, axis: int, name: str) -> KerasTensor:
    filters_se = max(1, int(input_filters * se_ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((filters, 1, 1) if axis == 1 else (1, 1, filters),
                        name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x: KerasTensor, inputs: KerasTensor, survival_probability: float, name: str) -> KerasTensor:
    # Keras passes the block's drop rate as "survival_probability": it is the Dropout rate.
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(  # noqa: N802 - Keras' public name
    input_filters: int,
    output_filters: int,
    expand_ratio: int = 1,
    kernel_size: int = 3,
    strides: int = 1,
    se_ratio: float = 0.0,
    bn_momentum: float = 0.9,
    activation: Any = "swish",
    survival_probability: float = 0.8,
    name: Optional[str] = None,
) -> Callable[[KerasTensor], KerasTensor]:
    """Expand (1x1), depthwise kxk, squeeze-and-excite, project (1x1), maybe add the input."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    if name is None:
        name = backend.get_uid("block0")

    def apply(inputs: KerasTensor) -> KerasTensor:
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(x, filters, 1, f"{name}expand_conv")
            x = _bn(x, axis, bn_momentum, f"{name}expand_bn")
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(
            kernel_size=kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
            padding="same", use_bias=False, name=f"{name}dwconv2",
        )(x)
        x = _bn(x, axis, bn_momentum, f"{name}bn")
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, axis, name)
        x = _conv(x, output_filters, 1, f"{name}project_conv")
        x = _bn(x, axis, bn_momentum, f"{name}project_bn")
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def FusedMBConvBlock(  # noqa: N802 - Keras' public name
    input_filters: int,
    output_filters: int,
    expand_ratio: int = 1,
    kernel_size: int = 3,
    strides: int = 1,
    se_ratio: float = 0.0,
    bn_momentum: float = 0.9,
    activation: Any = "swish",
    survival_probability: float = 0.8,
    name: Optional[str] = None,
) -> Callable[[KerasTensor], KerasTensor]:
    """A full kxk expansion convolution in place of expand + depthwise; without expansion the
    projection itself is the kxk convolution (then followed by the activation)."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    if name is None:
        name = backend.get_uid("block0")

    def apply(inputs: KerasTensor) -> KerasTensor:
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(x, filters, kernel_size, f"{name}expand_conv", strides=strides)
            x = _bn(x, axis, bn_momentum, f"{name}expand_bn")
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, axis, name)
        fused = expand_ratio == 1
        x = _conv(x, output_filters, kernel_size if fused else 1, f"{name}project_conv",
                  strides=strides if fused else 1)
        x = _bn(x, axis, bn_momentum, f"{name}project_bn")
        if fused:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def EfficientNetV2(  # noqa: N802 - Keras' public name
    width_coefficient: float,
    depth_coefficient: float,
    default_size: int,
    dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2,
    depth_divisor: int = 8,
    min_depth: int = 8,
    bn_momentum: float = 0.9,
    activation: Any = "swish",
    blocks_args: Any = "default",
    name: str = "efficientnetv2",
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    weights_name: Optional[str] = None,
) -> Functional:
    """The scaled network: preprocessing, stem, the scaled stages, a 1x1 top conv, the top."""
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    if not (weights in {"imagenet", None} or os.path.exists(str(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            'If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000'
        )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, backend.image_data_format(), include_top, weights
    )
    img_input = common.image_input(input_tensor, input_shape)
    axis = 3 if backend.image_data_format() == "channels_last" else 1

    x = img_input
    if include_preprocessing:
        num_channels = input_shape[axis - 1]
        if name.split("-")[-1].startswith("b") and num_channels == 3:
            # The B variants keep EfficientNet v1's ImageNet normalization.
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(
                mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], axis=axis
            )(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def scaled(filters: float) -> int:
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = _conv(x, scaled(blocks_args[0]["input_filters"]), 3, "stem_conv", strides=2)
    x = _bn(x, axis, bn_momentum, "stem_bn")
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNetV2` must be > 0. "
                f"Received: num_repeat={args['num_repeat']}"
            )
        args["input_filters"] = scaled(args["input_filters"])
        args["output_filters"] = scaled(args["output_filters"])
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:  # only a stage's first block changes stride and width
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(
                activation=activation, bn_momentum=bn_momentum,
                survival_probability=drop_connect_rate * b / blocks,
                name=f"block{i + 1}{chr(j + 97)}_", **args,
            )(x)
            b += 1

    x = _conv(x, scaled(1280), 1, "top_conv")
    x = _bn(x, axis, bn_momentum, "top_bn")
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = common.classifier(
            x, classes, classifier_activation, weights,
            kernel_initializer=DENSE_KERNEL_INITIALIZER, bias_initializer=initializers.Constant(0.0),
        )
    else:
        x = common.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = common.make_model(img_input, input_tensor, x, name, weights, None, "efficientnet_v2")
    if weights == "imagenet":
        top_hash, notop_hash = WEIGHTS_HASHES[weights_name]
        file_name = name + (".h5" if include_top else "_notop.h5")
        weight_files.download_and_load(
            model, file_name, BASE_WEIGHTS_PATH + file_name, top_hash if include_top else notop_hash
        )
    return model


def _variant(width: float, depth: float, size: int, weights_name: str, public_name: str) -> Any:
    def application(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Optional[tuple] = None,
        pooling: Optional[str] = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        include_preprocessing: bool = True,
        name: str = f"efficientnetv2-{weights_name.lstrip('-')}",
    ) -> Functional:
        return EfficientNetV2(
            width_coefficient=width, depth_coefficient=depth, default_size=size, name=name,
            include_top=include_top, weights=weights, input_tensor=input_tensor,
            input_shape=input_shape, pooling=pooling, classes=classes,
            classifier_activation=classifier_activation,
            include_preprocessing=include_preprocessing, weights_name=weights_name,
        )

    application.__name__ = application.__qualname__ = public_name
    application.__doc__ = (
        f"{public_name}: width x{width}, depth x{depth}, {size}x{size} inputs in [0, 255] "
        "(the model rescales them itself with ``include_preprocessing``)."
    )
    return application


EfficientNetV2B0 = _variant(1.0, 1.0, 224, "b0", "EfficientNetV2B0")
EfficientNetV2B1 = _variant(1.0, 1.1, 240, "b1", "EfficientNetV2B1")
EfficientNetV2B2 = _variant(1.1, 1.2, 260, "b2", "EfficientNetV2B2")
EfficientNetV2B3 = _variant(1.2, 1.4, 300, "b3", "EfficientNetV2B3")
EfficientNetV2S = _variant(1.0, 1.0, 384, "-s", "EfficientNetV2S")
EfficientNetV2M = _variant(1.0, 1.0, 480, "-m", "EfficientNetV2M")
EfficientNetV2L = _variant(1.0, 1.0, 480, "-l", "EfficientNetV2L")


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """The identity: EfficientNetV2 models rescale and normalize their inputs themselves."""
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    return imagenet_utils.decode_predictions(preds, top=top)
