"""The VGG builder VGG16 and VGG19 share (Simonyan & Zisserman, ICLR 2015).

Five blocks of 3x3 "same" ReLU convolutions, each closed by a 2x2 max pool; the top is
Flatten and two 4096-wide Dense layers. VGG16 and VGG19 differ only in the convolutions per
block.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from kerasish import backend, layers
from kerasish.applications import common, imagenet_utils
from kerasish.models.functional import Functional

_WIDTHS = (64, 128, 256, 512, 512)


def build_vgg(
    convs_per_block: Sequence[int],
    family: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Optional[tuple],
    pooling: Optional[str],
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Functional:
    common.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, backend.image_data_format(), include_top, weights
    )
    img_input = common.image_input(input_tensor, input_shape)
    x = img_input
    for block, (width, convs) in enumerate(zip(_WIDTHS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(
                width, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = common.classifier(x, classes, classifier_activation, weights)
    else:
        x = common.pooled(x, pooling)
    suffix = "" if include_top else "_notop"
    file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return common.make_model(img_input, input_tensor, x, name, weights, file_name, family)


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """RGB -> BGR and ImageNet mean subtraction (``imagenet_utils`` mode "caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list:
    return imagenet_utils.decode_predictions(preds, top=top)
