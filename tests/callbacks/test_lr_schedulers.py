import numpy as np
import pytest
import torch

from kerasish.callbacks import LearningRateScheduler, ReduceLROnPlateau
from tests.callbacks.fakes import FakeModel, FakeOptimizer


def _plateau_lrs(callback, values, model=None):
    model = model or FakeModel(learning_rate=1.0)
    callback.set_model(model)
    callback.on_train_begin()
    lrs, logged = [], []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        lrs.append(model.optimizer.learning_rate)
    return lrs, logged


def test_reduce_on_plateau_after_patience():
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    lrs, logged = _plateau_lrs(cb, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert logged == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25]  # the lr the epoch ran with


def test_cooldown_and_min_lr():
    cb = ReduceLROnPlateau(factor=0.1, patience=1, cooldown=2, min_lr=0.005)
    lrs, _ = _plateau_lrs(cb, [1.0] * 9)
    # Cooldown: two epochs after a reduction where no waiting is counted.
    assert lrs == pytest.approx([1.0, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005])


def test_min_delta_and_max_mode():
    cb = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)
    lrs, _ = _plateau_lrs(cb, [1.0, 0.95, 0.5])
    assert lrs == [1.0, 0.5, 0.5]
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(monitor="val_loss", mode="max", factor=0.5, patience=1)
    lrs, _ = _plateau_lrs(cb, [1.0, 2.0, 1.5], model=model)
    assert lrs == [1.0, 1.0, 0.5]


def test_verbose_message(capsys):
    cb = ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)
    _plateau_lrs(cb, [1.0, 1.0])
    assert capsys.readouterr().out == "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n"


def test_several_optimizers_are_reduced_each():
    class Multi:
        def __init__(self):
            self.optimizers = [FakeOptimizer(1.0, "a"), FakeOptimizer(0.1, "b")]

    model = FakeModel()
    model.optimizer = Multi()
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch in range(2):
        logs = {"val_loss": 1.0}
        cb.on_epoch_end(epoch, logs)
    assert [o.learning_rate for o in model.optimizer.optimizers] == [0.5, 0.05]
    assert logs["learning_rate_a"] == 1.0 and logs["learning_rate_b"] == 0.1


def test_bad_arguments():
    with pytest.raises(ValueError, match="does not support a factor >= 1.0. Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match="`epsilon` argument is deprecated"):
        assert ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5
    with pytest.raises(TypeError, match="unexpected arguments: \\['lr'\\]"):
        ReduceLROnPlateau(lr=0.1)


def test_missing_monitor_warns():
    cb = ReduceLROnPlateau()
    cb.set_model(FakeModel())
    cb.on_train_begin()
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not available"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_scheduler_with_epoch_and_lr():
    model = FakeModel(learning_rate=1.0)
    cb = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    cb.set_model(model)
    lrs = []
    for epoch in range(4):
        cb.on_epoch_begin(epoch)
        logs = {}
        cb.on_epoch_end(epoch, logs)
        lrs.append(model.optimizer.learning_rate)
        assert logs == {"learning_rate": lrs[-1]}
    assert lrs == [1.0, 0.5, 0.25, 0.125]


def test_scheduler_keras1_signature_and_numpy_and_tensor_results():
    model = FakeModel()
    for schedule in (lambda epoch: 0.1 * (epoch + 1), lambda epoch, lr: np.float32(0.25),
                     lambda epoch, lr: torch.tensor(0.5)):
        cb = LearningRateScheduler(schedule)
        cb.set_model(model)
        cb.on_epoch_begin(1)
    assert model.optimizer.learning_rate == 0.5


def test_scheduler_rejects_non_float_and_prints(capsys):
    cb = LearningRateScheduler(lambda epoch, lr: 1)
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="The output of the `schedule` function should be a float. Got: 1"):
        cb.on_epoch_begin(0)
    cb = LearningRateScheduler(lambda epoch, lr: 0.02, verbose=1)
    cb.set_model(FakeModel())
    cb.on_epoch_begin(2)
    assert capsys.readouterr().out == "\nEpoch 3: LearningRateScheduler setting learning rate to 0.02.\n"


def test_scheduler_needs_a_learning_rate():
    model = FakeModel()
    model.optimizer = object()
    cb = LearningRateScheduler(lambda epoch: 0.1)
    cb.set_model(model)
    with pytest.raises(ValueError, match='Optimizer must have a "learning_rate" attribute.'):
        cb.on_epoch_begin(0)
