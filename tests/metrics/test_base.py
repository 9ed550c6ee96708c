"""Metric base: state handles, Keras-style custom metrics, device following, autograd and
inference mode."""

import numpy as np
import pytest
import torch

from kerasish import metrics


class TruePositiveCount(metrics.Metric):
    """Written as a Keras 3 user would."""

    def __init__(self, name="tp_count", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hits = ((y_true == 1) & (y_pred > 0.5)).float()
        if sample_weight is not None:
            hits = hits * sample_weight
        self.true_positives.assign_add(torch.sum(hits))

    def result(self):
        return self.true_positives + 0.0


class Ratio(metrics.Metric):
    """Written as a tf.keras user would: ``add_weight(name, ...)`` and variable arithmetic."""

    def __init__(self, name="ratio", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight("hits", initializer="zeros")
        self.seen = self.add_weight(name="seen", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.hits.assign_add(torch.sum((y_true == torch.round(y_pred)).float()))
        self.seen.assign_add(y_true.shape[0])

    def result(self):
        return self.hits / self.seen


def test_keras_style_custom_metrics():
    metric = TruePositiveCount()
    metric.update_state(torch.tensor([1, 1, 0]), torch.tensor([0.9, 0.2, 0.8]))
    metric.update_state(torch.tensor([1.0]), torch.tensor([0.7]), sample_weight=torch.tensor([3.0]))
    assert metric.result().numpy() == pytest.approx(4.0)
    assert [v.name for v in metric.variables] == ["tp"]
    metric.reset_state()
    assert metric.result().numpy() == 0.0

    ratio = Ratio()
    ratio.update_state(torch.tensor([1.0, 0.0, 1.0, 1.0]), torch.tensor([0.9, 0.4, 0.3, 0.6]))
    assert ratio.result().numpy() == pytest.approx(0.75)
    assert ratio(torch.tensor([0.0]), torch.tensor([0.9])).numpy() == pytest.approx(0.6)


def test_forgetting_super_init_is_explained():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable(shape=())

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_metric_variable_behaves_like_a_tensor_and_a_keras_variable():
    metric = metrics.Metric(name="holder")
    v = metric.add_variable(shape=(3,), initializer="ones", name="v")
    assert v.shape == (3,) and v.dtype == torch.float32
    v.assign_add(torch.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(v.numpy(), [2.0, 3.0, 4.0])
    np.testing.assert_allclose((v * 2).numpy(), [4.0, 6.0, 8.0])
    np.testing.assert_allclose((1 - v).numpy(), [-1.0, -2.0, -3.0])
    np.testing.assert_allclose(torch.sum(v).numpy(), 9.0)
    np.testing.assert_allclose(torch.where(v > 2.5, v, 0.0).numpy(), [0.0, 3.0, 4.0])
    v.assign(0)
    np.testing.assert_allclose(np.asarray(v), [0.0, 0.0, 0.0])
    v.assign_sub(np.float32(1.5))
    np.testing.assert_allclose(v[1].numpy(), -1.5)


def test_integer_state_keeps_its_dtype():
    metric = metrics.Metric(name="counts")
    counts = metric.add_variable(shape=(), dtype="int32", name="n")
    counts.assign_add(torch.tensor(2.7))  # cast first, as Keras does
    counts.assign_add(3)
    assert counts.dtype == torch.int32 and counts.numpy() == 5


def test_names_can_be_set_both_ways():
    metric = metrics.Mean()
    assert metric.name == "mean"
    metric.name = "loss"
    assert metric.name == "loss" and metric.get_config()["name"] == "loss"
    metric._name = "val_loss"  # what the trainer writes
    assert metric.name == "val_loss"


def test_state_follows_the_device_of_the_first_update():
    metric = metrics.Mean()
    assert metric.total.device.type == "cpu"
    metric.update_state(torch.ones(4, device="meta"))
    assert metric.total.device.type == "meta" and metric.count.device.type == "meta"
    assert metric.result().device.type == "meta"
    metric.reset_state()
    assert metric.total.device.type == "meta"


def test_lazily_built_state_is_created_on_the_current_device():
    auc = metrics.AUC(multi_label=True)
    auc.update_state(torch.ones(4, 2, device="meta"), torch.full((4, 2), 0.5, device="meta"))
    assert auc.true_positives.device.type == "meta"
    assert auc._constants["thresholds"].device.type == "meta"


def test_updates_never_join_the_autograd_graph():
    y_pred = torch.tensor([[0.2, 0.8]], requires_grad=True)
    metric = metrics.CategoricalCrossentropy()
    metric.update_state(torch.tensor([[0.0, 1.0]]), y_pred)
    assert not metric.total.value.requires_grad
    assert not metric.result().requires_grad


def test_state_started_in_inference_mode_keeps_working_outside_it():
    metric = metrics.Mean()
    with torch.inference_mode():
        metric.update_state(torch.tensor([1.0, 3.0]))
    metric.update_state(torch.tensor([5.0]))
    assert metric.result().numpy() == pytest.approx(3.0)
    metric.reset_state()
    with torch.inference_mode():
        metric.update_state(torch.tensor([2.0]))
    assert metric.result().numpy() == pytest.approx(2.0)


def test_sub_metrics_are_tracked():
    class Pair(metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.first = metrics.Mean(name="first")
            self.second = metrics.Sum(name="second")

        def update_state(self, values):
            self.first.update_state(values)
            self.second.update_state(values)

        def result(self):
            return self.first.result() + self.second.result()

    pair = Pair()
    pair.update_state(torch.tensor([1.0, 3.0]))
    assert pair.result().numpy() == pytest.approx(6.0)
    assert len(pair.variables) == 3
    pair.reset_state()
    assert pair.result().numpy() == 0.0


def test_base_class_requires_the_protocol():
    with pytest.raises(NotImplementedError, match="update_state"):
        metrics.Metric(name="bare").update_state(torch.ones(1))
    with pytest.raises(NotImplementedError, match="result"):
        metrics.Metric(name="bare").result()
