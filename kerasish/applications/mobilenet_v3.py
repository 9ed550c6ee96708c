"""MobileNet v3 Small and Large (Howard et al., "Searching for MobileNetV3", ICCV 2019).

MobileNetV2's inverted residual blocks with searched kernel sizes, expansions and activations
(ReLU early, hard-swish later), squeeze-and-excite gated by a hard sigmoid, and a lighter head
(pool first, then a 1x1 convolution). ``minimalistic`` drops squeeze-and-excite, hard-swish and
5x5 kernels. Input scaling is part of the model (``include_preprocessing``), so
``preprocess_input`` is the identity, as in Keras.

The hard sigmoid is Keras' ``ReLU(6.0)(x + 3.0) * (1.0 / 6.0)``: the addition and the
multiplication are tensor operations, which Keras 3 keeps out of ``model.layers`` and kerasish
records as op layers (``tf.__operators__.add``, ``tf.math.multiply``, as tf.keras 2 did). They
have no weights, so weight files, ``set_weights`` and every other layer line up with Keras'.

tf.keras 2 built the same network under other names (``Conv``, ``Conv/BatchNorm``,
``expanded_conv/depthwise``..., the model ``MobilenetV3small``) with hard-swish as
``Multiply([x, hard_sigmoid(x)])`` layers; kerasish follows Keras 3 only. The published ImageNet
files load into either, since they are matched by the order of the layers that have weights.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Optional

from kerasish import backend, layers
from kerasish.applications import common, imagenet_utils, weight_files
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# Keras' md5 hashes of (with the top, without it), by "<type>[_minimalistic]_224_<alpha>_float".
WEIGHTS_HASHES = {
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": (
        "59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": (
        "8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}

ActivationFn = Callable[[KerasTensor], KerasTensor]
# One inverted residual block: (expansion, filters, kernel ("k": the variant's kernel),
# stride, squeeze-and-excite?, activation ("relu", or "act": the variant's activation)).
_SMALL = (
    (1, 16, 3, 2, True, "relu"),
    (72.0 / 16, 24, 3, 2, False, "relu"),
    (88.0 / 24, 24, 3, 1, False, "relu"),
    (4, 40, "k", 2, True, "act"),
    (6, 40, "k", 1, True, "act"),
    (6, 40, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"),
    (6, 96, "k", 2, True, "act"),
    (6, 96, "k", 1, True, "act"),
    (6, 96, "k", 1, True, "act"),
)
_LARGE = (
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, "k", 2, True, "relu"),
    (3, 40, "k", 1, True, "relu"),
    (3, 40, "k", 1, True, "relu"),
    (6, 80, 3, 2, False, "act"),
    (2.5, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"),
    (6, 112, 3, 1, True, "act"),
    (6, 112, 3, 1, True, "act"),
    (6, 160, "k", 2, True, "act"),
    (6, 160, "k", 1, True, "act"),
    (6, 160, "k", 1, True, "act"),
)


def MobileNetV3(  # noqa: N802 - Keras' public name
    stack: tuple,
    last_point_ch: int,
    input_shape: Optional[tuple] = None,
    alpha: float = 1.0,
    model_type: str = "large",
    minimalistic: bool = False,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: Optional[str] = None,
    dropout_rate: float = 0.2,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: Optional[str] = None,
) -> Functional:
    """The network from a block table (``_SMALL``/``_LARGE``) and the head width."""
    if not (weights in {"imagenet", None} or os.path.exists(str(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            'If using `weights="imagenet"` with `include_top` as true, `classes` should be '
            f"1000.  Received classes={classes}"
        )
    input_shape = _input_shape(input_shape, input_tensor)
    rows, cols = input_shape[:2] if backend.image_data_format() == "channels_last" else input_shape[1:]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                "non minimalistic or `1.0` for minimalistic only."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                "input shape (224, 224) will be loaded as the default.",
                stacklevel=3,
            )
    img_input = layers.Input(shape=input_shape) if input_tensor is None else input_tensor
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    if minimalistic:
        kernel, activation, se_ratio = 3, _relu, None
    else:
        kernel, activation, se_ratio = 5, _hard_swish, 0.25

    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = _batch_norm(x, axis, "conv_bn")
    x = activation(x)
    for block_id, (expansion, filters, size, stride, se, act) in enumerate(stack):
        x = _inverted_res_block(
            x, expansion, _depth(filters * alpha), kernel if size == "k" else size, stride,
            se_ratio if se else None, activation if act == "act" else _relu, block_id,
        )
    last_conv_ch = _depth(x.shape[axis] * 6)
    if alpha > 1.0:  # wider networks widen the head too
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = _batch_norm(x, axis, "conv_1_bn")
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = common.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = common.make_model(img_input, input_tensor, x, name, weights, None, "mobilenet_v3")
    if weights == "imagenet":
        model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        top_hash, notop_hash = WEIGHTS_HASHES[model_name]
        if include_top:
            file_name, file_hash = f"weights_mobilenet_v3_{model_name}.h5", top_hash
        else:
            file_name, file_hash = f"weights_mobilenet_v3_{model_name}_no_top_v2.h5", notop_hash
        weight_files.download_and_load(model, file_name, BASE_WEIGHT_PATH + file_name, file_hash)
    return model


def _input_shape(input_shape: Optional[tuple], input_tensor: Any) -> tuple:
    """Keras' rules: ``input_shape`` must agree with ``input_tensor``'s width; without it the
    tensor's rows and columns are used (swapped, as Keras does), else ``(None, None, 3)``."""
    channels_first = backend.image_data_format() == "channels_first"
    if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "Argument `input_tensor` must be a KerasTensor (for example the output of "
            f"`keras.Input()`). Received invalid type: {type(input_tensor)}"
        )
    if input_shape is not None and input_tensor is not None:
        if channels_first and input_tensor.shape[1] != input_shape[1]:
            raise ValueError(
                "When backend.image_data_format()=channels_first, input_shape[1] must equal "
                f"input_tensor.shape[1].  Received input_shape={input_shape}, "
                f"input_tensor.shape={input_tensor.shape}"
            )
        if not channels_first and input_tensor.shape[2] != input_shape[1]:
            raise ValueError(
                "input_shape[1] must equal input_tensor.shape[2].  Received "
                f"input_shape={input_shape}, input_tensor.shape={input_tensor.shape}"
            )
    if input_shape is None and input_tensor is not None:
        if channels_first:
            rows, cols = input_tensor.shape[2], input_tensor.shape[3]
            return (3, cols, rows)
        rows, cols = input_tensor.shape[1], input_tensor.shape[2]
        return (cols, rows, 3)
    if input_shape is None:
        return (3, None, None) if channels_first else (None, None, 3)
    return tuple(input_shape)


