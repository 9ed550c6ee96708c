"""Every metric side by side with Keras 3 (torch backend): several weighted updates, the result
after each, a reset, one more update; configs; names; and ``'accuracy'`` resolution."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import metrics

N = 8


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """The shared fixture's ``gc.collect()`` costs ~0.7 s a test; names are all that matter here."""
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


def _batch(rng, kind):
    """(y_true, y_pred) numpy arrays of one kind."""
    if kind == "values":
        return None, rng.normal(size=(N, 3)).astype("float32")
    if kind == "binary":
        y_pred = rng.uniform(size=(N, 1)).astype("float32")
        y_pred[0, 0], y_pred[1, 0] = 0.0, 1.0
        return (rng.uniform(size=(N, 1)) > 0.5).astype("float32"), y_pred
    if kind == "binary_flat":
        return (rng.uniform(size=N) > 0.5).astype("float32"), rng.uniform(size=(N, 1)).astype("float32")
    if kind == "logits":
        return (rng.uniform(size=(N, 1)) > 0.5).astype("float32"), rng.normal(0, 2, (N, 1)).astype("float32")
    if kind == "multilabel":
        y_pred = np.round(rng.uniform(size=(N, 3)), 2).astype("float32")
        return (rng.uniform(size=(N, 3)) > 0.5).astype("float32"), y_pred
    if kind == "categorical":
        return np.eye(5, dtype="float32")[rng.integers(0, 5, N)], rng.uniform(size=(N, 5)).astype("float32")
    if kind == "sparse":
        return rng.integers(0, 5, N).astype("float32"), rng.uniform(size=(N, 5)).astype("float32")
    if kind == "sparse_column":
        return rng.integers(0, 5, (N, 1)).astype("int64"), rng.uniform(size=(N, 5)).astype("float32")
    if kind == "sorted_ids":
        ids = np.argsort(-rng.uniform(size=(N, 5)), axis=1).astype("float32")
        return rng.integers(0, 5, N).astype("float32"), ids
    if kind == "regression":
        return rng.normal(size=(N, 3)).astype("float32"), rng.normal(size=(N, 3)).astype("float32")
    if kind == "positive":
        return rng.uniform(0.1, 2, (N, 3)).astype("float32"), rng.uniform(0.1, 2, (N, 3)).astype("float32")
    if kind == "distribution":
        a, b = rng.uniform(size=(N, 4)), rng.uniform(size=(N, 4))
        return (a / a.sum(1, keepdims=True)).astype("float32"), (b / b.sum(1, keepdims=True)).astype("float32")
    if kind == "classes":
        return rng.integers(0, 3, N).astype("float32"), rng.integers(0, 3, N).astype("float32")
    if kind == "segmentation":
        return rng.integers(0, 4, (2, 3, 3)).astype("int64"), rng.integers(0, 4, (2, 3, 3)).astype("int64")
    if kind == "onehot_segmentation":
        return (np.eye(3, dtype="float32")[rng.integers(0, 3, (N,))],
                rng.uniform(size=(N, 3)).astype("float32"))  # fmt: skip
    raise AssertionError(kind)


