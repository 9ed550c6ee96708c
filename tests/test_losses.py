"""Losses: hand-computed values, Keras' clipping and reductions, configs, names, errors, and
no host sync."""

import math

import numpy as np
import pytest
import torch

from kerasish import losses

EPS = 1e-7


def t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


@pytest.fixture
def no_host_sync(monkeypatch):
    """Make every way of reading a tensor's value back to Python fail."""

    def refuse(*args, **kwargs):
        raise AssertionError("host sync")

    for attr in ("item", "tolist", "__bool__", "__float__", "__int__", "cpu", "numpy"):
        monkeypatch.setattr(torch.Tensor, attr, refuse)
    yield


def test_binary_crossentropy_by_hand():
    y_true, y_pred = t([[1.0, 0.0]]), t([[0.8, 0.4]])
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert losses.binary_crossentropy(y_true, y_pred).numpy() == pytest.approx([expected], rel=1e-6)
    smoothed = losses.binary_crossentropy(y_true, y_pred, label_smoothing=0.2)
    # labels 1, 0 become 0.9, 0.1
    by_hand = -(0.9 * math.log(0.8) + 0.1 * math.log(0.2) + 0.1 * math.log(0.4) + 0.9 * math.log(0.6)) / 2
    assert smoothed.numpy() == pytest.approx([by_hand], rel=1e-5)


def test_saturated_probabilities_are_clipped_at_epsilon():
    loss = losses.binary_crossentropy(t([[1.0]]), t([[0.0]]))
    assert loss.numpy() == pytest.approx([-math.log(EPS)], rel=1e-4)
    loss = losses.categorical_crossentropy(t([[1.0, 0.0]]), t([[0.0, 1.0]]))
    assert loss.numpy() == pytest.approx([-math.log(EPS)], rel=1e-4)


def test_categorical_crossentropy_renormalises_probabilities():
    # Rows that do not sum to one are divided by their sum first.
    loss = losses.categorical_crossentropy(t([[0.0, 1.0]]), t([[1.0, 3.0]]))
    assert loss.numpy() == pytest.approx([-math.log(0.75)], rel=1e-6)


