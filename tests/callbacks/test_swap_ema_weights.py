"""SwapEMAWeights on a real optimizer with use_ema: exchanges in place, the flags that decide
each swap (Keras' predict quirk included), the end-of-fit averages and the errors."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

import kerasish
from kerasish import callbacks, optimizers


def _model_with_ema(**kwargs):
    weight = torch.tensor([1.0, 2.0])
    optimizer = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5, **kwargs)
    optimizer.apply([torch.tensor([1.0, 1.0])], [weight])  # first step: average = weight
    optimizer.apply([torch.tensor([1.0, 1.0])], [weight])  # weight -1, 0; average -0.5, 0.5
    return SimpleNamespace(optimizer=optimizer), weight


def _callback(model, **kwargs):
    callback = callbacks.SwapEMAWeights(**kwargs)
    callback.set_model(model)
    callback.set_params({"epochs": 2, "verbose": 0, "steps": 1})
    return callback


def test_evaluation_swaps_in_and_back_in_place():
    model, weight = _model_with_ema()
    callback = _callback(model)
    callback.on_test_begin()
    torch.testing.assert_close(weight, torch.tensor([-0.5, 0.5]))
    torch.testing.assert_close(model.optimizer._model_variables_moving_average[0], torch.tensor([-1.0, 0.0]))
    callback.on_test_end()
    torch.testing.assert_close(weight, torch.tensor([-1.0, 0.0]))


def test_predict_keeps_the_averages_in_the_model_as_keras_does():
    model, weight = _model_with_ema()
    callback = _callback(model)
    callback.on_predict_begin()
    callback.on_predict_end()
    torch.testing.assert_close(weight, torch.tensor([-0.5, 0.5]))
    callback.on_test_begin()  # already swapped: nothing happens
    torch.testing.assert_close(weight, torch.tensor([-0.5, 0.5]))
    callback.on_test_end()
    torch.testing.assert_close(weight, torch.tensor([-1.0, 0.0]))


def test_swap_on_epoch_and_the_last_epoch_restores_the_averages():
    model, weight = _model_with_ema()
    callback = _callback(model, swap_on_epoch=True)
    callback.on_epoch_end(0)
    torch.testing.assert_close(weight, torch.tensor([-0.5, 0.5]))
    callback.on_epoch_begin(1)
    torch.testing.assert_close(weight, torch.tensor([-1.0, 0.0]))
    callback.on_epoch_end(1)  # last epoch: the averages are copied back for finalize
    torch.testing.assert_close(model.optimizer._model_variables_moving_average[0], torch.tensor([-0.5, 0.5]))
    torch.testing.assert_close(weight, torch.tensor([-0.5, 0.5]))


def test_loss_scale_optimizer_is_unwrapped():
    inner = _model_with_ema()
    model = SimpleNamespace(optimizer=optimizers.LossScaleOptimizer(inner[0].optimizer))
    callback = _callback(model)
    callback.on_test_begin()
    torch.testing.assert_close(inner[1], torch.tensor([-0.5, 0.5]))


def test_an_optimizer_without_ema_is_refused():
    optimizer = optimizers.SGD()
    optimizer.build([torch.zeros(2)])
    callback = _callback(SimpleNamespace(optimizer=optimizer))
    with pytest.raises(ValueError, match="`use_ema=True` is set on the optimizer. Received: use_ema=False"):
        callback.on_test_begin()


def test_fit_ends_with_the_moving_averages():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)).astype("float32"), rng.standard_normal((8, 1)).astype("float32")
    model = kerasish.Sequential([kerasish.Input((3,)), kerasish.layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.1, use_ema=True), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    averages = model.optimizer._model_variables_moving_average
    for variable, average in zip(model.trainable_weights, averages):
        torch.testing.assert_close(variable.tensor, average)
