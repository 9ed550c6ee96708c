"""``keras.ops.rearrange``: einops' ``rearrange`` patterns (``"b (h p) w c -> b h (p w c)"``).

A pattern is a reshape that splits the input's grouped axes, a permutation, and a reshape that
merges the output's groups; so the result is a view wherever torch's ``reshape`` can give one.
As in Keras, each parenthesised input group may leave one axis length to be inferred; the
others come from ``axes_lengths``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from kerasish.ops.core import to_tensor
from kerasish.ops.dispatch import keras_op

_TERM = re.compile(r"\w+|\(.*?\)")


def _groups(side: str) -> list:
    """``"b (h p) c"`` -> ``[["b"], ["h", "p"], ["c"]]``."""
    return [term[1:-1].split() if term.startswith("(") else [term] for term in _TERM.findall(side)]


def _axis_sizes(groups: list, shape: tuple, axes_lengths: dict, pattern: str) -> dict:
    if len(groups) != len(shape):
        raise ValueError(
            f"rearrange: the pattern {pattern!r} names {len(groups)} input axes but the tensor "
            f"has rank {len(shape)} (shape {shape})."
        )
    sizes: dict = {}
    for group, dim in zip(groups, shape):
        if len(group) == 1 and group[0] not in axes_lengths:
            sizes[group[0]] = dim
            continue
        unknown = [axis for axis in group if axis not in axes_lengths]
        known = math.prod(axes_lengths[axis] for axis in group if axis in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(
                f"rearrange: the input group ({' '.join(group)}) of pattern {pattern!r} leaves "
                f"{unknown} unknown; give all but one of them as keyword arguments."
            )
        for axis in group:
            sizes[axis] = axes_lengths[axis] if axis in axes_lengths else dim // known
    return sizes


@keras_op
def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> torch.Tensor:
    x = to_tensor(tensor)
    source, target = re.split(r"\s*->\s*", pattern)
    in_groups, out_groups = _groups(source), _groups(target)
    sizes = _axis_sizes(in_groups, tuple(x.shape), axes_lengths, pattern)
    in_axes = [axis for group in in_groups for axis in group]
    out_axes = [axis for group in out_groups for axis in group]
    if sorted(in_axes) != sorted(out_axes):
        raise ValueError(
            f"rearrange: the pattern {pattern!r} must name the same axes on both sides. "
            f"Received: input axes {in_axes}, output axes {out_axes}."
        )
    x = x.reshape([sizes[axis] for axis in in_axes])
    x = x.permute([in_axes.index(axis) for axis in out_axes])
    return x.reshape([math.prod(sizes[axis] for axis in group) for group in out_groups])