def test_logits_match_probabilities():
    logits = t([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]])
    y_true = t([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    from_logits = losses.categorical_crossentropy(y_true, logits, from_logits=True)
    from_probs = losses.categorical_crossentropy(y_true, torch.softmax(logits, -1))
    np.testing.assert_allclose(from_logits.numpy(), from_probs.numpy(), rtol=1e-5)


@pytest.mark.parametrize(
    "labels", [[2, 0], [2.0, 0.0], [[2], [0]], [[2.0], [0.0]]], ids=["int", "float", "int_col", "float_col"]
)
def test_sparse_labels_any_dtype_and_shape(labels):
    y_pred = t([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    expected = [-math.log(0.7), -math.log(0.5)]
    dtype = torch.int64 if isinstance(np.asarray(labels).flat[0], (int, np.integer)) else torch.float32
    values = losses.sparse_categorical_crossentropy(torch.tensor(labels, dtype=dtype), y_pred)
    np.testing.assert_allclose(values.numpy(), expected, rtol=1e-6)
    loss = losses.SparseCategoricalCrossentropy()(torch.tensor(labels, dtype=dtype), y_pred)
    assert loss.numpy() == pytest.approx(sum(expected) / 2, rel=1e-6)


def test_sparse_ignore_class_averages_over_valid_entries():
    y_pred = t([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25], [0.2, 0.6, 0.2]])
    y_true = t([2, 1, 0])
    loss = losses.SparseCategoricalCrossentropy(ignore_class=1)(y_true, y_pred)
    assert loss.numpy() == pytest.approx((-math.log(0.7) - math.log(0.2)) / 2, rel=1e-6)
    summed = losses.SparseCategoricalCrossentropy(ignore_class=1, reduction="sum")(y_true, y_pred)
    assert summed.numpy() == pytest.approx(-math.log(0.7) - math.log(0.2), rel=1e-6)


def test_sparse_label_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\(3,\).*y_pred.shape=\(2, 3\)"):
        losses.sparse_categorical_crossentropy(t([0, 1, 2]), t([[0.2, 0.3, 0.5]] * 2))


def test_binary_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"binary_crossentropy.*y_true.shape=\(2, 2\).*\(2, 3\)"):
        losses.binary_crossentropy(t([[1.0, 0.0]] * 2), t([[0.5, 0.5, 0.5]] * 2))


def test_regression_losses_by_hand():
    y_true, y_pred = t([[1.0, 2.0]]), t([[2.0, 0.0]])
    assert losses.mean_squared_error(y_true, y_pred).numpy() == pytest.approx([2.5])
    assert losses.mean_absolute_error(y_true, y_pred).numpy() == pytest.approx([1.5])
    assert losses.mean_absolute_percentage_error(y_true, y_pred).numpy() == pytest.approx([100.0])
    # huber, delta 1: errors 1 (quadratic: 0.5) and 2 (linear: 2 - 0.5)
    assert losses.huber(y_true, y_pred).numpy() == pytest.approx([1.0])
    expected_log_cosh = (math.log(math.cosh(1.0)) + math.log(math.cosh(2.0))) / 2
    assert losses.log_cosh(y_true, y_pred).numpy() == pytest.approx([expected_log_cosh], rel=1e-6)
    assert losses.cosine_similarity(t([[1.0, 0.0]]), t([[3.0, 0.0]])).numpy() == pytest.approx([-1.0])


def test_hinge_converts_binary_labels_only_when_all_binary():
    y_pred = t([[0.3, -0.4]])
    # 0/1 labels become -1/1: max(1 - 0.3, 0), max(1 - 0.4, 0)
    assert losses.hinge(t([[1.0, 0.0]]), y_pred).numpy() == pytest.approx([(0.7 + 0.6) / 2])
    # already signed labels are used as given
    assert losses.hinge(t([[1.0, -1.0]]), y_pred).numpy() == pytest.approx([(0.7 + 0.6) / 2])
    assert losses.hinge(t([[2.0, 0.0]]), y_pred).numpy() == pytest.approx([(0.4 + 1.0) / 2])


def test_rank_one_labels_align_with_column_outputs():
    values = losses.MeanSquaredError(reduction="none")(t([1.0, 2.0]), t([[1.5], [2.0]]))
    np.testing.assert_allclose(values.numpy(), [0.25, 0.0])


@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "auto", "mean", "sum", "mean_with_sample_weight", "none", None]
)
def test_reductions_follow_keras(reduction):
    y_true, y_pred = t([[0.0], [1.0], [2.0], [3.0]]), t([[1.0], [1.0], [1.0], [1.0]])
    per_sample = np.array([1.0, 0.0, 1.0, 4.0])
    weights = np.array([1.0, 2.0, 0.5, 0.25])
    loss = losses.MeanSquaredError(reduction=reduction)
    got = loss(y_true, y_pred, sample_weight=torch.from_numpy(weights).float()).numpy()
    weighted = per_sample * weights
    if reduction in ("sum_over_batch_size", "auto", "mean"):
        assert got == pytest.approx(weighted.sum() / 4)  # by the count, not by sum of weights
    elif reduction == "sum":
        assert got == pytest.approx(weighted.sum())
    elif reduction == "mean_with_sample_weight":
        assert got == pytest.approx(weighted.sum() / weights.sum())
    else:
        np.testing.assert_allclose(got, weighted)


def test_auto_reduction_is_stored_as_keras_3_spelling():
    assert losses.MeanSquaredError(reduction="auto").get_config()["reduction"] == "sum_over_batch_size"


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction=average"):
        losses.MeanSquaredError(reduction="average")


def test_zero_weights_give_zero_not_nan():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(t([[1.0]]), t([[2.0]]), sample_weight=t([0.0])).numpy() == 0.0


def test_keras_mask_on_predictions_averages_over_valid_entries():
    y_true = torch.zeros(1, 3, 1)
    y_pred = t([[[1.0], [2.0], [3.0]]])
    y_pred._keras_mask = torch.tensor([[True, True, False]])
    loss = losses.MeanSquaredError()(y_true, y_pred)
    assert loss.numpy() == pytest.approx((1.0 + 4.0) / 2)


def test_class_configs_round_trip():
    loss = losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0, name="focal")
    config = loss.get_config()
    assert config == {
        "name": "focal", "reduction": "sum_over_batch_size", "from_logits": False,
        "label_smoothing": 0.0, "axis": -1, "apply_class_balancing": True, "alpha": 0.25,
        "gamma": 3.0,
    }  # fmt: skip
    assert losses.BinaryFocalCrossentropy.from_config(config).get_config() == config
    assert losses.SparseCategoricalCrossentropy(axis=1).get_config()["axis"] == 1


