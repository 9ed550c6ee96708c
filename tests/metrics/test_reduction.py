"""Mean, Sum, MeanMetricWrapper: sample-weighted running reductions."""

import numpy as np
import pytest
import torch

from kerasish import losses, metrics


def t(values):
    return torch.tensor(values, dtype=torch.float32)


def test_mean_weights_batches_by_their_sizes():
    mean = metrics.Mean()
    mean.update_state(t([1.0, 2.0, 3.0]))
    mean.update_state(t([10.0]))
    assert mean.result().numpy() == pytest.approx(16.0 / 4)  # not the mean of batch means


def test_mean_with_sample_weights():
    mean = metrics.Mean()
    mean.update_state(t([1.0, 2.0, 3.0]), sample_weight=t([1.0, 0.0, 3.0]))
    assert mean.result().numpy() == pytest.approx((1.0 + 9.0) / 4.0)


def test_mean_reduces_extra_axes_per_sample():
    mean = metrics.Mean()
    mean.update_state(t([[1.0, 3.0], [5.0, 7.0]]), sample_weight=t([1.0, 3.0]))
    assert mean.result().numpy() == pytest.approx((2.0 * 1 + 6.0 * 3) / 4)
    per_element = metrics.Mean()
    per_element.update_state(t([[1.0, 3.0], [5.0, 7.0]]), sample_weight=t([[1.0, 0.0], [0.0, 1.0]]))
    # Weighted values and the (N, 2) weights are both averaged per sample (Keras' rule):
    # values (0.5 + 3.5), weights (0.5 + 0.5).
    assert per_element.result().numpy() == pytest.approx(4.0 / 1.0)


def test_scalar_values_count_once():
    mean = metrics.Mean()
    mean.update_state(t(2.0))
    mean.update_state(t(4.0))
    assert mean.result().numpy() == pytest.approx(3.0)


def test_empty_mean_is_zero_not_nan():
    assert metrics.Mean().result().numpy() == 0.0


def test_sum():
    total = metrics.Sum()
    total.update_state(t([[1.0, 2.0], [3.0, 4.0]]), sample_weight=t([1.0, 0.5]))
    total.update_state(t(5.0))
    assert total.result().numpy() == pytest.approx(3.0 + 3.5 + 5.0)


def test_numpy_and_python_inputs():
    mean = metrics.Mean()
    mean.update_state(np.array([1.0, 3.0]))
    mean.update_state([5.0])
    assert mean.result().numpy() == pytest.approx(3.0)


def test_wrapper_of_a_loss_function_with_kwargs():
    wrapper = metrics.MeanMetricWrapper(losses.huber, name="huber", delta=0.5)
    wrapper.update_state(t([[0.0], [0.0]]), t([[0.2], [2.0]]), sample_weight=t([1.0, 3.0]))
    per_sample = np.array([0.5 * 0.04, 0.5 * 2.0 - 0.5 * 0.25])
    assert wrapper.result().numpy() == pytest.approx((per_sample * [1, 3]).sum() / 4)
    assert wrapper.get_config() == {"name": "huber", "dtype": "float32", "fn": "huber", "delta": 0.5}
    rebuilt = metrics.MeanMetricWrapper.from_config(wrapper.get_config())
    assert rebuilt._fn is losses.huber and rebuilt._fn_kwargs == {"delta": 0.5}


def test_wrapper_of_a_loss_object_averages_its_batch_values():
    wrapper = metrics.MeanMetricWrapper(losses.MeanAbsoluteError())
    assert wrapper.name == "mean_metric_wrapper"
    wrapper.update_state(t([[0.0], [0.0]]), t([[1.0], [3.0]]))
    wrapper.update_state(t([[0.0]]), t([[4.0]]))
    assert wrapper.result().numpy() == pytest.approx((2.0 + 4.0) / 2)


def test_wrapper_respects_the_prediction_mask():
    y_pred = t([[1.0], [2.0], [3.0]])
    y_pred._keras_mask = torch.tensor([True, False, True])
    wrapper = metrics.MeanMetricWrapper(losses.mean_absolute_error)
    wrapper.update_state(torch.zeros(3, 1), y_pred)
    assert wrapper.result().numpy() == pytest.approx(2.0)


def test_reset():
    mean = metrics.Mean()
    mean.update_state(t([4.0]))
    mean.reset_state()
    mean.update_state(t([1.0]))
    assert mean.result().numpy() == pytest.approx(1.0)
    mean.reset_states()  # Keras 2 spelling
    assert mean.result().numpy() == 0.0


def test_add_batch_mean_equals_update_state_with_the_batch_size_as_weight():
    general, short = metrics.Mean(), metrics.Mean()
    for value, size in [(0.5, 32), (2.0, 32), (1.25, 7)]:
        general.update_state(torch.tensor(value), sample_weight=size)
        short.add_batch_mean(torch.tensor(value), size)
    assert float(short.result()) == pytest.approx(float(general.result()))
    assert float(short.count.value) == 71.0
    short.reset_state()
    short.add_batch_mean(torch.tensor([1.0, 3.0]), 2)  # not a scalar: the general rule
    general.reset_state()
    general.update_state(torch.tensor([1.0, 3.0]), sample_weight=2)
    assert float(short.result()) == pytest.approx(float(general.result()))


@pytest.mark.parametrize(
    "cls, module, name",
    [
        (metrics.MeanSquaredError, "kerasish.metrics.regression", "mean_squared_error"),
        (metrics.LogCoshError, "kerasish.metrics.regression", "logcosh"),
        (metrics.Hinge, "kerasish.metrics.hinge_metrics", "hinge"),
        (metrics.Accuracy, "kerasish.metrics.accuracy", "accuracy"),
    ],
)
def test_function_metric_classes_keep_keras_constructors(cls, module, name):
    """The classes built from a table still have Keras' own signature, module and pickling."""
    import inspect
    import pickle

    parameters = inspect.signature(cls).parameters
    assert [(p.name, p.default) for p in parameters.values()] == [("name", name), ("dtype", None)]
    assert cls.__module__ == module and cls.__qualname__ == cls.__name__
    assert cls("mine", "float64").get_config() == {"name": "mine", "dtype": "float64"}
    assert pickle.loads(pickle.dumps(cls())).get_config() == cls().get_config()
    with pytest.raises(TypeError):
        cls(axis=1)