def _variant(stack: tuple, last_point_ch: int, model_type: str, default_name: str) -> Callable[..., Functional]:
    def application(
        input_shape: Optional[tuple] = None,
        alpha: float = 1.0,
        minimalistic: bool = False,
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        classes: int = 1000,
        pooling: Optional[str] = None,
        dropout_rate: float = 0.2,
        classifier_activation: Any = "softmax",
        include_preprocessing: bool = True,
        name: str = default_name,
    ) -> Functional:
        return MobileNetV3(
            stack, last_point_ch, input_shape, alpha, model_type, minimalistic, include_top,
            weights, input_tensor, classes, pooling, dropout_rate, classifier_activation,
            include_preprocessing, name=name,
        )

    application.__name__ = application.__qualname__ = default_name
    application.__doc__ = (
        f"{default_name}; inputs in [0, 255] with ``include_preprocessing`` (the default), "
        "else in [-1, 1]. ImageNet weights for alpha 0.75 or 1.0 (1.0 when minimalistic)."
    )
    return application


MobileNetV3Small = _variant(_SMALL, 1024, "small", "MobileNetV3Small")
MobileNetV3Large = _variant(_LARGE, 1280, "large", "MobileNetV3Large")


def _batch_norm(x: KerasTensor, axis: int, name: str) -> KerasTensor:
    return layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=name)(x)


def _relu(x: KerasTensor) -> KerasTensor:
    return layers.ReLU()(x)


def _hard_sigmoid(x: KerasTensor) -> KerasTensor:
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x: KerasTensor) -> KerasTensor:
    return layers.Activation("hard_swish")(x)


def _depth(v: float, divisor: int = 8, min_value: Optional[int] = None) -> int:
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _se_block(inputs: KerasTensor, filters: int, se_ratio: float, prefix: str) -> KerasTensor:
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(
    x: KerasTensor,
    expansion: float,
    filters: int,
    kernel_size: int,
    stride: int,
    se_ratio: Optional[float],
    activation: ActivationFn,
    block_id: int,
) -> KerasTensor:
    axis = 1 if backend.image_data_format() == "channels_first" else -1
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[axis]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(x, axis, f"{prefix}expand_bn")
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = _batch_norm(x, axis, f"{prefix}depthwise_bn")
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _batch_norm(x, axis, f"{prefix}project_bn")
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """The identity: MobileNetV3 models rescale their inputs themselves."""
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    return imagenet_utils.decode_predictions(preds, top=top)
