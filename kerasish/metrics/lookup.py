"""Metrics by name, (de)serialization, and ``compile``'s ``'accuracy'`` resolution.

Names resolve as in Keras 3's ``metrics.get``: class names and their snake_case spellings
(``'mse'`` and friends too) give metric *objects*. Beyond Keras 3, every loss function name
(``'huber'``, ``'logcosh'``, ``'kullback_leibler_divergence'``...) and the metric functions
(``'binary_accuracy'``...) resolve to the *function*, as in tf.keras, for the caller to wrap in
a ``MeanMetricWrapper``: Keras 2 code and saved Keras 2 compile configs use those names.
"""

from __future__ import annotations

import inspect
from typing import Any, Optional, Sequence

import torch

from kerasish import backend, losses
from kerasish.metrics import accuracy as acc
from kerasish.metrics import confusion, correlation, f_score, iou, probabilistic, regression
from kerasish.metrics import hinge_metrics as hinge
from kerasish.metrics.base import Metric
from kerasish.metrics.reduction import Mean, MeanMetricWrapper, Sum
from kerasish.saving import registry

_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    regression.MeanSquaredError, regression.RootMeanSquaredError, regression.MeanAbsoluteError,
    regression.MeanAbsolutePercentageError, regression.MeanSquaredLogarithmicError,
    regression.CosineSimilarity, regression.LogCoshError, regression.R2Score,
    confusion.AUC, confusion.FalseNegatives, confusion.FalsePositives, confusion.Precision,
    confusion.PrecisionAtRecall, confusion.Recall, confusion.RecallAtPrecision,
    confusion.SensitivityAtSpecificity, confusion.SpecificityAtSensitivity,
    confusion.TrueNegatives, confusion.TruePositives,
    correlation.ConcordanceCorrelation, correlation.PearsonCorrelation,
    hinge.Hinge, hinge.SquaredHinge, hinge.CategoricalHinge,
    probabilistic.KLDivergence, probabilistic.Poisson, probabilistic.BinaryCrossentropy,
    probabilistic.CategoricalCrossentropy, probabilistic.SparseCategoricalCrossentropy,
    acc.Accuracy, acc.BinaryAccuracy, acc.CategoricalAccuracy, acc.SparseCategoricalAccuracy,
    acc.TopKCategoricalAccuracy, acc.SparseTopKCategoricalAccuracy,
    f_score.F1Score, f_score.FBetaScore,
    iou.IoU, iou.BinaryIoU, iou.MeanIoU, iou.OneHotIoU, iou.OneHotMeanIoU,
)  # fmt: skip

