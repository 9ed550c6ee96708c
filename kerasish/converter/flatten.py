"""``--flatten-to-nchw``: Dense-after-Flatten weights for torch modules that flatten NCHW.

kerasish (like Keras) runs convolutions channels_last, so ``Flatten`` orders features (H, W, C)
and a following Dense's weight columns follow that order. A torch CNN flattens (C, H, W): the
same numbers in a different order. This permutes the columns of each Dense whose input is a
channels_last ``Flatten`` of a rank >= 3 tensor, so its ``weight`` loads into ``nn.Linear`` after
``nn.Flatten`` on NCHW activations (and back, for ``to-keras``).
"""

from __future__ import annotations

from typing import Any

import torch


def _source_layer(layer: Any) -> Any:
    try:
        tensor = layer.input
    except (AttributeError, ValueError, RuntimeError):
        return None
    history = getattr(tensor, "_keras_history", None)
    return history[0] if history else None


def flattened_dense_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    """``"<dense>.weight" -> (*spatial, channels)`` for each Dense fed by a channels_last Flatten."""
    from kerasish.layers.core import Dense, Flatten

    found: dict[str, tuple[int, ...]] = {}
    for layer in model.layers:
        if not isinstance(layer, Dense):
            continue
        source = _source_layer(layer)
        if not isinstance(source, Flatten) or source.data_format == "channels_first":
            continue
        shape = tuple(source.input_shape[1:])
        if len(shape) >= 2 and all(isinstance(d, int) for d in shape):
            found[f"{layer.name}.weight"] = shape
    return found


def to_nchw(weight: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Columns in (*spatial, C) order -> (C, *spatial) order."""
    out = weight.shape[0]
    rank = len(shape)
    order = (0, rank, *range(1, rank))
    return weight.reshape(out, *shape).permute(order).reshape(out, -1).contiguous()


def from_nchw(weight: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    out = weight.shape[0]
    channels_first = (shape[-1], *shape[:-1])
    rank = len(shape)
    order = (0, *range(2, rank + 1), 1)
    return weight.reshape(out, *channels_first).permute(order).reshape(out, -1).contiguous()