# (class name, kwargs, data kind, sample weight shape or None for unweighted only)
CASES = [
    ("Mean", {}, "values", (N,)),
    ("Mean", {}, "values", (N, 3)),
    ("Sum", {}, "values", (N,)),
    ("Accuracy", {}, "classes", (N,)),
    ("BinaryAccuracy", {}, "binary", (N,)),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_flat", (N, 1)),
    ("CategoricalAccuracy", {}, "categorical", (N,)),
    ("SparseCategoricalAccuracy", {}, "sparse", (N,)),
    ("SparseCategoricalAccuracy", {}, "sparse_column", (N, 1)),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical", (N,)),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", (N,)),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_column", (N,)),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids", (N,)),
    ("AUC", {}, "binary", (N,)),
    ("AUC", {"curve": "PR"}, "binary", (N,)),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "binary", (N,)),
    ("AUC", {"summation_method": "minoring", "num_thresholds": 13}, "binary", (N,)),
    ("AUC", {"curve": "PRGAIN"}, "binary", (N,)),
    ("AUC", {"from_logits": True}, "logits", (N,)),
    ("AUC", {"thresholds": [0.2, 0.45, 0.8]}, "binary", (N,)),
    ("AUC", {"multi_label": True}, "multilabel", (N,)),
    ("AUC", {"multi_label": True, "num_labels": 3, "label_weights": [0.2, 1.0, 0.5]}, "multilabel", (N,)),
    ("AUC", {"multi_label": True, "curve": "PR"}, "multilabel", None),
    ("AUC", {"label_weights": [0.3, 1.0, 2.0]}, "multilabel", (N,)),
    ("Precision", {}, "binary", (N,)),
    ("Precision", {"thresholds": [0.3, 0.5, 0.7]}, "multilabel", (N,)),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "multilabel", (N,)),
    ("Precision", {"top_k": 2}, "categorical", (N,)),
    ("Precision", {"class_id": 1}, "multilabel", (N,)),
    ("Recall", {}, "binary", (N,)),
    ("Recall", {"thresholds": [0.25, 0.5]}, "multilabel", (N,)),
    ("Recall", {"top_k": 1, "class_id": 2}, "categorical", (N,)),
    ("TruePositives", {}, "binary", (N,)),
    ("FalsePositives", {"thresholds": [0.2, 0.6]}, "multilabel", (N,)),
    ("TrueNegatives", {}, "multilabel", (N,)),
    ("FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "binary", (N,)),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", (N,)),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6, "num_thresholds": 20}, "binary", (N,)),
    ("PrecisionAtRecall", {"recall": 0.5}, "multilabel", (N,)),
    ("RecallAtPrecision", {"precision": 0.4, "class_id": 0}, "multilabel", None),
    ("MeanSquaredError", {}, "regression", (N,)),
    ("MeanAbsoluteError", {}, "regression", (N,)),
    ("MeanAbsolutePercentageError", {}, "regression", (N,)),
    ("MeanSquaredLogarithmicError", {}, "positive", (N,)),
    ("RootMeanSquaredError", {}, "regression", (N,)),
    ("CosineSimilarity", {}, "regression", (N,)),
    ("LogCoshError", {}, "regression", (N,)),
    ("R2Score", {}, "regression", (N,)),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression", (N,)),
    ("R2Score", {"class_aggregation": None, "num_regressors": 2}, "regression", None),
    ("Hinge", {}, "binary", (N,)),
    ("SquaredHinge", {}, "regression", (N,)),
    ("CategoricalHinge", {}, "categorical", (N,)),
    ("KLDivergence", {}, "distribution", (N,)),
    ("Poisson", {}, "positive", (N,)),
    ("BinaryCrossentropy", {}, "binary", (N,)),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits", (N,)),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "categorical", (N,)),
    ("SparseCategoricalCrossentropy", {}, "sparse", (N,)),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse_column", (N,)),
    ("MeanIoU", {"num_classes": 3}, "classes", (N,)),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 0, "dtype": "float32"}, "segmentation", None),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "classes", None),
    ("BinaryIoU", {"threshold": 0.4}, "binary", None),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [1]}, "onehot_segmentation", None),
    ("OneHotMeanIoU", {"num_classes": 3}, "onehot_segmentation", None),
    ("F1Score", {}, "multilabel", (N,)),
    ("F1Score", {"average": "macro", "threshold": 0.5}, "multilabel", (N,)),
    ("FBetaScore", {"average": "weighted", "beta": 2.0}, "multilabel", (N,)),
    ("FBetaScore", {"average": "micro", "beta": 0.5, "threshold": 0.4}, "multilabel", None),
    ("PearsonCorrelation", {}, "regression", (N,)),
    ("ConcordanceCorrelation", {}, "regression", (N,)),
]


def _update(metric, y_true, y_pred, weight, torch_inputs):
    convert = torch.from_numpy if torch_inputs else (lambda a: a)
    args = (convert(y_pred),) if y_true is None else (convert(y_true), convert(y_pred))
    kwargs = {} if weight is None else {"sample_weight": convert(weight)}
    metric.update_state(*args, **kwargs)


def _value(result):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(result))


@pytest.mark.parametrize("name, kwargs, kind, weight_shape", CASES)
def test_updates_results_and_reset(rng, name, kwargs, kind, weight_shape):
    import keras

    reference = getattr(keras.metrics, name)(**kwargs)
    ours = getattr(metrics, name)(**kwargs)
    atol = 1e-5
    for step in range(4):
        y_true, y_pred = _batch(rng, kind)
        weight = None
        if weight_shape is not None and step != 1:  # one unweighted update among weighted ones
            weight = rng.uniform(0.0, 2.0, weight_shape).astype("float32")
        if step == 3:
            reference.reset_state()
            ours.reset_state()
            np.testing.assert_allclose(ours.result().numpy(), _value(reference.result()), atol=atol)
        _update(reference, y_true, y_pred, weight, torch_inputs=False)
        _update(ours, y_true, y_pred, weight, torch_inputs=True)
        received = ours.result()
        assert isinstance(received, torch.Tensor)
        np.testing.assert_allclose(
            received.numpy(), _value(reference.result()), atol=atol, rtol=1e-5, err_msg=f"step {step}"
        )