ALL_OBJECTS: dict[str, Any] = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS.update({backend.to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS.update(
    {
        "bce": probabilistic.BinaryCrossentropy, "BCE": probabilistic.BinaryCrossentropy,
        "mse": regression.MeanSquaredError, "MSE": regression.MeanSquaredError,
        "mae": regression.MeanAbsoluteError, "MAE": regression.MeanAbsoluteError,
        "mape": regression.MeanAbsolutePercentageError,
        "MAPE": regression.MeanAbsolutePercentageError,
        "msle": regression.MeanSquaredLogarithmicError,
        "MSLE": regression.MeanSquaredLogarithmicError,
    }
)  # fmt: skip

_METRIC_FUNCTIONS = (
    acc.accuracy,
    acc.binary_accuracy,
    acc.categorical_accuracy,
    acc.sparse_categorical_accuracy,
    acc.top_k_categorical_accuracy,
    acc.sparse_top_k_categorical_accuracy,
    correlation.pearson_correlation,
    correlation.concordance_correlation,
)
FUNCTIONS: dict[str, Any] = {fn.__name__: fn for fn in _METRIC_FUNCTIONS}
FUNCTIONS.update(
    {name: obj for name, obj in losses.ALL_OBJECTS.items() if not inspect.isclass(obj)}
)
_FUNCTION_NAMES = {fn: fn.__name__ for fn in _METRIC_FUNCTIONS}


def _lookup(
    name: str, custom_objects: Optional[dict] = None, functions_first: bool = False
) -> Any:
    found = registry.get_registered_object(name, custom_objects)
    if inspect.isclass(found) and issubclass(found, torch.nn.Module):
        found = None  # a layer of that name, not a metric
    if found is None:
        tables = (FUNCTIONS, ALL_OBJECTS) if functions_first else (ALL_OBJECTS, FUNCTIONS)
        found = tables[0].get(name) or tables[1].get(name)
    if found is None:
        raise ValueError(f"Could not interpret metric identifier: {name}")
    return found


def get_function(identifier: Any, custom_objects: Optional[dict] = None) -> Any:
    """The function a ``MeanMetricWrapper`` config names: ``'binary_accuracy'`` here is the
    function, not the ``BinaryAccuracy`` class its snake_case name also spells."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        registered = identifier.get("registered_name")
        identifier = identifier["config"] if registered in (None, "function") else registered
    if isinstance(identifier, str):
        return _lookup(identifier, custom_objects, functions_first=True)
    return deserialize(identifier, custom_objects)


def get(identifier: Any) -> Any:
    """A ``Metric`` object, or a metric/loss function, from a name, a config, a class or a
    callable. Unknown names raise ``ValueError`` naming them."""
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
    if not callable(obj) and not isinstance(obj, Metric):
        raise ValueError(f"Could not interpret metric identifier: {identifier}")
    return obj


def serialize_function(fn: Any) -> Any:
    if fn in _FUNCTION_NAMES:
        return _FUNCTION_NAMES[fn]
    return losses.serialize(fn)


def serialize(metric: Any) -> Any:
    """A ``Metric`` as tf.keras' ``{"class_name", "config"}``, a function as its name."""
    if metric is None:
        return None
    if isinstance(metric, Metric):
        name = getattr(type(metric), "_registered_name", type(metric).__name__)
        return {"class_name": name, "config": metric.get_config()}
    return serialize_function(metric)


def deserialize(config: Any, custom_objects: Optional[dict] = None) -> Any:
    """Reads names, tf.keras ``{"class_name", "config"}`` and Keras 3 dicts (``module``,
    ``registered_name``, ``class_name: "function"``)."""
    if isinstance(config, str):
        found = _lookup(config, custom_objects)
        return found() if inspect.isclass(found) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret metric identifier: {config}")
    inner = config.get("config", {})
    if config["class_name"] == "function":
        registered = config.get("registered_name")
        return _lookup(inner if registered in (None, "function") else registered, custom_objects)
    cls = _lookup(config.get("registered_name") or config["class_name"], custom_objects)
    if not inspect.isclass(cls):
        return cls
    inner = dict(inner or {})
    if isinstance(inner.get("fn"), (str, dict)):
        inner["fn"] = get_function(inner["fn"], custom_objects)
    return cls.from_config(inner)


# ------------------------------------------------------------- 'accuracy' in compile()

_ACCURACY = {
    "binary": acc.BinaryAccuracy,
    "sparse": acc.SparseCategoricalAccuracy,
    "categorical": acc.CategoricalAccuracy,
}
_CROSSENTROPY = {
    "binary": probabilistic.BinaryCrossentropy,
    "sparse": probabilistic.SparseCategoricalCrossentropy,
    "categorical": probabilistic.CategoricalCrossentropy,
}
_LOSS_KINDS = {
    losses.binary_crossentropy: "binary",
    losses.binary_focal_crossentropy: "binary",
    losses.sparse_categorical_crossentropy: "sparse",
    losses.categorical_crossentropy: "categorical",
    losses.categorical_focal_crossentropy: "categorical",
}


def _loss_kind(loss: Any) -> Optional[str]:
    """'binary', 'sparse' or 'categorical' for a crossentropy loss in any form, else None."""
    if isinstance(loss, str):
        loss = losses.ALL_OBJECTS.get(loss)
    if isinstance(loss, losses.LossFunctionWrapper):
        loss = loss.fn
    elif inspect.isclass(loss) and issubclass(loss, losses.LossFunctionWrapper):
        loss = getattr(loss, "_fn", None)
    return _LOSS_KINDS.get(loss)


def _shape_kind(y_true_shape: Sequence, y_pred_shape: Sequence) -> str:
    """Keras 3's ``is_binary_or_sparse_categorical``, from the first batch's shapes."""
    true_last = y_true_shape[-1] if len(y_true_shape) else None
    pred_last = y_pred_shape[-1] if len(y_pred_shape) else None
    if pred_last == 1:
        return "binary"
    if len(y_true_shape) < len(y_pred_shape) or (
        true_last == 1 and pred_last is not None and pred_last > 1
    ):
        return "sparse"
    return "categorical"


def resolve_accuracy(
    name: str, y_true_shape: Sequence, y_pred_shape: Sequence, loss: Any = None
) -> Metric:
    """The metric ``compile(metrics=[name])`` means for ``'accuracy'``/``'acc'`` (and tf.keras'
    ``'crossentropy'``/``'ce'``), named ``name``.

    Keras 3 decides from the shapes: binary if the output's last dim is 1; sparse if the labels
    have lower rank, or end in 1 while the output does not; else categorical. Where the shapes
    cannot tell, because the output has rank ≤ 1 (its last axis is the batch axis, so Keras 3's
    answer would depend on the batch size) or an unknown last dim, a crossentropy ``loss``
    decides, as in Keras 2.
    """
    key = str(name).lower()
    if key in ("accuracy", "acc"):
        table = _ACCURACY
    elif key in ("crossentropy", "ce"):
        table = _CROSSENTROPY
    else:
        raise ValueError(
            "resolve_accuracy resolves 'accuracy', 'acc', 'crossentropy' or 'ce'. "
            f"Received: {name!r}"
        )
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    ambiguous = len(y_pred_shape) <= 1 or y_pred_shape[-1] is None
    kind = _loss_kind(loss) if ambiguous else None
    kind = kind or _shape_kind(y_true_shape, y_pred_shape)
    return table[kind](name=str(name))
