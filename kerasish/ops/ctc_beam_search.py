"""CTC prefix beam search, as Keras 3's torch backend runs it (its port of the JAX decoder).

Each step extends every kept prefix by every class, merges prefixes that became equal
(probabilities added in log space), and keeps the ``beam_width`` best, tracked twice: ending
in a label ("emit") and ending in a blank. Equal prefixes are found by hashing rows to int64
(collisions double-checked row by row), and ties fall the way Keras' stable argsorts leave
them, so the paths and scores are Keras'. Like Keras, it loops over examples and time steps in
Python and reads the sequence lengths on the host once.
"""

from __future__ import annotations

import torch

_PAD = -1
_HASH_BASE = 2654435769  # Knuth's multiplicative constant


def _unique_rows(paths: torch.Tensor, size: int) -> tuple:
    """Distinct rows (in hash order) padded with ``_PAD`` rows to ``size``, and each input
    row's index among them."""
    count, steps = paths.shape
    powers = _HASH_BASE ** torch.arange(steps, dtype=torch.int64, device=paths.device)
    hashes = ((paths.to(torch.int64) + 1) * powers).sum(dim=1)
    order = torch.argsort(hashes, stable=True)
    rows, row_hashes = paths[order], hashes[order]
    repeat = (row_hashes[1:] == row_hashes[:-1]) & (rows[1:] == rows[:-1]).all(dim=1)
    first = torch.cat([torch.ones(1, dtype=torch.bool, device=paths.device), ~repeat])
    inverse = torch.empty(count, dtype=torch.int64, device=paths.device)
    inverse[order] = torch.cumsum(first.to(torch.int64), dim=0) - 1
    unique = rows[first]
    if unique.shape[0] < size:
        filler = torch.full((size - unique.shape[0], steps), _PAD, dtype=unique.dtype, device=paths.device)
        unique = torch.cat([unique, filler])
    return unique, inverse


def _log_sum_into(inverse: torch.Tensor, scores: torch.Tensor, buckets: int) -> torch.Tensor:
    """``log(sum(exp(scores)))`` per bucket, shifted by the overall maximum for stability."""
    peak = scores.max()
    total = torch.zeros(buckets, dtype=scores.dtype, device=scores.device)
    total.scatter_add_(0, inverse, torch.exp(scores - peak))
    return torch.log(total) + peak


def _extend(paths: torch.Tensor, scores: torch.Tensor, blank_ended: torch.Tensor, step: torch.Tensor,
            classes: int, blank: int) -> tuple:
    """Every prefix followed by every class; a blank, or a label repeating the prefix's last
    label without a blank between, leaves the prefix as it was."""
    paths = paths.repeat_interleave(classes, dim=0)
    scores = scores.repeat_interleave(classes)
    blank_ended = blank_ended.repeat_interleave(classes)
    rows = torch.arange(paths.shape[0], device=paths.device)
    end = (paths == _PAD).to(torch.int32).argmax(dim=1)
    last = torch.where(end == 0, _PAD, paths[rows, end - 1])
    labels = torch.arange(classes, device=paths.device, dtype=paths.dtype)
    labels[blank] = _PAD
    labels = labels.repeat(paths.shape[0] // classes)
    new_blank_ended = labels == _PAD
    labels = torch.where(~blank_ended & (last == labels), _PAD, labels)
    paths[rows, end] = labels
    return paths, scores + step.repeat(paths.shape[0] // classes), new_blank_ended


def _prune(paths: torch.Tensor, scores: torch.Tensor, blank_ended: torch.Tensor, classes: int, width: int) -> tuple:
    unique, inverse = _unique_rows(paths, 2 * classes * width)
    emit = _log_sum_into(inverse, torch.where(blank_ended, float("-inf"), scores), unique.shape[0])
    blanks = _log_sum_into(inverse, torch.where(blank_ended, scores, float("-inf")), unique.shape[0])
    best = torch.argsort(torch.logaddexp(emit, blanks), stable=True)[-width:]
    kept_ends = torch.cat([
        torch.zeros(width, dtype=torch.bool, device=paths.device),
        torch.ones(width, dtype=torch.bool, device=paths.device),
    ])
    return unique[best].repeat(2, 1), torch.cat([emit[best], blanks[best]]), kept_ends


def beam_search(inputs: torch.Tensor, lengths: torch.Tensor, beam_width: int, top_paths: int, blank: int) -> tuple:
    """``(paths (top_paths, batch, time), scores (batch, top_paths))`` for float32 logits."""
    batch, steps, classes = inputs.shape
    # Keras searches the classes in reverse order (so ties prefer higher classes) and maps back.
    log_probs = torch.log_softmax(inputs, dim=-1).flip(2)
    blank = classes - blank - 1
    starts = min(classes, beam_width)
    all_paths, all_scores = [], []
    for b, length in enumerate(lengths.tolist()):
        x = log_probs[b]
        first = torch.argsort(x[0], stable=True)[-starts:]
        paths = torch.full((2 * beam_width, steps), _PAD, dtype=torch.int32, device=inputs.device)
        paths[:starts, 0] = torch.where(first == blank, _PAD, first.to(torch.int32))
        scores = torch.full((2 * beam_width,), float("-inf"), dtype=inputs.dtype, device=inputs.device)
        scores[:starts] = x[0, first]
        blank_ended = paths[:, 0] == _PAD
        for t in range(1, length):
            paths, scores, blank_ended = _extend(paths, scores, blank_ended, x[t], classes, blank)
            paths, scores, blank_ended = _prune(paths, scores, blank_ended, classes, beam_width)
        unique, inverse = _unique_rows(paths, 2 * classes * beam_width)
        merged = _log_sum_into(inverse, scores, unique.shape[0])
        top = torch.argsort(merged, stable=True)[-top_paths:].flip(0)
        all_paths.append(unique[top])
        all_scores.append(merged[top])
    paths = torch.stack(all_paths)
    paths = torch.where(paths == _PAD, _PAD, classes - paths - 1)
    return paths.permute(1, 0, 2), torch.stack(all_scores)