def test_tf_keras_configs_load():
    # tf.keras writes "auto" and, in its newer format, the function name under "fn".
    loss = losses.deserialize(
        {"class_name": "Huber", "config": {"reduction": "auto", "name": "huber_loss", "delta": 2.0, "fn": "huber"}}
    )
    assert isinstance(loss, losses.Huber) and loss.delta == 2.0
    assert loss.reduction == "sum_over_batch_size"


def test_wrapper_of_a_function_round_trips():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.5)
    config = wrapper.get_config()
    assert config["fn"] == "huber" and config["delta"] == 0.5
    rebuilt = losses.LossFunctionWrapper.from_config(config)
    assert rebuilt.fn is losses.huber and rebuilt.name == "h"


@pytest.mark.parametrize(
    "name, fn",
    [
        ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error), ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error), ("kld", losses.kl_divergence),
        ("kullback_leibler_divergence", losses.kl_divergence), ("logcosh", losses.log_cosh),
        ("huber_loss", losses.huber), ("binary_crossentropy", losses.binary_crossentropy),
    ],
)  # fmt: skip
def test_names_and_keras_2_aliases(name, fn):
    assert losses.get(name) is fn
    assert losses.deserialize(name) is fn


def test_get_instantiates_classes_and_passes_objects_through():
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Hinge), losses.Hinge)
    loss = losses.Poisson()
    assert losses.get(loss) is loss
    assert losses.get(None) is None


def test_unknown_name_is_named_in_the_error():
    with pytest.raises(ValueError, match="mean_sqared_error"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="Dense"):
        losses.get("Dense")  # a layer is not a loss


def test_serialize():
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.serialize(losses.Huber(delta=2.0)) == {
        "class_name": "Huber",
        "config": {"name": "huber_loss", "reduction": "sum_over_batch_size", "delta": 2.0},
    }
    # Keras 3 omits delta; kerasish writes it when it is not the default, so it survives.
    assert "delta" not in losses.Huber().get_config()
    assert losses.deserialize(losses.serialize(losses.Huber(delta=2.0))).delta == 2.0


def test_custom_loss_subclass():
    class Doubled(losses.Loss):
        def call(self, y_true, y_pred):
            return 2 * torch.abs(y_true - y_pred).mean(dim=-1)

    loss = Doubled(reduction="sum")
    assert loss.name == "doubled"
    assert loss(t([[1.0], [2.0]]), t([[0.0], [0.0]])).numpy() == pytest.approx(6.0)


def test_gradients_flow_through_losses():
    y_pred = t([[0.2, 0.8]]).requires_grad_()
    losses.CategoricalCrossentropy()(t([[0.0, 1.0]]), y_pred).backward()
    assert torch.isfinite(y_pred.grad).all()


ALL_CLASSES = [
    (losses.BinaryCrossentropy(), "binary"), (losses.BinaryCrossentropy(from_logits=True), "binary"),
    (losses.BinaryFocalCrossentropy(), "binary"), (losses.CategoricalCrossentropy(), "categorical"),
    (losses.CategoricalFocalCrossentropy(), "categorical"),
    (losses.SparseCategoricalCrossentropy(ignore_class=0), "sparse"),
    (losses.SparseCategoricalCrossentropy(from_logits=True), "sparse"),
    (losses.MeanSquaredError(), "regression"), (losses.MeanAbsoluteError(), "regression"),
    (losses.MeanAbsolutePercentageError(), "regression"),
    (losses.MeanSquaredLogarithmicError(), "regression"), (losses.Huber(), "regression"),
    (losses.LogCosh(), "regression"), (losses.KLDivergence(), "regression"),
    (losses.Poisson(), "regression"), (losses.CosineSimilarity(), "regression"),
    (losses.Hinge(), "binary"), (losses.SquaredHinge(), "binary"),
    (losses.CategoricalHinge(), "categorical"),
]  # fmt: skip


@pytest.mark.parametrize("loss, kind", ALL_CLASSES, ids=lambda x: type(x).__name__ if not isinstance(x, str) else x)
def test_no_host_sync(loss, kind, no_host_sync):
    y_pred = torch.full((4, 3), 0.25)
    y_true = {
        "binary": torch.ones(4, 3),
        "categorical": torch.eye(3)[:4 - 1].repeat(2, 1)[:4],
        "sparse": torch.ones(4),
        "regression": torch.full((4, 3), 0.5),
    }[kind]
    value = loss(y_true, y_pred, sample_weight=torch.ones(4))
    assert isinstance(value, torch.Tensor) and value.dim() == 0


def test_the_sync_detector_detects(no_host_sync):
    with pytest.raises(AssertionError, match="host sync"):
        torch.ones(1).item()
    with pytest.raises(AssertionError, match="host sync"):
        bool(torch.ones(1))


