"""Keras losses on torch tensors, with the numbers of Keras 3's torch backend.

A loss *function* (``binary_crossentropy``...) maps ``(y_true, y_pred)`` to one value per sample:
the last axis is reduced (a mean for BCE/MSE/MAE..., a sum for the categorical crossentropies).
A ``Loss`` *object* then weights those values by ``sample_weight`` (and by a Keras mask, when
``y_pred`` carries one) and reduces them to a scalar the way Keras 3's ``reduce_weighted_values``
does. Two Keras choices matter for the numbers and are kept exactly:

* the default reduction ``"sum_over_batch_size"`` divides the weighted sum by the number of
  values, *not* by the sum of the weights (``"mean_with_sample_weight"`` does the latter);
* probabilities (``from_logits=False``) are clipped to ``[epsilon, 1 - epsilon]`` (epsilon 1e-7)
  before the log, and categorical ones are first renormalised to sum to one, as the torch
  backend does. Saturated outputs therefore give Keras-torch's finite losses.

Everything here is tensor ops only: no value leaves the device, so a loss costs no host sync.
"""

from __future__ import annotations

import inspect
import math
import warnings
from typing import Any, Callable, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F

from kerasish import backend
from kerasish.saving import registry
from kerasish.utils import tree

# --------------------------------------------------------------------------- tensors and ranks


def as_tensor(
    x: Any, dtype: Optional[torch.dtype] = None, device: Optional[torch.device] = None
) -> torch.Tensor:
    """``x`` as a torch tensor; a tensor already of that dtype and device is returned as is."""
    if isinstance(x, torch.Tensor):
        if (dtype is None or x.dtype == dtype) and (device is None or x.device == device):
            return x
        return x.to(device=device if device is not None else x.device, dtype=dtype or x.dtype)
    array = np.asarray(x)
    if dtype is None and array.dtype == np.float64 and not isinstance(x, np.ndarray):
        dtype = backend.torch_dtype(backend.floatx())  # Python floats are floatx, as in Keras
    return torch.as_tensor(array, dtype=dtype, device=device)


def _pair(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``y_pred`` as a tensor and ``y_true`` cast to its dtype and device."""
    y_pred = as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(backend.torch_dtype(backend.floatx()))
    return as_tensor(y_true, y_pred.dtype, y_pred.device), y_pred


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keras' rank alignment: when ranks differ by one and the longer one ends in 1, drop that
    axis, except that a rank-1 partner gains one instead (``(N,)`` with ``(N, 1)``)."""
    r1, r2 = x1.dim(), x2.dim()
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def divide_no_nan(x: torch.Tensor, y: Union[torch.Tensor, float]) -> torch.Tensor:
    """``x / y`` with 0 where ``y == 0`` (Keras' ``ops.divide_no_nan``)."""
    if not isinstance(y, torch.Tensor):
        return x / y if y != 0 else torch.zeros_like(x)
    zero = y == 0
    return torch.where(zero, 0.0, x / torch.where(zero, 1.0, y))


# ------------------------------------------------------------------------------ reductions

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


class Reduction:
    """tf.keras' names for the reductions (``losses.Reduction.SUM``); Keras 3 takes the
    strings themselves, and so does every ``Loss`` here."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls) -> tuple:
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f'Invalid Reduction Key: {key}. Expected keys are "{cls.all()}"')


def standardize_reduction(reduction: Optional[str]) -> Optional[str]:
    """Keras 3's reductions, plus Keras 2's ``"auto"`` (which meant ``sum_over_batch_size``)."""
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. "
            f"Expected one of {set(REDUCTIONS) | {'auto'}}. Received: reduction={reduction}"
        )
    return reduction


def apply_mask(
    sample_weight: Optional[torch.Tensor],
    mask: Optional[torch.Tensor],
    dtype: torch.dtype,
    reduction: Optional[str],
) -> Optional[torch.Tensor]:
    """Fold a Keras mask into the sample weights.

    For the averaging reductions, valid entries get weight ``total / valid`` so that dividing by
    the number of entries afterwards is dividing by the number of *valid* entries.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.to(dtype).sum()
        mask_weight = divide_no_nan(torch.full_like(valid, float(mask.numel())), valid)
        float_mask = torch.where(mask.bool(), mask_weight, 0.0)
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight.to(dtype))
    return sample_weight * float_mask


