"""Accumulating true/false positives/negatives per threshold, as Keras 3's ``metrics_utils``.

A prediction counts as positive at threshold ``t`` when ``y_pred > t``; labels are positive when
non-zero. Two ways to count, chosen as Keras chooses them because they round differently:

* **Bucketed**, for evenly spaced thresholds (``AUC``'s 200, or ``[0, 1/(n-1), ..., 1]``): each
  prediction falls in bucket ``ceil(p·(n-1)) - 1``, the weights are summed per bucket
  (``scatter_add``), and a reversed cumulative sum gives the counts above every threshold.
  Linear in the batch size, whatever the number of thresholds.
* **Compared**, for any other thresholds: a ``(thresholds, predictions)`` comparison and a sum.

Both are pure tensor ops on the device of the state.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.losses import as_tensor, squeeze_or_expand_to_same_rank
from kerasish.metrics.base import MetricVariable

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"
NEG_INF = -1e10


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> list:
    if thresholds is not None:
        listed = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
        invalid = [t for t in listed if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    chosen = default_threshold if thresholds is None else thresholds
    return list(chosen) if isinstance(chosen, (list, tuple)) else [chosen]


def is_evenly_distributed_thresholds(thresholds: Sequence[float]) -> bool:
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=backend.epsilon()))


def filter_top_k(x: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest entries of the last axis; the others become -1e10."""
    top = torch.topk(x, k, dim=-1).indices
    mask = torch.zeros_like(x).scatter_(-1, top, 1.0)
    return x * mask + NEG_INF * (1 - mask)


def update_confusion_matrix_variables(
    variables: dict[str, MetricVariable],
    y_true: Any,
    y_pred: Any,
    thresholds: torch.Tensor,
    *,
    thresholds_distributed_evenly: bool = False,
    thresholds_with_epsilon: bool = False,
    top_k: Optional[int] = None,
    class_id: Optional[int] = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Optional[torch.Tensor] = None,
) -> None:
    dtype = next(iter(variables.values())).dtype
    y_pred = as_tensor(y_pred, dtype)
    y_true = as_tensor(y_true, dtype, y_pred.device)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype, y_pred.device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if thresholds_distributed_evenly:
        _update_bucketed(
            variables, y_true, y_pred, thresholds.shape[0], multi_label,
            sample_weight, label_weights, thresholds_with_epsilon,
        )  # fmt: skip
    else:
        _update_compared(
            variables, y_true, y_pred, thresholds, multi_label, sample_weight, label_weights
        )


def _broadcast_weights(
    sample_weight: Optional[torch.Tensor],
    label_weights: Optional[torch.Tensor],
    y_pred: torch.Tensor,
    flatten: bool,
) -> Optional[torch.Tensor]:
    weights = None
    if sample_weight is not None:
        weights = sample_weight.to(y_pred.dtype).broadcast_to(y_pred.shape)
    if label_weights is not None:
        per_label = label_weights.unsqueeze(0).broadcast_to(y_pred.shape)
        weights = per_label if weights is None else weights * per_label
    if weights is not None and flatten:
        weights = weights.reshape(-1)
    return weights


def _segment_sum(data: torch.Tensor, segments: torch.Tensor, count: int) -> torch.Tensor:
    """Sums of ``data`` per segment along the last axis; ids outside ``[0, count)`` are dropped."""
    segments = torch.where((segments >= 0) & (segments < count), segments, count)
    out = torch.zeros(data.shape[:-1] + (count + 1,), dtype=data.dtype, device=data.device)
    return out.scatter_add_(-1, segments, data)[..., :count]


def _reverse_cumsum(x: torch.Tensor) -> torch.Tensor:
    return x.flip(-1).cumsum(-1).flip(-1)


def _update_bucketed(
    variables, y_true, y_pred, num_thresholds, multi_label, sample_weight, label_weights, with_eps
) -> None:
    weights = _broadcast_weights(sample_weight, label_weights, y_pred, flatten=not multi_label)
    y_pred = torch.clip(y_pred, 0.0, 1.0)
    y_true = y_true.bool().to(y_pred.dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    true_labels = y_true if weights is None else y_true * weights
    false_labels = 1.0 - y_true if weights is None else (1.0 - y_true) * weights
    buckets = torch.ceil(y_pred * (num_thresholds - 1)) - 1
    if with_eps:
        buckets = torch.relu(buckets)
    buckets = buckets.long()
    if multi_label:  # one row of buckets per label
        true_labels, false_labels, buckets = true_labels.T, false_labels.T, buckets.T
    tp = _reverse_cumsum(_segment_sum(true_labels, buckets, num_thresholds))
    fp = _reverse_cumsum(_segment_sum(false_labels, buckets, num_thresholds))
    if multi_label:
        tp, fp = tp.T, fp.T
    if TRUE_POSITIVES in variables:
        variables[TRUE_POSITIVES].assign_add(tp)
    if FALSE_POSITIVES in variables:
        variables[FALSE_POSITIVES].assign_add(fp)
    if TRUE_NEGATIVES in variables:
        variables[TRUE_NEGATIVES].assign_add(false_labels.sum(dim=-1) - fp)
    if FALSE_NEGATIVES in variables:
        variables[FALSE_NEGATIVES].assign_add(true_labels.sum(dim=-1) - tp)


def _update_compared(
    variables, y_true, y_pred, thresholds, multi_label, sample_weight, label_weights
) -> None:
    if multi_label:
        predictions = y_pred.unsqueeze(0)
        labels = y_true.bool().unsqueeze(0)
        thresholds = thresholds.reshape(-1, 1, 1)
        weights = _broadcast_weights(sample_weight, None, y_pred, flatten=False)
        weights = None if weights is None else weights.unsqueeze(0)
    else:
        predictions = y_pred.reshape(1, -1)
        labels = y_true.bool().reshape(1, -1)
        thresholds = thresholds.reshape(-1, 1)
        weights = _broadcast_weights(sample_weight, label_weights, y_pred, flatten=True)
        weights = None if weights is None else weights.unsqueeze(0)
    pred_is_pos = predictions > thresholds
    label_is_pos = labels.expand_as(pred_is_pos)

    def count(label: torch.Tensor, pred: torch.Tensor, variable: MetricVariable) -> None:
        both = label & pred
        if weights is None:
            hits = both.to(variable.dtype)
        else:
            hits = torch.where(both, weights.to(variable.dtype), 0.0)
        variable.assign_add(hits.sum(dim=1))

    if TRUE_POSITIVES in variables:
        count(label_is_pos, pred_is_pos, variables[TRUE_POSITIVES])
    if FALSE_NEGATIVES in variables:
        count(label_is_pos, ~pred_is_pos, variables[FALSE_NEGATIVES])
    if FALSE_POSITIVES in variables:
        count(~label_is_pos, pred_is_pos, variables[FALSE_POSITIVES])
    if TRUE_NEGATIVES in variables:
        count(~label_is_pos, ~pred_is_pos, variables[TRUE_NEGATIVES])
