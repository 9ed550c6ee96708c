"""Every loss side by side with Keras 3 (torch backend): functions, classes, reductions,
sample weights, label smoothing, logits, saturated probabilities, masks, configs."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import losses


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """The shared fixture's ``gc.collect()`` costs ~0.7 s a test; names are all that matter here."""
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield

N = 6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def _probabilities(rng, shape, saturate=True):
    p = rng.uniform(0.0, 1.0, shape).astype("float32")
    if saturate:  # exact 0 and 1, where clipping at epsilon decides the value
        p[0, 0], p[1, -1] = 0.0, 1.0
    return p


def _data(rng, kind):
    """(y_true, y_pred) numpy arrays for one kind of loss."""
    if kind == "binary":
        return (rng.uniform(size=(N, 3)) > 0.5).astype("float32"), _probabilities(rng, (N, 3))
    if kind == "binary_logits":
        return (rng.uniform(size=(N, 3)) > 0.5).astype("float32"), rng.normal(0, 3, (N, 3)).astype("float32")
    if kind == "categorical":
        y_pred = _probabilities(rng, (N, 4), saturate=False)
        y_pred[2] = [0.0, 1.0, 0.0, 0.0]  # a saturated row
        return np.eye(4, dtype="float32")[rng.integers(0, 4, N)], y_pred
    if kind == "categorical_logits":
        return np.eye(4, dtype="float32")[rng.integers(0, 4, N)], rng.normal(0, 3, (N, 4)).astype("float32")
    if kind == "sparse":
        y_pred = _probabilities(rng, (N, 4), saturate=False)
        y_pred[2] = [0.0, 1.0, 0.0, 0.0]
        return rng.integers(0, 4, N).astype("float32"), y_pred
    if kind == "sparse_column":
        return rng.integers(0, 4, (N, 1)).astype("int64"), rng.normal(0, 3, (N, 4)).astype("float32")
    if kind == "regression":
        return rng.normal(size=(N, 3)).astype("float32"), rng.normal(size=(N, 3)).astype("float32")
    if kind == "positive":
        return rng.uniform(0, 2, (N, 3)).astype("float32"), rng.uniform(0, 2, (N, 3)).astype("float32")
    if kind == "distribution":
        a, b = rng.uniform(0, 1, (N, 4)), rng.uniform(0, 1, (N, 4))
        return (a / a.sum(1, keepdims=True)).astype("float32"), (b / b.sum(1, keepdims=True)).astype("float32")
    if kind == "hinge":
        return (rng.uniform(size=(N, 3)) > 0.5).astype("float32"), rng.normal(size=(N, 3)).astype("float32")
    if kind == "hinge_signed":
        return np.sign(rng.normal(size=(N, 3))).astype("float32"), rng.normal(size=(N, 3)).astype("float32")
    raise AssertionError(kind)


# (class name, constructor kwargs, data kind)
CASES = [
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("CategoricalFocalCrossentropy", {}, "categorical"),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1}, "categorical"),
    ("CategoricalFocalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_column"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, "sparse_column"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.3}, "regression"),
    ("LogCosh", {}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
    ("Hinge", {}, "hinge"),
    ("Hinge", {}, "hinge_signed"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "categorical"),
    ("Dice", {}, "binary"),
    ("Dice", {"axis": 1}, "binary"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": 1}, "binary"),
    ("Tversky", {}, "binary"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.3}, "sparse"),
]


def _keras_value(x):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize("name, kwargs, kind", CASES)
def test_loss_classes_every_reduction(rng, name, kwargs, kind):
    import keras

    y_true, y_pred = _data(rng, kind)
    weights = rng.uniform(0.0, 2.0, N).astype("float32")
    for reduction in REDUCTIONS:
        reference = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        for sample_weight in (None, weights):
            ours_weight = None if sample_weight is None else torch.from_numpy(sample_weight)
            inputs = (torch.from_numpy(y_true), torch.from_numpy(y_pred))
            try:
                expected = _keras_value(reference(y_true, y_pred, sample_weight=sample_weight))
            except Exception as err:  # e.g. weights that cannot broadcast: we must fail too
                with pytest.raises(type(err)):
                    ours(*inputs, sample_weight=ours_weight)
                continue
            received = ours(*inputs, sample_weight=ours_weight)
            assert isinstance(received, torch.Tensor)
            np.testing.assert_allclose(
                received.numpy(), expected, atol=1e-5, rtol=1e-6, err_msg=f"{reduction}"
            )


@pytest.mark.parametrize("name, kwargs, kind", CASES)
def test_loss_configs(name, kwargs, kind):
    import keras

    reference = getattr(keras.losses, name)(**kwargs).get_config()
    ours = getattr(losses, name)(**kwargs).get_config()
    # Keras 3 drops Huber's delta and CosineSimilarity's axis; we keep non-default ones.
    extras = {key: ours.pop(key) for key in set(ours) - set(reference)}
    assert ours == reference
    assert extras == {key: kwargs[key] for key in ("delta", "axis") if key in kwargs and key not in reference}
    rebuilt = getattr(losses, name).from_config({**reference, **extras})
    assert rebuilt.get_config() == {**reference, **extras}
    keras_rebuilt = getattr(keras.losses, name).from_config({**reference, **extras})
    assert keras_rebuilt.get_config() == reference