def reduce_values(
    values: torch.Tensor,
    sample_weight: Optional[torch.Tensor] = None,
    reduction: Optional[str] = "sum_over_batch_size",
) -> torch.Tensor:
    if reduction is None or reduction == "none" or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    loss = values.sum()
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            loss = divide_no_nan(loss, sample_weight.sum().to(loss.dtype))
        else:
            loss = divide_no_nan(loss, values.numel())
    return loss


def reduce_weighted_values(
    values: torch.Tensor,
    sample_weight: Any = None,
    mask: Optional[torch.Tensor] = None,
    reduction: Optional[str] = "sum_over_batch_size",
    dtype: Optional[torch.dtype] = None,
) -> torch.Tensor:
    """Keras 3's ``reduce_weighted_values``: weight, then reduce."""
    reduction = standardize_reduction(reduction)
    values = as_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, values.dtype, values.device)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# --------------------------------------------------------------------------- loss functions


def _check_same_shape(loss: str, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{loss}: arguments `y_true` (target) and `y_pred` (output) must have the same "
            f"shape. Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _warn_single_class(loss: str, y_pred: torch.Tensor) -> None:
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {loss}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _clip_probabilities(p: torch.Tensor) -> torch.Tensor:
    eps = backend.epsilon()
    return torch.clip(p, eps, 1.0 - eps)


def _elementwise_bce(
    loss: str, y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool
) -> torch.Tensor:
    _check_same_shape(loss, y_true, y_pred)
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    y_pred = _clip_probabilities(y_pred)
    if torch.is_autocast_enabled(y_pred.device.type):
        # CUDA autocast refuses F.binary_cross_entropy ("unsafe to autocast"): run it in float32.
        with torch.autocast(y_pred.device.type, enabled=False):
            return F.binary_cross_entropy(y_pred.float(), y_true.float(), reduction="none")
    return F.binary_cross_entropy(y_pred, y_true, reduction="none")


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _elementwise_bce("binary_crossentropy", y_true, y_pred, from_logits).mean(dim=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _elementwise_bce("binary_focal_crossentropy", y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return focal_bce.mean(dim=axis)


def _smooth_categorical(y_true: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / float(y_true.shape[-1])


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> torch.Tensor:
    _check_axis(axis)
    y_true, y_pred = _pair(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    if y_true.dim() < 1:
        raise ValueError(
            "categorical_crossentropy: `y_true` and `y_pred` must be at least rank 1. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if from_logits:
        log_prob = F.log_softmax(y_pred, dim=axis)
    else:
        log_prob = torch.log(_clip_probabilities(y_pred / y_pred.sum(dim=axis, keepdim=True)))
    return -(y_true * log_prob).sum(dim=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    _check_axis(axis)
    y_true, y_pred = _pair(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    output = _clip_probabilities(y_pred / y_pred.sum(dim=axis, keepdim=True))
    cce = -y_true * torch.log(output)
    focal = torch.pow(1.0 - output, gamma) * alpha * cce
    return focal.sum(dim=axis)


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: Optional[int] = None,
    axis: int = -1,
) -> torch.Tensor:
    """Integer labels (float or int, ``(N,)`` or ``(N, 1)``) against class scores.

    With ``ignore_class``, those entries lose 0 and the result carries a Keras mask
    (``_keras_mask``) so a ``Loss`` averages over the valid entries only.
    """
    y_pred = as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(backend.torch_dtype(backend.floatx()))
    y_true = as_tensor(y_true, device=y_pred.device)
    if y_pred.dim() < 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `y_pred` must be at least rank 1. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_true.dim() == y_pred.dim() and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, 0)
    target = y_true.long()
    class_axis = axis % y_pred.dim()
    expected = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
    if tuple(target.shape) != expected:
        raise ValueError(
            "sparse_categorical_crossentropy: `y_true` must have the shape of `y_pred` without "
            f"its class axis, i.e. {expected}. Received: y_true.shape={tuple(target.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    scores = y_pred.unsqueeze(0) if y_pred.dim() == 1 else y_pred.movedim(class_axis, 1)
    labels = target.unsqueeze(0) if y_pred.dim() == 1 else target
    if from_logits:
        result = F.cross_entropy(scores, labels, reduction="none")
    else:
        log_prob = torch.log(_clip_probabilities(scores / scores.sum(dim=1, keepdim=True)))
        result = F.nll_loss(log_prob, labels, reduction="none")
    if y_pred.dim() == 1:
        result = result.squeeze(0)
    if valid is not None:
        valid = valid.reshape(expected)
        result = torch.where(valid, result, 0.0)
        result._keras_mask = valid
    return result


def mean_squared_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    return torch.square(y_true - y_pred).mean(dim=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    return torch.abs(y_true - y_pred).mean(dim=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    diff = torch.abs((y_true - y_pred) / torch.clamp_min(torch.abs(y_true), backend.epsilon()))
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    eps = backend.epsilon()
    first = torch.log(torch.clamp_min(y_pred, eps) + 1.0)
    second = torch.log(torch.clamp_min(y_true, eps) + 1.0)
    return torch.square(first - second).mean(dim=-1)


def l2_normalize(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Keras' ``normalize``: ``x * min(rsqrt(sum(x**2)), 1 / epsilon)``."""
    inv_norm = torch.rsqrt(torch.square(x).sum(dim=axis, keepdim=True))
    return x * torch.clamp_max(inv_norm, 1.0 / backend.epsilon())


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """The *loss*: minus the cosine similarity (the metric of that name is positive)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    return -(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis)).sum(dim=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


_LOG2 = math.log(2.0)


def log_cosh(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    x = y_pred - y_true
    return (x + F.softplus(x * -2.0) - _LOG2).mean(dim=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    eps = backend.epsilon()
    y_true = torch.clip(y_true, eps, 1.0)
    y_pred = torch.clip(y_pred, eps, 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(dim=-1)


def poisson(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_pred - y_true * torch.log(y_pred + backend.epsilon())).mean(dim=-1)


def _hinge_labels(y_true: torch.Tensor) -> torch.Tensor:
    """0/1 labels become -1/1; labels that are not all 0 or 1 are used as given. Decided on the
    device (``torch.where``), so no value is read back to the host."""
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.clamp_min(1.0 - y_true * y_pred, 0.0).mean(dim=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return torch.square(torch.clamp_min(1.0 - y_true * y_pred, 0.0)).mean(dim=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    y_true, y_pred = _pair(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return torch.clamp_min(neg - pos + 1.0, 0.0)


def ctc(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Connectionist temporal classification: ``y_true`` ``(batch, max_label_length)`` class ids
    padded with 0 (0 is also the blank), ``y_pred`` ``(batch, time, classes)`` logits."""
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true, device=y_pred.device)
    if y_true.dim() != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.dim() != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    batch, time = y_pred.shape[0], y_pred.shape[1]
    label_length = (y_true != 0).sum(dim=-1).to(torch.int32)
    input_length = torch.full((batch,), time, dtype=torch.int32, device=y_pred.device)
    if not y_pred.is_floating_point() or y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()
    log_probs = F.log_softmax(y_pred.transpose(0, 1), dim=-1)
    return F.ctc_loss(
        log_probs, y_true.long(), input_length, label_length, blank=0, reduction="none"
    )


def _sum(x: torch.Tensor, axis: Optional[Union[int, tuple]]) -> torch.Tensor:
    return x.sum() if axis is None else x.sum(dim=axis)


def dice(y_true: Any, y_pred: Any, axis: Optional[Union[int, tuple]] = None) -> torch.Tensor:
    """``1 - 2·Σ(y_true·y_pred) / (Σy_true + Σy_pred + ε)`` over ``axis`` (all axes if None)."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    total = _sum(y_true, axis) + _sum(y_pred, axis) + backend.epsilon()
    return 1 - 2.0 * intersection / total


def tversky(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.5,
    beta: float = 0.5,
    axis: Optional[Union[int, tuple]] = None,
) -> torch.Tensor:
    """Dice with false positives weighted by ``alpha`` and false negatives by ``beta``."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    false_positives = _sum((1 - y_pred) * y_true, axis)
    false_negatives = _sum(y_pred * (1 - y_true), axis)
    denominator = intersection + false_positives * alpha + false_negatives * beta
    return 1 - intersection / (denominator + backend.epsilon())


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> torch.Tensor:
    """Circle loss (Sun et al. 2020) of integer labels and L2-normalised embeddings; the
    result carries a mask of its positive entries, so a ``Loss`` averages over those."""
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true, device=y_pred.device).to(torch.int32)
    ref_embeddings = y_pred if ref_embeddings is None else as_tensor(ref_embeddings, y_pred.dtype)
    ref_labels = y_true if ref_labels is None else as_tensor(ref_labels).to(torch.int32)
    distances = torch.clamp_min(1 - y_pred @ ref_embeddings.T, 0.0)
    query = y_true.reshape(-1, 1) if y_true.dim() == 1 else y_true
    keys = ref_labels.reshape(-1, 1) if ref_labels.dim() == 1 else ref_labels
    positive = query == keys.T
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(query.numel(), keys.numel(), dtype=torch.bool, device=positive.device)
        positive = positive & ~eye
    pos_weights = torch.clamp_min((margin + distances) * positive.to(distances.dtype), 0.0)
    neg_weights = torch.clamp_min((1 + margin - distances) * negative.to(distances.dtype), 0.0)
    pos_terms = -1 * gamma * pos_weights * (margin - distances)
    neg_terms = gamma * neg_weights * ((1 - margin) - distances)
    p_loss = torch.logsumexp(torch.where(positive, pos_terms, float("-inf")), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg_terms, float("-inf")), dim=1)
    result = F.softplus(p_loss + n_loss)
    result._keras_mask = result > 0
    return result


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> torch.Tensor:
    """``(1 - p_true**q) / q`` with integer labels: robust to label noise for 0 < q < 1."""
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true, device=y_pred.device)
    p = y_pred.gather(-1, y_true.long().unsqueeze(-1)).squeeze(-1)  # no one_hot range check
    return (1 - torch.pow(p, q)) / q


# ------------------------------------------------------------------------------ Loss objects


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample values, ``__call__`` weights and
    reduces them (``reduction``: ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``,
    ``"mean_with_sample_weight"``, ``"none"``/``None``; Keras 2's ``"auto"`` is accepted)."""

    def __init__(
        self,
        name: Optional[str] = None,
        reduction: Optional[str] = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        self.name = name or backend.unique_object_name(backend.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = backend.standardize_dtype(dtype)
        self._torch_dtype = backend.torch_dtype(self._dtype)

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        in_mask = getattr(y_pred, "_keras_mask", None)
        dtype = self._torch_dtype
        if isinstance(y_pred, torch.Tensor):  # the common case, without walking structures
            y_pred = as_tensor(y_pred, dtype)
            y_true = as_tensor(y_true, dtype, y_pred.device)
        else:
            y_pred = tree.map_structure(lambda x: as_tensor(x, dtype), y_pred)
            device = next((x.device for x in tree.flatten(y_pred)), None)
            y_true = tree.map_structure(lambda x: as_tensor(x, dtype, device), y_true)
        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        if in_mask is not None and out_mask is not None:
            mask = in_mask.bool() & out_mask.bool()
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction, dtype)

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A loss function (built-in or the user's) as a ``Loss`` object, with fixed keyword
    arguments. Ranks are aligned first (``(N,)`` labels with ``(N, 1)`` outputs)."""

    def __init__(
        self,
        fn: Callable,
        reduction: Optional[str] = "sum_over_batch_size",
        name: Optional[str] = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> LossFunctionWrapper:
        config = dict(config)
        fn = config.pop("fn")
        return cls(get(fn) if not callable(fn) else fn, **config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A Keras loss class over one loss function; ``_params`` are its configurable arguments.

    ``_params_if_set`` are arguments Keras 3 leaves out of the config (so a non-default value
    is lost on reload there); they are written only when not at their default, which keeps
    default configs identical to Keras 3's and still loads in it.
    """

    _fn: Callable
    _params: tuple = ()
    _params_if_set: dict = {}

    def __init__(
        self,
        reduction: Optional[str] = "sum_over_batch_size",
        name: Optional[str] = None,
        dtype: Any = None,
        **params: Any,
    ) -> None:
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **params)
        for key, value in params.items():
            setattr(self, key, value)

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._params})
        config.update(
            {
                key: getattr(self, key)
                for key, default in self._params_if_set.items()
                if getattr(self, key) != default
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        config = dict(config)
        config.pop("fn", None)  # tf.keras' newer saving format records the function of built-ins
        return cls(**config)


def _loss_class(class_name: str, fn: Callable) -> type[_BuiltinLoss]:
    """The Keras loss class over ``fn`` that has no arguments but ``Loss``' own.

    Keras spells each of these out as ``__init__(reduction="sum_over_batch_size", name=<the
    function's name>, dtype=None)``; this writes that constructor once, with the class' own
    default ``name`` in its signature, so positional calls and ``inspect`` see Keras' one.
    """
    default_name = fn.__name__

    def __init__(
        self,
        reduction: Optional[str] = "sum_over_batch_size",
        name: str = default_name,
        dtype: Any = None,
    ) -> None:
        _BuiltinLoss.__init__(self, reduction, name, dtype)

    __init__.__qualname__ = f"{class_name}.__init__"
    body = {"__module__": __name__, "__qualname__": class_name, "_fn": staticmethod(fn)}
    return type(class_name, (_BuiltinLoss,), {**body, "__init__": __init__})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error)
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error)
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error
)
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error
)
LogCosh = _loss_class("LogCosh", log_cosh)
Hinge = _loss_class("Hinge", hinge)
SquaredHinge = _loss_class("SquaredHinge", squared_hinge)
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge)
KLDivergence = _loss_class("KLDivergence", kl_divergence)
Poisson = _loss_class("Poisson", poisson)
CTC = _loss_class("CTC", ctc)


class CosineSimilarity(_BuiltinLoss):
    _fn = staticmethod(cosine_similarity)
    _params_if_set = {"axis": -1}

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(reduction, name, dtype, axis=axis)


class Huber(_BuiltinLoss):
    _fn = staticmethod(huber)
    _params_if_set = {"delta": 1.0}

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction, name, dtype, delta=delta)


class BinaryCrossentropy(_BuiltinLoss):
    _fn = staticmethod(binary_crossentropy)
    _params = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction, name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
            axis=axis,
        )  # fmt: skip


class BinaryFocalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(binary_focal_crossentropy)
    _params = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction, name, dtype, apply_class_balancing=apply_class_balancing, alpha=alpha,
            gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class CategoricalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(categorical_crossentropy)
    _params = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction, name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
            axis=axis,
        )  # fmt: skip


class CategoricalFocalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(categorical_focal_crossentropy)
    _params = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction, name, dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class SparseCategoricalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(sparse_categorical_crossentropy)
    _params = ("from_logits", "ignore_class")
    _params_if_set = {"axis": -1}

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction, name, dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )


class Dice(_BuiltinLoss):
    _fn = staticmethod(dice)
    _params = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction, name, dtype, axis=axis)


class Tversky(_BuiltinLoss):
    _fn = staticmethod(tversky)
    _params = ("alpha", "beta", "axis")

    def __init__(
        self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None,
        dtype=None,
    ):  # fmt: skip
        super().__init__(reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(_BuiltinLoss):
    _fn = staticmethod(circle)
    _params = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
        name="circle", dtype=None,
    ):  # fmt: skip
        super().__init__(
            reduction, name, dtype, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal
        )


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    _fn = staticmethod(categorical_generalized_cross_entropy)
    _params = ("q",)

    def __init__(
        self, q=0.5, reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy", dtype=None,
    ):  # fmt: skip
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(reduction, name, dtype, q=q)


# ------------------------------------------------------------------------- lookup by name

_FUNCTIONS = (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    huber,
    log_cosh,
    kl_divergence,
    poisson,
    hinge,
    squared_hinge,
    categorical_hinge,
    ctc,
    dice,
    tversky,
    circle,
    categorical_generalized_cross_entropy,
)
_CLASSES = (
    Loss,
    LossFunctionWrapper,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    CTC,
    Dice,
    Tversky,
    Circle,
    CategoricalGeneralizedCrossEntropy,
)

