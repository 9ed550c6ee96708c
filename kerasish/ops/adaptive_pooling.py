"""``keras.ops.adaptive_average_pool`` / ``adaptive_max_pool``.

Keras 3's torch backend runs torch's own adaptive pooling (bins ``floor(i * n / out)`` to
``ceil((i + 1) * n / out)``, overlapping where ``n`` is not a multiple of ``out``), so the same
kernels here give Keras' numbers; channels_last inputs pool on a channels-first view.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.layers import conv_utils
from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op

_AVERAGE: dict[int, Callable[..., torch.Tensor]] = {
    1: F.adaptive_avg_pool1d,
    2: F.adaptive_avg_pool2d,
    3: F.adaptive_avg_pool3d,
}
_MAX: dict[int, Callable[..., torch.Tensor]] = {
    1: F.adaptive_max_pool1d,
    2: F.adaptive_max_pool2d,
    3: F.adaptive_max_pool3d,
}


def _adaptive_pool(
    kernels: dict, kind: str, inputs: Any, output_size: Any, data_format: Any
) -> torch.Tensor:
    x = to_tensor(inputs)
    rank = x.ndim - 2
    if rank not in kernels:
        raise ValueError(
            f"Inputs to adaptive {kind} pooling must have ndim=3, 4 or 5, "
            f"Received input shape: {tuple(x.shape)}."
        )
    channels_last = backend.standardize_data_format(data_format) == "channels_last"
    if isinstance(output_size, int):
        size = (output_size,) * rank
    else:
        size = conv_utils.standardize_tuple(output_size, rank, "output_size")
    if channels_last:
        x = x.movedim(-1, 1)
    outputs = kernels[rank](x, size)
    return outputs.movedim(1, -1) if channels_last else outputs


@keras_op
def adaptive_average_pool(inputs: Any, output_size: Any, data_format: Any = None) -> torch.Tensor:
    return _adaptive_pool(_AVERAGE, "average", inputs, output_size, data_format)


@keras_op
def adaptive_max_pool(inputs: Any, output_size: Any, data_format: Any = None) -> torch.Tensor:
    return _adaptive_pool(_MAX, "max", inputs, output_size, data_format)
