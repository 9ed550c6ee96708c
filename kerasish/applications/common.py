"""What every application builder shares: argument checks, the input, the top, the weights.

Builders are ordinary functional-API code: the layers, their names and the order in which they
are called are Keras', so that ``model.layers``, the parameter count and the weight order match
Keras' and Keras' weight files load by position (Keras 2 ``.h5``) or by layer class path
(Keras 3 ``.weights.h5``).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from kerasish import backend, layers
from kerasish.applications import imagenet_utils, weight_files
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.input_layer import InputLayer
from kerasish.models.functional import Functional


def check_weights_argument(weights: Any, include_top: bool, classes: int) -> None:
    """Keras' two up-front checks: a known weights value, and 1000 classes for ImageNet's top."""
    if not (weights in {"imagenet", None} or os.path.exists(str(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded; Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            'If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
            f"Received classes={classes}"
        )


def standard_arguments(
    default_name: str,
) -> Callable[[Callable[..., Functional]], Callable[..., Functional]]:
    """Decorator giving a model variant (``ResNet50``...) Keras' usual application signature.

    Keras spells the same parameters out for every variant, only ``name``'s default differs;
    the decorated function receives them all as keywords.
    """

    def decorate(variant: Callable[..., Functional]) -> Callable[..., Functional]:
        def application(
            include_top: bool = True,
            weights: Any = "imagenet",
            input_tensor: Any = None,
            input_shape: Optional[tuple] = None,
            pooling: Optional[str] = None,
            classes: int = 1000,
            classifier_activation: Any = "softmax",
            name: str = default_name,
        ) -> Functional:
            return variant(
                include_top=include_top, weights=weights, input_tensor=input_tensor,
                input_shape=input_shape, pooling=pooling, classes=classes,
                classifier_activation=classifier_activation, name=name,
            )

        # Not functools.wraps: its __wrapped__ would make inspect show ``**arguments``.
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(application, attribute, getattr(variant, attribute))
        return application

    return decorate


def checked_input(
    weights: Any,
    include_top: bool,
    classes: int,
    input_tensor: Any,
    input_shape: Optional[tuple],
    default_size: int,
    min_size: int,
) -> KerasTensor:
    """A builder's opening, in Keras' order: the weights checks, then the input shape Keras'
    rules give (``default_size`` by default, at least ``min_size``), then the input."""
    check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, min_size, backend.image_data_format(), include_top, weights
    )
    return image_input(input_tensor, input_shape)


def channel_axis() -> int:
    """The channel axis of a 4D image batch under the global image data format."""
    return 1 if backend.image_data_format() == "channels_first" else 3


def image_input(input_tensor: Any, input_shape: tuple) -> KerasTensor:
    """``input_tensor`` itself when it is a KerasTensor, otherwise a new ``Input``."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "Argument `input_tensor` must be a KerasTensor (for example the output of "
            f"`keras.Input()`). Received invalid type: {type(input_tensor)}"
        )
    return input_tensor


def source_inputs(tensor: KerasTensor) -> list[KerasTensor]:
    """The ``Input`` tensors ``tensor`` is computed from (itself, if it is one)."""
    found: list[KerasTensor] = []
    seen: set = set()
    stack = [tensor]
    while stack:
        x = stack.pop()
        layer, node_index, _ = x._keras_history
        node = layer._inbound_nodes[node_index]
        if isinstance(layer, InputLayer) or node.is_input:
            if id(x) not in seen:
                seen.add(id(x))
                found.append(x)
            continue
        stack.extend(reversed(node.keras_inputs))
    return found


def pooled(x: KerasTensor, pooling: Optional[str], avg_name: Optional[str] = None,
           max_name: Optional[str] = None) -> KerasTensor:
    """``include_top=False``: the feature map, or its global average / max."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def pooled_top(
    x: KerasTensor,
    include_top: bool,
    pooling: Optional[str],
    classes: int,
    classifier_activation: Any,
    weights: Any,
    **pool_names: Optional[str],
) -> KerasTensor:
    """The usual end: the top as a global average pool ``avg_pool`` and the classifier, or
    without it ``pooling`` (``pool_names``: ``pooled``'s layer names)."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return classifier(x, classes, classifier_activation, weights)
    return pooled(x, pooling, **pool_names)


def classifier(x: KerasTensor, classes: int, classifier_activation: Any, weights: Any,
               **dense_kwargs: Any) -> KerasTensor:
    """The ImageNet classifier: one Dense layer named ``predictions``."""
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(
        classes, activation=classifier_activation, name="predictions", **dense_kwargs
    )(x)


def tf_kernels_file(stem: str, include_top: bool) -> str:
    """The name Keras publishes most ImageNet weight files under."""
    suffix = "" if include_top else "_notop"
    return f"{stem}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"


def make_model(
    img_input: KerasTensor,
    input_tensor: Any,
    outputs: KerasTensor,
    name: str,
    weights: Any,
    imagenet_file: Optional[str],
    family: str,
) -> Functional:
    """The functional model from the true inputs, with the requested weights loaded."""
    inputs = source_inputs(input_tensor) if input_tensor is not None else img_input
    model = Functional(inputs, outputs, name=name)
    weight_files.load_requested_weights(model, weights, imagenet_file, family)
    return model
