import numpy as np
import pytest
import torch

from kerasish.callbacks import EarlyStopping
from tests.callbacks.fakes import FakeModel


def _run(callback, values, monitor="val_loss", model=None):
    """Epochs with the given monitored values, stopping as fit would; the epochs run."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    ran = []
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, {monitor: value})
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end()
    return ran, model


def test_stops_after_patience_epochs_without_improvement():
    cb = EarlyStopping(patience=2)
    ran, model = _run(cb, [1.0, 0.8, 0.9, 0.85, 0.7, 0.6])
    assert ran == [0, 1, 2, 3] and model.stop_training
    assert cb.stopped_epoch == 3 and cb.best == 0.8 and cb.best_epoch == 1


def test_patience_zero_stops_at_first_non_improvement():
    cb = EarlyStopping()
    ran, _ = _run(cb, [1.0, 0.5, 0.5, 0.1])
    assert ran == [0, 1, 2]


def test_min_delta_counts_small_gains_as_none():
    cb = EarlyStopping(patience=1, min_delta=0.1)
    ran, _ = _run(cb, [1.0, 0.95, 0.92, 0.5])
    assert ran == [0, 1]


def test_max_mode_and_auto_for_accuracy():
    for cb in (EarlyStopping(monitor="val_accuracy", patience=2),
               EarlyStopping(monitor="val_accuracy", patience=2, mode="max")):
        ran, _ = _run(cb, [0.5, 0.6, 0.55, 0.7], monitor="val_accuracy")
        assert ran == [0, 1, 2, 3] and not cb.stopped_epoch
        ran, _ = _run(cb, [0.5, 0.6, 0.55, 0.5], monitor="val_accuracy")
        assert ran == [0, 1, 2, 3] and cb.stopped_epoch == 3


def test_auto_mode_reads_a_metric_direction_from_the_model():
    class Metric:
        name = "hit_rate"
        _direction = "up"

    class Container:
        metrics = [Metric()]

    model = FakeModel()
    model.metrics = [Container()]
    cb = EarlyStopping(monitor="val_hit_rate", patience=0)
    ran, _ = _run(cb, [0.1, 0.2, 0.3, 0.1], monitor="val_hit_rate", model=model)
    assert ran == [0, 1, 2, 3] and cb.stopped_epoch == 3


def test_restore_best_weights(capsys):
    cb = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    ran, model = _run(cb, [1.0, 0.5, 0.7, 0.8])
    assert ran == [0, 1, 2, 3]
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    assert capsys.readouterr().out == (
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_best_weights_without_stopping_restores_too():
    cb = EarlyStopping(patience=5, restore_best_weights=True)
    _, model = _run(cb, [1.0, 0.5, 0.7])
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_improvements_that_miss_the_baseline_do_not_reset_wait():
    values = [0.9, 0.8, 0.8, 0.8]
    ran, _ = _run(EarlyStopping(patience=2, baseline=0.5), values)
    assert ran == [0, 1, 2]
    ran, _ = _run(EarlyStopping(patience=2), values)
    assert ran == [0, 1, 2, 3]
    ran, _ = _run(EarlyStopping(patience=2, baseline=0.85), values)
    assert ran == [0, 1, 2, 3]


def test_start_from_epoch_ignores_warm_up():
    cb = EarlyStopping(patience=0, start_from_epoch=2)
    ran, _ = _run(cb, [1.0, 2.0, 3.0, 4.0])
    # Epochs 0-1 are ignored; epoch 2 sets the best; epoch 3 does not improve.
    assert ran == [0, 1, 2, 3] and cb.stopped_epoch == 3 and cb.best == 3.0


def test_reuse_across_fits_resets_state():
    cb = EarlyStopping(patience=0)
    _run(cb, [1.0, 2.0])
    ran, _ = _run(cb, [5.0, 4.0, 3.0])
    assert ran == [0, 1, 2] and cb.best == 3.0


def test_tensor_values_and_missing_monitor():
    cb = EarlyStopping(patience=0)
    ran, _ = _run(cb, [torch.tensor(1.0), torch.tensor(2.0)])
    assert ran == [0, 1] and cb.best == 1.0 and type(cb.best) is float
    cb = EarlyStopping(monitor="val_mae")
    cb.set_model(FakeModel())
    cb.on_train_begin()
    with pytest.warns(UserWarning, match="conditioned on metric `val_mae` which is not available. "
                      "Available metrics are: loss,val_loss"):
        cb.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'up' is unknown, fallback to auto"):
        cb = EarlyStopping(mode="up")
    assert cb.mode == "auto"