# Keras 2 / tf.keras spellings of the same functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber
bce = BCE = binary_crossentropy

_ALIASES = {
    "mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape,
    "msle": msle, "MSLE": msle, "kld": kld, "KLD": kld, "bce": bce, "BCE": bce,
    "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh, "huber_loss": huber,
}  # fmt: skip

ALL_OBJECTS: dict[str, Any] = {
    **{obj.__name__: obj for obj in _CLASSES + _FUNCTIONS},
    **_ALIASES,
}
_FUNCTION_NAMES = {fn: fn.__name__ for fn in _FUNCTIONS}


def _lookup(name: str, custom_objects: Optional[dict] = None) -> Any:
    found = registry.get_registered_object(name, custom_objects)
    if inspect.isclass(found) and issubclass(found, torch.nn.Module):
        found = None  # a layer of that name, not a loss
    if found is None:
        found = ALL_OBJECTS.get(name)
    if found is None:
        raise ValueError(f"Could not interpret loss identifier: {name}")
    return found


def serialize(loss: Any) -> Any:
    """A ``Loss`` as ``{"class_name", "config"}``, a function as its name (tf.keras' form,
    which Keras 3 reads too)."""
    if loss is None:
        return None
    if isinstance(loss, Loss):
        name = getattr(type(loss), "_registered_name", type(loss).__name__)
        return {"class_name": name, "config": loss.get_config()}
    if loss in _FUNCTION_NAMES:
        return _FUNCTION_NAMES[loss]
    return getattr(loss, "_registered_name", getattr(loss, "__name__", loss))


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """Reads names, tf.keras ``{"class_name", "config"}`` and Keras 3 dicts (with ``module``,
    and ``class_name: "function"`` for functions)."""
    if isinstance(config, str):
        found = _lookup(config, custom_objects)
        return found() if inspect.isclass(found) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret loss identifier: {config}")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        registered = config.get("registered_name")
        return _lookup(inner if registered in (None, "function") else registered, custom_objects)
    cls = _lookup(config.get("registered_name") or class_name, custom_objects)
    if not inspect.isclass(cls):
        return cls
    if isinstance(inner, dict) and isinstance(inner.get("fn"), dict):
        inner = {**inner, "fn": deserialize(inner["fn"], custom_objects)}
    return cls.from_config(inner or {})


def get(identifier: Any) -> Any:
    """A ``Loss`` object or a loss function from a name, a config dict, a class or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _lookup(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"Could not interpret loss identifier: {identifier}")
    return obj
