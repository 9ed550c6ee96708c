"""Threshold metrics: confusion counts, Precision, Recall, the X-at-Y metrics and AUC.

Each keeps per-threshold counts (see ``confusion_matrix.py``) and computes its result from them,
with Keras 3's formulas (``divide_no_nan`` where a count can be zero; AUC's Riemann sums and
the interpolated PR-AUC of Davis & Goadrich).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from kerasish import backend
from kerasish.losses import divide_no_nan
from kerasish.metrics import confusion_matrix as cm
from kerasish.metrics.base import Metric


class _ThresholdMetric(Metric):
    """Holds ``thresholds`` (a Python list, and a tensor on the state's device) and the counts
    named in ``_counts``."""

    _counts: tuple = ()

    def _init_thresholds(self, thresholds: Sequence[float], evenly: bool, shape=None) -> None:
        self.thresholds = list(thresholds)
        self._thresholds_distributed_evenly = evenly
        self._thresholds_with_epsilon = evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
        self._add_constant("thresholds", self.thresholds)
        if shape is not None:
            self._build_counts(shape)

    def _build_counts(self, shape: Sequence[int]) -> None:
        names = {
            cm.TRUE_POSITIVES: "true_positives",
            cm.FALSE_POSITIVES: "false_positives",
            cm.TRUE_NEGATIVES: "true_negatives",
            cm.FALSE_NEGATIVES: "false_negatives",
        }
        for key in self._counts:
            setattr(self, names[key], self.add_variable(shape=tuple(shape), name=names[key]))

    def _count_variables(self) -> dict:
        return {
            key: getattr(self, name)
            for key, name in (
                (cm.TRUE_POSITIVES, "true_positives"),
                (cm.FALSE_POSITIVES, "false_positives"),
                (cm.TRUE_NEGATIVES, "true_negatives"),
                (cm.FALSE_NEGATIVES, "false_negatives"),
            )
            if key in self._counts
        }

    def _update(self, y_true, y_pred, sample_weight, **kwargs) -> None:
        cm.update_confusion_matrix_variables(
            self._count_variables(),
            y_true,
            y_pred,
            self._constants["thresholds"],
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            thresholds_with_epsilon=self._thresholds_with_epsilon,
            sample_weight=sample_weight,
            **kwargs,
        )

    def _one_or_all(self, values: torch.Tensor) -> torch.Tensor:
        return values[0] if len(self.thresholds) == 1 else values


class _ConfusionMatrixConditionCount(_ThresholdMetric):
    """One count per threshold, of the condition its subclass names (``_counts``); Keras gives
    all four the same arguments."""

    def __init__(
        self, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        parsed = cm.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._init_thresholds(parsed, cm.is_evenly_distributed_thresholds(parsed))
        self.accumulator = self.add_variable(shape=(len(parsed),), name="accumulator")

    def _count_variables(self) -> dict:
        return {self._counts[0]: self.accumulator}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        self._update(y_true, y_pred, sample_weight)

    def result(self) -> torch.Tensor:
        return self._one_or_all(self.accumulator.value)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class FalsePositives(_ConfusionMatrixConditionCount):
    _counts = (cm.FALSE_POSITIVES,)


class FalseNegatives(_ConfusionMatrixConditionCount):
    _counts = (cm.FALSE_NEGATIVES,)


class TrueNegatives(_ConfusionMatrixConditionCount):
    _counts = (cm.TRUE_NEGATIVES,)


class TruePositives(_ConfusionMatrixConditionCount):
    _counts = (cm.TRUE_POSITIVES,)


class _PrecisionRecallBase(_ThresholdMetric):
    def __init__(
        self,
        thresholds: Any = None,
        top_k: Optional[int] = None,
        class_id: Optional[int] = None,
        name: Optional[str] = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else cm.NEG_INF
        parsed = cm.parse_init_thresholds(thresholds, default_threshold=default)
        self._init_thresholds(
            parsed, cm.is_evenly_distributed_thresholds(parsed), shape=(len(parsed),)
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        self._update(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """``tp / (tp + fp)`` per threshold (a scalar for one threshold)."""

    _counts = (cm.TRUE_POSITIVES, cm.FALSE_POSITIVES)

    def result(self) -> torch.Tensor:
        tp = self.true_positives.value
        return self._one_or_all(divide_no_nan(tp, tp + self.false_positives.value))


class Recall(_PrecisionRecallBase):
    """``tp / (tp + fn)`` per threshold (a scalar for one threshold)."""

    _counts = (cm.TRUE_POSITIVES, cm.FALSE_NEGATIVES)

    def result(self) -> torch.Tensor:
        tp = self.true_positives.value
        return self._one_or_all(divide_no_nan(tp, tp + self.false_negatives.value))


_ALL_COUNTS = (cm.TRUE_POSITIVES, cm.FALSE_POSITIVES, cm.TRUE_NEGATIVES, cm.FALSE_NEGATIVES)


class SensitivitySpecificityBase(_ThresholdMetric):
    """The best ``dependent`` rate among thresholds where ``constrained >= value``.

    A built-in subclass names its constrained rate (``_value_name``, also its argument's name)
    and its ``_dependent`` rate; a subclass that names no ``_dependent`` writes its own
    ``result``, as with Keras' base.
    """

    _counts = _ALL_COUNTS
    _value_name = "value"
    _dependent: Optional[str] = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None) -> None:
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._value_name}` must be in the range [0, 1]. "
                f"Received: {self._value_name}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        setattr(self, self._value_name, value)
        if num_thresholds == 1:
            thresholds, evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            thresholds, evenly = [0.0] + inner + [1.0], True
        self._init_thresholds(thresholds, evenly, shape=(len(thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        self._update(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rates(self) -> dict:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),
            "recall": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _find_max_under_constraint(self, constrained, dependent) -> torch.Tensor:
        feasible = constrained >= self.value
        return torch.clamp_min(torch.where(feasible, dependent, 0.0).amax(), 0.0)

    def result(self) -> torch.Tensor:
        if self._dependent is None:
            return super().result()
        rates = self._rates()
        return self._find_max_under_constraint(rates[self._value_name], rates[self._dependent])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: self.value,
        }


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    _value_name = "specificity"
    _dependent = "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    _value_name = "sensitivity"
    _dependent = "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(SensitivitySpecificityBase):
    _value_name = "recall"
    _dependent = "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(SensitivitySpecificityBase):
    _value_name = "precision"
    _dependent = "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(_ThresholdMetric):
    """Area under the ROC or PR curve from ``num_thresholds`` confusion counts.

    Thresholds are ``[-eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps]``, so predictions of exactly 0 or
    1 fall inside. ``multi_label=True`` keeps counts per label (built from the first batch
    unless ``num_labels`` is given) and averages the per-label areas.
    """

    _counts = _ALL_COUNTS

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: Optional[str] = None,
        dtype: Any = None,
        thresholds: Optional[Sequence[float]] = None,
        multi_label: bool = False,
        num_labels: Optional[int] = None,
        label_weights: Optional[Sequence[float]] = None,
        from_logits: bool = False,
    ) -> None:
        curve_key = str(getattr(curve, "value", curve))
        if curve_key.lower() not in _CURVES:
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        summation = str(getattr(summation_method, "value", summation_method)).lower()
        if summation not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected values '
                'are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(thresholds)
            evenly = cm.is_evenly_distributed_thresholds([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        super().__init__(name=name, dtype=dtype)
        self.curve = _CURVES[curve_key.lower()]
        self.summation_method = summation
        self.multi_label = multi_label
        self.num_labels = num_labels
        self._from_logits = from_logits
        self._label_weights_config = None if label_weights is None else list(label_weights)
        if label_weights is not None:
            self._add_constant("label_weights", self._label_weights_config)
        eps = backend.epsilon()
        self._init_thresholds([0.0 - eps] + inner + [1.0 + eps], evenly)
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def label_weights(self) -> Optional[torch.Tensor]:
        return self._constants.get("label_weights")

    def _build(self, shape: Optional[Sequence[Optional[int]]]) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            self._build_counts((self.num_thresholds, self._num_labels))
        else:
            self._build_counts((self.num_thresholds,))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = torch.sigmoid(torch.as_tensor(y_pred))
        self._update(
            y_true,
            y_pred,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average_over_labels(self, terms: torch.Tensor) -> torch.Tensor:
        if not self.multi_label:
            return terms.sum()
        by_label = terms.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        weights = self.label_weights
        return divide_no_nan((by_label * weights).sum(), weights.sum())

    def interpolate_pr_auc(self) -> torch.Tensor:
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006)."""
        tp, fp, fn = (
            self.true_positives.value,
            self.false_positives.value,
            self.false_negatives.value,
        )
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = divide_no_nan(dtp, torch.clamp_min(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            (p[:-1] > 0) & (p[1:] > 0),
            divide_no_nan(p[:-1], torch.clamp_min(p[1:], 0)),
            torch.ones_like(p[1:]),
        )
        increment = divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            torch.clamp_min(tp[1:] + fn[1:], 0),
        )
        return self._average_over_labels(increment)

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scaling = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * divide_no_nan(fp, tp)
            recall_gain = torch.where(tp == 0.0, 0.0, recall_gain)
            precision_gain = torch.where(tp == 0.0, 1.0, precision_gain)
            x, y = torch.clamp_min(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average_over_labels((x[:-1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self._label_weights_config,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
