"""ResNet v2 (He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016).

Pre-activation blocks on ``resnet.ResNet``'s builder; the last block of each stage carries the
stride (the final stage has none).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from kerasish.applications import imagenet_utils, resnet
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional


def _v2_stacks(depths: tuple[int, int, int, int]) -> Callable[[KerasTensor], KerasTensor]:
    def stack_fn(x: KerasTensor) -> KerasTensor:
        x = resnet.stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = resnet.stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = resnet.stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return resnet.stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return stack_fn


def _resnet_v2(depths: tuple, weights_name: str, name: str, **kwargs: Any) -> Functional:
    return resnet.ResNet(
        _v2_stacks(depths), True, True, name=name, weights_name=weights_name, **kwargs
    )


def ResNet50V2(  # noqa: N802 - Keras' public name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet50v2",
) -> Functional:
    """ResNet50V2: stages of 3, 4, 6 and 3 blocks. Inputs scaled to [-1, 1]."""
    return _resnet_v2(
        (3, 4, 6, 3), "resnet50v2", name, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def ResNet101V2(  # noqa: N802
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet101v2",
) -> Functional:
    """ResNet101V2: stages of 3, 4, 23 and 3 blocks."""
    return _resnet_v2(
        (3, 4, 23, 3), "resnet101v2", name, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def ResNet152V2(  # noqa: N802
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Optional[tuple] = None,
    pooling: Optional[str] = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet152v2",
) -> Functional:
    """ResNet152V2: stages of 3, 8, 36 and 3 blocks."""
    return _resnet_v2(
        (3, 8, 36, 3), "resnet152v2", name, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils`` mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    return imagenet_utils.decode_predictions(preds, top=top)