@pytest.mark.parametrize("name, kwargs, kind, weight_shape", CASES)
def test_configs(name, kwargs, kind, weight_shape):
    import keras

    reference = getattr(keras.metrics, name)(**kwargs).get_config()
    ours = getattr(metrics, name)(**kwargs).get_config()
    assert getattr(metrics, name).from_config(ours).get_config() == ours
    if "label_weights" in reference and reference["label_weights"] is not None:
        reference["label_weights"] = _value(reference["label_weights"]).tolist()
        np.testing.assert_allclose(ours.pop("label_weights"), reference.pop("label_weights"))
    assert ours == reference


def test_mean_metric_wrapper_of_any_function(rng):
    import keras

    y_true, y_pred = _batch(rng, "regression")
    weight = rng.uniform(size=N).astype("float32")
    reference = keras.metrics.MeanMetricWrapper(keras.losses.huber, name="h", delta=0.5)
    ours = metrics.MeanMetricWrapper(kerasish.losses.huber, name="h", delta=0.5)
    for w in (weight, None):
        reference.update_state(y_true, y_pred, sample_weight=w)
        ours.update_state(torch.from_numpy(y_true), torch.from_numpy(y_pred), sample_weight=w)
    np.testing.assert_allclose(ours.result().numpy(), _value(reference.result()), atol=1e-6)
    assert ours.name == reference.name == "h"


def test_names_resolve_to_the_same_classes():
    import keras
    from keras.src.metrics import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        assert metrics.lookup.ALL_OBJECTS[name].__name__ == cls.__name__, name
    for name in ["mse", "mae", "mape", "msle", "bce", "binary_accuracy", "auc", "precision"]:
        assert type(metrics.get(name)).__name__ == type(keras.metrics.get(name)).__name__
        assert metrics.get(name).name == keras.metrics.get(name).name


def test_auto_names_count_like_keras():
    import keras

    assert [metrics.AUC().name for _ in range(3)] == [keras.metrics.AUC().name for _ in range(3)]
    assert metrics.Precision().name == keras.metrics.Precision().name


def test_serialized_metrics_cross_load():
    import keras

    reference = keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="acc", threshold=0.3)
    ours = metrics.deserialize(keras.metrics.serialize(reference))
    assert isinstance(ours, metrics.MeanMetricWrapper)
    assert ours._fn is metrics.binary_accuracy and ours._fn_kwargs == {"threshold": 0.3}
    back = keras.metrics.deserialize(metrics.serialize(metrics.AUC(curve="PR", num_thresholds=50)))
    assert back.get_config() == keras.metrics.AUC(curve="PR", num_thresholds=50, name=back.name).get_config()


# (y_true shape, y_pred shape)
SHAPES = [
    ((4, 1), (4, 1)),
    ((4,), (4, 1)),
    ((4,), (4, 3)),
    ((4, 1), (4, 3)),
    ((4, 3), (4, 3)),
    ((4, 7, 1), (4, 7, 3)),
    ((4, 7), (4, 7, 3)),
    ((4, 7, 3), (4, 7, 3)),
    ((4, 2), (4, 2)),
    ((1,), (1,)),
    ((4,), (4,)),
]


@pytest.mark.parametrize("y_true_shape, y_pred_shape", SHAPES)
@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy"])
def test_resolve_accuracy_matches_keras_compile(name, y_true_shape, y_pred_shape):
    from keras.src.trainers.compile_utils import get_metric

    y_true, y_pred = np.zeros(y_true_shape, "float32"), np.zeros(y_pred_shape, "float32")
    reference = get_metric(name, y_true, y_pred)
    ours = metrics.resolve_accuracy(name, y_true_shape, y_pred_shape)
    assert type(ours).__name__ == type(reference).__name__
    assert ours.name == reference.name == name


def test_compiled_keras_model_resolves_accuracy_as_we_do(rng):
    import keras

    x = rng.normal(size=(6, 4)).astype("float32")
    for units, y in [(1, np.ones((6, 1))), (3, np.zeros((6,))), (3, np.eye(3)[[0, 1, 2, 0, 1, 2]])]:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
        model.compile(loss="mse" if units == 1 or y.ndim == 2 else "sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        model.train_on_batch(x, y)
        reference = [m for m in model.metrics[1].metrics][0]
        ours = metrics.resolve_accuracy("accuracy", y.shape, (6, units))
        assert type(ours).__name__ == type(reference).__name__
