"""Connectionist temporal classification: ``keras.ops.ctc_loss`` and ``ctc_decode``.

Inputs are Keras' batch-major logits ``(batch, time, classes)``; the loss is torch's fused
``F.ctc_loss`` on their log-softmax (per-sample, unreduced, as Keras' torch backend), and greedy
decoding is Keras' vectorised argmax / merge / compaction, with nothing read on the host;
beam search is in ``ctc_beam_search``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from kerasish.graph.keras_tensor import KerasTensor
from kerasish.ops.core import to_tensor
from kerasish.ops.ctc_beam_search import beam_search
from kerasish.ops.dispatch import keras_op


def _float_logits(x: Any) -> torch.Tensor:
    """Keras computes in ``result_type(dtype, "float32")``, which is float32 for every input
    dtype (float64 included: Keras ranks the string ``"float32"`` above a tensor's dtype)."""
    return to_tensor(x, dtype=torch.float32)


def _check_batch(name1: str, shape1: Any, name2: str, shape2: Any) -> None:
    if shape1[0] != shape2[0]:
        raise ValueError(
            f"ctc_loss: arguments `{name1}` and `{name2}` must have the same first dimension. "
            f"Received shapes: `{tuple(shape1)}` and `{tuple(shape2)}`."
        )


@keras_op
def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> torch.Tensor:
    """Per-sample negative log-likelihoods ``(batch,)`` of ``target`` (``(batch, max_label)``
    integer labels) under the logits ``output``; ``mask_index`` is the blank class."""
    target, output = to_tensor(target), _float_logits(output)
    target_length, output_length = to_tensor(target_length), to_tensor(output_length)
    _check_batch("target", target.shape, "output", output.shape)
    _check_batch("target_length", target_length.shape, "target", target.shape)
    _check_batch("output_length", output_length.shape, "output", output.shape)
    log_probs = torch.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, target, output_length, target_length, blank=mask_index, reduction="none")


def _greedy(inputs: torch.Tensor, lengths: torch.Tensor, merge_repeated: bool, mask_index: int) -> tuple:
    batch, steps, _ = inputs.shape
    scores, indices = torch.max(inputs, dim=-1)
    indices = indices.to(torch.int32)
    past_end = torch.arange(steps, device=inputs.device) >= lengths[:, None]
    indices = torch.where(past_end, mask_index, indices)
    scores = torch.where(past_end, 0.0, scores)
    if merge_repeated:
        repeated = F.pad(indices[:, 1:] == indices[:, :-1], (1, 0))
        indices = torch.where(repeated, mask_index, indices)
    blank = indices == mask_index
    indices = torch.where(blank, -1, indices)
    # Move the kept labels to the front, in time order: sort positions with blanks last.
    positions = torch.arange(steps, device=inputs.device).expand(batch, steps)
    order = torch.argsort(torch.where(blank, steps, positions), dim=-1)
    decoded = torch.take_along_dim(indices, order, dim=-1)
    return decoded.unsqueeze(0), -scores.sum(dim=1, keepdim=True)


@keras_op
def ctc_decode(
    inputs: Any,
    sequence_lengths: Any,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
) -> tuple:
    """``(paths, scores)``: int32 label paths ``(top_paths, batch, time)`` padded with -1, and
    their negative summed scores ``(batch, top_paths)``."""
    inputs = _float_logits(inputs)
    lengths = to_tensor(sequence_lengths, dtype="int32", device=inputs.device)
    if mask_index is None:
        mask_index = inputs.shape[-1] - 1
    if strategy == "greedy":
        return _greedy(inputs, lengths, merge_repeated, mask_index)
    if strategy == "beam_search":
        return beam_search(inputs, lengths, beam_width, top_paths, mask_index)
    raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")


def ctc_decode_output_spec(
    inputs: KerasTensor,
    sequence_lengths: Any,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: Any = 0,
) -> tuple:
    """Keras' symbolic shapes. Beam search reads lengths on the host, so it cannot run on
    meta tensors; its shapes need no run."""
    paths = 1 if strategy == "greedy" else top_paths
    batch, steps = inputs.shape[0], inputs.shape[1]
    return KerasTensor((paths, batch, steps), "int32"), KerasTensor((batch, paths), "float32")


ctc_decode.eager.output_spec = ctc_decode_output_spec
