"""ConvNeXt Tiny/Small/Base/Large/XLarge (Liu et al., "A ConvNet for the 2020s", CVPR 2022).

A patchify stem (4x4 stride-4 convolution + LayerNormalization) and three downsampling steps,
all nested ``Sequential`` models as in Keras; between them, blocks of a 7x7 depthwise
convolution, LayerNormalization, an inverted MLP (``Dense`` on the channel axis, GELU), a
learned per-channel ``LayerScale`` and, when ``drop_path_rate`` is set, ``StochasticDepth``
(else an identity ``Activation("linear")``), added to the block's input. The two layers are
Keras' own ``keras.src.applications.convnext`` classes, saved under that module so Keras 3
loads kerasish's ``.keras`` files and the other way round.

Input normalization is part of the model (``include_preprocessing``), so ``preprocess_input`` is
the identity, as in Keras. Each block's ``inputs + x`` is a tensor operation: an operation
outside ``model.layers`` in Keras 3, an op layer (``tf.__operators__.add``) in kerasish, as in
tf.keras 2; it has no weights. tf.keras 2 names the builders' ``name`` argument ``model_name``
and ``LayerScale``'s weight ``gamma`` (Keras 3: ``variable``); weight files match by order.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

import numpy as np
import torch

from kerasish import backend, initializers, layers
from kerasish.applications import common, imagenet_utils, weight_files
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.models.functional import Functional
from kerasish.models.sequential import Sequential

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# Keras' sha256 hashes of (with the top, without it).
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}


class StochasticDepth(Layer):
    """Drops a whole residual branch per sample with probability ``drop_path_rate`` in training
    (survivors scaled by ``1 / (1 - rate)``); the identity at inference."""

    def __init__(self, drop_path_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device)
        return (x / keep_prob) * keep.bernoulli_(keep_prob)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(Layer):
    """A learned per-channel scale (CaiT's layer scale), starting at ``init_values``."""

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape: Any) -> None:
        # Unnamed in Keras 3, so auto-named there like a layer: variable, variable_1...
        self.gamma = self.add_weight(
            name=backend.unique_object_name("variable"), shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values),
            trainable=True,
        )
        self.built = True

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "init_values": self.init_values,
            "projection_dim": self.projection_dim,
        }


def ConvNeXtBlock(  # noqa: N802 - Keras' public name
    projection_dim: int,
    drop_path_rate: float = 0.0,
    layer_scale_init_value: Optional[float] = 1e-6,
    name: Optional[str] = None,
) -> Callable[[KerasTensor], KerasTensor]:
    """Depthwise 7x7 -> LayerNorm -> Dense x4 -> GELU -> Dense -> LayerScale, plus the input."""
    if name is None:
        name = f"prestem{backend.get_uid('prestem')}"

    def apply(inputs: KerasTensor) -> KerasTensor:
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same",
                          groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)

    return apply


def PreStem(name: Optional[str] = None) -> Callable[[KerasTensor], KerasTensor]:  # noqa: N802
    """Normalizes [0, 255] inputs with the ImageNet-1k mean and std."""
    if name is None:
        name = f"prestem{backend.get_uid('prestem')}"

    def apply(x: KerasTensor) -> KerasTensor:
        return layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)

    return apply


def Head(  # noqa: N802 - Keras' public name
    num_classes: int = 1000, classifier_activation: Any = None, name: Optional[str] = None
) -> Callable[[KerasTensor], KerasTensor]:
    """Global average pool -> LayerNorm -> the classifier."""
    if name is None:
        name = str(backend.get_uid("head"))

    def apply(x: KerasTensor) -> KerasTensor:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation,
                            name=f"{name}_head_dense")(x)

    return apply


def ConvNeXt(  # noqa: N802 - Keras' public name
    depths: list,
    projection_dims: list,
    drop_path_rate: float = 0.0,
    layer_scale_init_value: Optional[float] = 1e-6,
    default_size: int = 224,
    name: str = "convnext",
    include_preprocessing: bool = True,
    include_top: bool = True,
    weights: Any = None,
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    weights_name: Optional[str] = None,
) -> Functional:
    """A ConvNeXt of four stages with ``depths`` blocks of ``projection_dims`` channels."""
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json"
        )
    if not (weights in {"imagenet", None} or os.path.exists(str(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be loaded."
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            'If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
            f"Received classes={classes}"
        )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, backend.image_data_format(), include_top, weights
    )
    img_input = common.image_input(input_tensor, input_shape)
    inputs = common.source_inputs(input_tensor)[0] if input_tensor is not None else img_input
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)

    stem = Sequential(
        [
            layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsample_layers = [stem]
    for i in range(3):
        downsample_layers.append(Sequential(
            [
                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                              name=f"{name}_downsampling_conv_{i}"),
            ],
            name=f"{name}_downsampling_block_{i}",
        ))

    # The original's stochastic depth schedule: rates rising linearly over all blocks.
    depth_drop_rates = [float(rate) for rate in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(
                projection_dim=projection_dims[i], drop_path_rate=depth_drop_rates[cur + j],
                layer_scale_init_value=layer_scale_init_value, name=f"{name}_stage_{i}_block_{j}",
            )(x)
        cur += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        x = common.pooled(x, pooling)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    model = Functional(inputs=inputs, outputs=x, name=name)

    if weights == "imagenet":
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if depths != expected["depths"] or projection_dims != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When using "
                "pre-trained weights, the model architecture must match the pre-trained "
                f"configuration exactly. Expected depths: {expected['depths']}, got: {depths}. "
                f"Expected projection_dims: {expected['projection_dims']}, got: {projection_dims}."
            )
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When '
                "using imagenet weights, model name must contain the weights variant (e.g., "
                f'"convnext_{weights_name.split("convnext_")[-1]}").'
            )
        top_hash, notop_hash = WEIGHTS_HASHES[weights_name]
        file_name = name + (".h5" if include_top else "_notop.h5")
        weight_files.download_and_load(
            model, file_name, BASE_WEIGHTS_PATH + file_name, top_hash if include_top else notop_hash
        )
    elif weights is not None:
        model.load_weights(weights)
    return model


def _variant(size: str, public_name: str) -> Callable[..., Functional]:
    config = MODEL_CONFIGS[size]

    def application(
        include_top: bool = True,
        include_preprocessing: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Optional[tuple] = None,
        pooling: Optional[str] = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"convnext_{size}",
    ) -> Functional:
        return ConvNeXt(
            weights_name=f"convnext_{size}", depths=config["depths"],
            projection_dims=config["projection_dims"], drop_path_rate=0.0,
            layer_scale_init_value=1e-6, default_size=config["default_size"], name=name,
            include_top=include_top, include_preprocessing=include_preprocessing,
            weights=weights, input_tensor=input_tensor, input_shape=input_shape,
            pooling=pooling, classes=classes, classifier_activation=classifier_activation,
        )

    application.__name__ = application.__qualname__ = public_name
    application.__doc__ = (
        f"{public_name}: depths {config['depths']}, widths {config['projection_dims']}; "
        "inputs in [0, 255] (the model normalizes them with ``include_preprocessing``)."
    )
    return application


ConvNeXtTiny = _variant("tiny", "ConvNeXtTiny")
ConvNeXtSmall = _variant("small", "ConvNeXtSmall")
ConvNeXtBase = _variant("base", "ConvNeXtBase")
ConvNeXtLarge = _variant("large", "ConvNeXtLarge")
ConvNeXtXLarge = _variant("xlarge", "ConvNeXtXLarge")


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """The identity: ConvNeXt models normalize their inputs themselves."""
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    return imagenet_utils.decode_predictions(preds, top=top)
