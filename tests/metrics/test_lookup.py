"""Metrics by name, (de)serialization, and 'accuracy' resolution."""

import pytest

from kerasish import losses, metrics


@pytest.mark.parametrize(
    "name, cls, default_name",
    [
        ("mse", metrics.MeanSquaredError, "mean_squared_error"),
        ("MAE", metrics.MeanAbsoluteError, "mean_absolute_error"),
        ("binary_accuracy", metrics.BinaryAccuracy, "binary_accuracy"),
        ("auc", metrics.AUC, "auc"),
        ("AUC", metrics.AUC, "auc"),
        ("accuracy", metrics.Accuracy, "accuracy"),
        ("root_mean_squared_error", metrics.RootMeanSquaredError, "root_mean_squared_error"),
    ],
)
def test_names_give_metric_objects(name, cls, default_name):
    metric = metrics.get(name)
    assert type(metric) is cls and metric.name == default_name


@pytest.mark.parametrize(
    "name, fn",
    [
        ("huber", losses.huber), ("logcosh", losses.log_cosh), ("kld", losses.kl_divergence),
        ("kullback_leibler_divergence", losses.kl_divergence),
        ("categorical_focal_crossentropy", losses.categorical_focal_crossentropy),
    ],
)  # fmt: skip
def test_every_loss_name_is_usable_as_a_metric(name, fn):
    assert metrics.get(name) is fn


def test_objects_classes_and_none():
    auc = metrics.AUC()
    assert metrics.get(auc) is auc
    assert isinstance(metrics.get(metrics.Precision), metrics.Precision)
    assert metrics.get(losses.hinge) is losses.hinge
    assert metrics.get(None) is None


def test_unknown_names_are_named_in_the_error():
    with pytest.raises(ValueError, match="accurcy"):
        metrics.get("accurcy")
    with pytest.raises(ValueError, match="Conv2D"):
        metrics.get("Conv2D")


def test_round_trip():
    auc = metrics.AUC(curve="PR", num_thresholds=50, name="pr")
    config = metrics.serialize(auc)
    assert config["class_name"] == "AUC" and config["config"]["num_thresholds"] == 50
    assert metrics.deserialize(config).get_config() == auc.get_config()
    assert metrics.serialize(metrics.binary_accuracy) == "binary_accuracy"
    assert metrics.serialize(losses.mse) == "mean_squared_error"


def test_tf_keras_compile_configs_load():
    # tf.keras saved 'accuracy' as a MeanMetricWrapper over a function named in "fn".
    wrapper = metrics.deserialize(
        {"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "binary_accuracy"}}
    )
    assert isinstance(wrapper, metrics.MeanMetricWrapper)
    assert wrapper._fn is metrics.binary_accuracy and wrapper.name == "accuracy"
    accuracy = metrics.get({"class_name": "BinaryAccuracy", "config": {"name": "acc", "dtype": "float32", "threshold": 0.5}})
    assert isinstance(accuracy, metrics.BinaryAccuracy) and accuracy.name == "acc"


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((32, 1), (32, 1), metrics.BinaryAccuracy),
        ((32,), (32, 1), metrics.BinaryAccuracy),
        ((32,), (32, 10), metrics.SparseCategoricalAccuracy),
        ((32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        ((32, 20), (32, 20, 10), metrics.SparseCategoricalAccuracy),
        ((32, 10), (32, 10), metrics.CategoricalAccuracy),
        ((None, 10), (None, 10), metrics.CategoricalAccuracy),
    ],
)
def test_accuracy_follows_keras_3_shape_rule(y_true_shape, y_pred_shape, expected):
    for name in ("accuracy", "acc", "ACC"):
        metric = metrics.resolve_accuracy(name, y_true_shape, y_pred_shape)
        assert type(metric) is expected and metric.name == name


def test_shape_rule_wins_over_the_loss_when_shapes_decide():
    metric = metrics.resolve_accuracy("accuracy", (8, 3), (8, 3), loss="sparse_categorical_crossentropy")
    assert type(metric) is metrics.CategoricalAccuracy


@pytest.mark.parametrize(
    "loss, expected",
    [
        (None, metrics.CategoricalAccuracy),  # Keras 3's answer for a rank-1 output
        ("binary_crossentropy", metrics.BinaryAccuracy),
        (losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
        (losses.LossFunctionWrapper(losses.binary_focal_crossentropy), metrics.BinaryAccuracy),
        (losses.SparseCategoricalCrossentropy(), metrics.SparseCategoricalAccuracy),
        (losses.categorical_crossentropy, metrics.CategoricalAccuracy),
        ("mse", metrics.CategoricalAccuracy),
    ],
)
def test_loss_decides_for_rank_one_outputs(loss, expected):
    assert type(metrics.resolve_accuracy("acc", (8,), (8,), loss=loss)) is expected


def test_crossentropy_resolves_like_tf_keras():
    metric = metrics.resolve_accuracy("ce", (8, 1), (8, 1))
    assert type(metric) is metrics.BinaryCrossentropy and metric.name == "ce"
    assert type(metrics.resolve_accuracy("crossentropy", (8,), (8, 4))) is metrics.SparseCategoricalCrossentropy
    assert type(metrics.resolve_accuracy("crossentropy", (8, 4), (8, 4))) is metrics.CategoricalCrossentropy


def test_other_names_are_refused():
    with pytest.raises(ValueError, match="'mse'"):
        metrics.resolve_accuracy("mse", (8, 1), (8, 1))