FUNCTIONS = [
    ("binary_crossentropy", {}, "binary"),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True}, "binary"),
    ("categorical_crossentropy", {}, "categorical"),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical_logits"),
    ("categorical_focal_crossentropy", {"gamma": 3.0}, "categorical"),
    ("sparse_categorical_crossentropy", {}, "sparse"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_column"),
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("huber", {"delta": 0.5}, "regression"),
    ("log_cosh", {}, "regression"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("cosine_similarity", {}, "regression"),
    ("hinge", {}, "hinge"),
    ("squared_hinge", {}, "hinge_signed"),
    ("categorical_hinge", {}, "categorical"),
]


@pytest.mark.parametrize("name, kwargs, kind", FUNCTIONS)
def test_per_sample_functions(rng, name, kwargs, kind):
    import keras

    y_true, y_pred = _data(rng, kind)
    expected = _keras_value(getattr(keras.losses, name)(y_true, y_pred, **kwargs))
    received = getattr(losses, name)(torch.from_numpy(y_true), torch.from_numpy(y_pred), **kwargs)
    assert tuple(received.shape) == expected.shape
    np.testing.assert_allclose(received.numpy(), expected, atol=1e-5, rtol=1e-6)


def test_saturated_probabilities_are_clipped_like_keras():
    import keras

    y_true = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    y_pred = np.array([[0.0, 1.0], [0.0, 1.0]], dtype="float32")
    for name in ("binary_crossentropy", "categorical_crossentropy"):
        expected = _keras_value(getattr(keras.losses, name)(y_true, y_pred))
        received = getattr(losses, name)(torch.from_numpy(y_true), torch.from_numpy(y_pred))
        assert np.isfinite(received.numpy()).all()
        np.testing.assert_allclose(received.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("label_shape", [(N,), (N, 1)])
@pytest.mark.parametrize("pred_shape", [(N,), (N, 1)])
def test_rank_alignment_of_binary_and_regression(rng, label_shape, pred_shape):
    import keras

    y_true = (rng.uniform(size=label_shape) > 0.5).astype("float32")
    y_pred = rng.uniform(0.05, 0.95, pred_shape).astype("float32")
    weights = rng.uniform(size=(N, 1)).astype("float32")
    for name in ("BinaryCrossentropy", "MeanSquaredError", "Hinge"):
        expected = _keras_value(getattr(keras.losses, name)()(y_true, y_pred, sample_weight=weights))
        received = getattr(losses, name)()(
            torch.from_numpy(y_true), torch.from_numpy(y_pred), sample_weight=torch.from_numpy(weights)
        )
        np.testing.assert_allclose(received.numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_keras_mask_on_predictions(rng, reduction):
    import keras

    y_true = rng.normal(size=(2, 5, 3)).astype("float32")
    y_pred = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    weights = rng.uniform(size=(2, 5)).astype("float32")
    for sample_weight in (None, weights):
        reference_pred = torch.from_numpy(y_pred.copy())
        reference_pred._keras_mask = torch.from_numpy(mask)
        expected = _keras_value(
            keras.losses.MeanSquaredError(reduction=reduction)(
                torch.from_numpy(y_true), reference_pred, sample_weight=sample_weight
            )
        )
        our_pred = torch.from_numpy(y_pred.copy())
        our_pred._keras_mask = torch.from_numpy(mask)
        received = losses.MeanSquaredError(reduction=reduction)(
            torch.from_numpy(y_true), our_pred, sample_weight=sample_weight
        )
        np.testing.assert_allclose(received.numpy(), expected, atol=1e-6)


def test_keras_names_resolve_to_the_same_objects():
    import keras

    for name in ["mse", "MSE", "mae", "mape", "msle", "kld", "bce", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "huber",
                 "log_cosh", "poisson", "hinge", "cosine_similarity"]:  # fmt: skip
        assert losses.get(name).__name__ == keras.losses.get(name).__name__
    for name in ["BinaryCrossentropy", "Huber", "CategoricalHinge", "KLDivergence"]:
        assert type(losses.get(name)).__name__ == type(keras.losses.get(name)).__name__
        assert losses.get(name).get_config() == keras.losses.get(name).get_config()


def test_serialized_configs_cross_load(rng):
    import keras

    reference = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    ours = losses.deserialize(keras.losses.serialize(reference))
    assert ours.get_config() == reference.get_config()
    back = keras.losses.deserialize(losses.serialize(ours))
    assert back.get_config() == reference.get_config()
    assert losses.deserialize(keras.losses.serialize(keras.losses.mean_squared_error)) is losses.mean_squared_error
    y_true, y_pred = _data(rng, "categorical_logits")
    np.testing.assert_allclose(
        ours(torch.from_numpy(y_true), torch.from_numpy(y_pred)).numpy(),
        _keras_value(reference(y_true, y_pred)),
        atol=1e-6,
    )


def test_ctc(rng):
    import keras

    y_true = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0]], dtype="int64")
    y_pred = rng.normal(size=(3, 7, 4)).astype("float32")
    for reduction in ("sum_over_batch_size", "none"):
        expected = _keras_value(keras.losses.CTC(reduction=reduction)(y_true, y_pred))
        received = losses.CTC(reduction=reduction)(torch.from_numpy(y_true), torch.from_numpy(y_pred))
        np.testing.assert_allclose(received.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0, "margin": 0.2, "remove_diagonal": False}])
def test_circle(rng, kwargs):
    import keras

    labels = np.array([0, 1, 0, 2, 1, 2], dtype="int64")
    embeddings = rng.normal(size=(6, 5)).astype("float32")
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    for reduction in ("sum_over_batch_size", "sum", "none"):
        expected = _keras_value(keras.losses.Circle(reduction=reduction, **kwargs)(labels, embeddings))
        received = losses.Circle(reduction=reduction, **kwargs)(torch.from_numpy(labels), torch.from_numpy(embeddings))
        np.testing.assert_allclose(received.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert losses.Circle(**kwargs).get_config() == keras.losses.Circle(**kwargs).get_config()