def test_tf_keras_reduction_names():
    loss = losses.MeanAbsoluteError(reduction=losses.Reduction.SUM)
    assert loss(t([[1.0], [2.0]]), t([[0.0], [0.0]])).numpy() == pytest.approx(3.0)
    assert losses.MeanAbsoluteError(reduction=losses.Reduction.AUTO).reduction == "sum_over_batch_size"
    with pytest.raises(ValueError, match="Invalid Reduction Key: avg"):
        losses.Reduction.validate("avg")


def test_nested_predictions_reach_a_custom_loss():
    class FirstOfPair(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.abs(y_true[0] - y_pred[0]).mean(dim=-1)

    loss = FirstOfPair()(
        [t([[1.0]]), t([[0.0]])], [t([[3.0]]), np.zeros((1, 1))]
    )
    assert loss.numpy() == pytest.approx(2.0)


def test_segmentation_and_robust_losses_by_hand():
    y_true, y_pred = t([[1.0, 0.0], [1.0, 1.0]]), t([[0.5, 0.5], [1.0, 0.0]])
    # intersection 1.5, sums 3 + 2
    assert losses.dice(y_true, y_pred).numpy() == pytest.approx(1 - 3.0 / 5.0, abs=1e-6)
    np.testing.assert_allclose(losses.dice(y_true, y_pred, axis=1).numpy(), [1 - 1 / 2, 1 - 2 / 3], atol=1e-6)
    # alpha = beta = 0.5 is Dice
    assert losses.tversky(y_true, y_pred).numpy() == pytest.approx(1 - 3.0 / 5.0, abs=1e-6)
    cgce = losses.categorical_generalized_cross_entropy(t([1, 0]), t([[0.2, 0.8], [0.25, 0.75]]), q=0.5)
    np.testing.assert_allclose(cgce.numpy(), [(1 - 0.8**0.5) / 0.5, (1 - 0.25**0.5) / 0.5], rtol=1e-6)
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)


def test_ctc_checks_ranks():
    with pytest.raises(ValueError, match="max_length"):
        losses.ctc(t([1, 2]), torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="num_classes"):
        losses.ctc(t([[1, 2]]), torch.zeros(2, 3))


def test_circle_loss_masks_its_zero_entries():
    labels = torch.tensor([0, 0, 1, 1])
    embeddings = torch.nn.functional.normalize(torch.randn(4, 3), dim=1)
    values = losses.circle(labels, embeddings)
    assert values.shape == (4,) and values._keras_mask.dtype == torch.bool


def test_more_losses_without_host_sync(no_host_sync):
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    for loss in (losses.Dice(), losses.Tversky(axis=1), losses.Circle()):
        target = torch.tensor([0, 1]) if isinstance(loss, losses.Circle) else y
        assert isinstance(loss(target, torch.full((2, 2), 0.5)), torch.Tensor)
    cgce = losses.CategoricalGeneralizedCrossEntropy()
    assert isinstance(cgce(torch.tensor([1, 0]), torch.full((2, 2), 0.5)), torch.Tensor)


def test_binary_crossentropy_under_autocast_runs_in_float32():
    y_true, y_pred = t([[1.0, 0.0]]), t([[0.8, 0.4]])
    plain = losses.BinaryCrossentropy()(y_true, y_pred)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = losses.BinaryCrossentropy()(y_true, y_pred.to(torch.bfloat16))
    assert autocast.dtype == torch.float32
    assert autocast.numpy() == pytest.approx(plain.numpy(), rel=1e-2)


@pytest.mark.parametrize(
    "cls, name",
    [(losses.MeanSquaredError, "mean_squared_error"), (losses.LogCosh, "log_cosh"), (losses.CTC, "ctc")],
)
def test_function_loss_classes_keep_keras_constructors(cls, name):
    """The classes built from a table still have Keras' own signature, module and pickling."""
    import inspect
    import pickle

    parameters = inspect.signature(cls).parameters
    assert [(p.name, p.default) for p in parameters.values()] == [
        ("reduction", "sum_over_batch_size"), ("name", name), ("dtype", None)
    ]
    assert cls.__module__ == "kerasish.losses" and cls.__qualname__ == cls.__name__
    positional = cls("sum", "mine")
    assert (positional.reduction, positional.name) == ("sum", "mine")
    assert pickle.loads(pickle.dumps(cls())).get_config() == cls().get_config()
    with pytest.raises(TypeError):
        cls(from_logits=True)
