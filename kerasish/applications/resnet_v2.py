"""ResNet v2 (He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016).

Pre-activation blocks on ``resnet.ResNet``'s builder; the last block of each stage carries the
stride (the final stage has none).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from kerasish.applications import common, imagenet_utils, resnet
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.models.functional import Functional


def _v2_stacks(depths: tuple[int, int, int, int]) -> Callable[[KerasTensor], KerasTensor]:
    def stack_fn(x: KerasTensor) -> KerasTensor:
        x = resnet.stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = resnet.stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = resnet.stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return resnet.stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return stack_fn


def _resnet_v2(depths: tuple, weights_name: str, **arguments: Any) -> Functional:
    return resnet.ResNet(_v2_stacks(depths), True, True, weights_name=weights_name, **arguments)


@common.standard_arguments("resnet50v2")
def ResNet50V2(**arguments: Any) -> Functional:  # noqa: N802 - Keras' public name
    """ResNet50V2: stages of 3, 4, 6 and 3 blocks. Inputs scaled to [-1, 1]."""
    return _resnet_v2((3, 4, 6, 3), "resnet50v2", **arguments)


@common.standard_arguments("resnet101v2")
def ResNet101V2(**arguments: Any) -> Functional:  # noqa: N802
    """ResNet101V2: stages of 3, 4, 23 and 3 blocks."""
    return _resnet_v2((3, 4, 23, 3), "resnet101v2", **arguments)


@common.standard_arguments("resnet152v2")
def ResNet152V2(**arguments: Any) -> Functional:  # noqa: N802
    """ResNet152V2: stages of 3, 8, 36 and 3 blocks."""
    return _resnet_v2((3, 8, 36, 3), "resnet152v2", **arguments)


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils`` mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
