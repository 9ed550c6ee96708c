"""VGG16: blocks of 2, 2, 3, 3, 3 convolutions (the builder is in ``vgg``)."""

from __future__ import annotations

from typing import Any, Optional

from kerasish.applications.vgg import build_vgg, decode_predictions, preprocess_input
from kerasish.models.functional import Functional

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]


def VGG16(  # noqa: N802 - Keras' public name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Functional:
    """VGG16; inputs at least 32x32 (224x224 with the top), preprocessed in "caffe" mode."""
    return build_vgg(
        (2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )
