"""Keras 3's callbacks and kerasish's, driven with the same epoch logs on fake models: same
stopping epochs, learning rates, saved files, messages and CSV bytes."""

import math

import keras
import numpy as np
import pytest

from kerasish import callbacks as kcb


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class FakeModel:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(2)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath, overwrite=True):
        self.saved.append(filepath)


def _drive(callback, logs_per_epoch, learning_rate=0.1):
    """A fit loop over given epoch logs. Returns what a user could observe."""
    model = FakeModel(learning_rate)
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(logs_per_epoch), "steps": 1})
    callback.on_train_begin()
    seen = []
    for epoch, logs in enumerate(logs_per_epoch):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_begin(epoch)
        logs = dict(logs)
        callback.on_epoch_end(epoch, logs)
        seen.append((model.optimizer.learning_rate, logs))
        if model.stop_training:
            break
    callback.on_train_end()
    return {"epochs": seen, "weights": model.weights[0].tolist(), "saved": model.saved}


def _losses(rng, n=12):
    """A noisy decreasing curve with plateaus, rounded so comparisons hit ties too."""
    values = np.round(1.0 / (1 + np.arange(n)) + rng.normal(0, 0.05, n), 2)
    values[rng.random(n) < 0.3] = values.max()
    return [{"loss": float(v) + 0.1, "val_loss": float(v)} for v in values]


EARLY_STOPPING_CONFIGS = [
    {},
    {"patience": 2},
    {"patience": 3, "min_delta": 0.02},
    {"patience": 2, "restore_best_weights": True},
    {"patience": 1, "baseline": 0.3},
    {"patience": 2, "baseline": 0.6, "restore_best_weights": True},
    {"patience": 1, "start_from_epoch": 3},
    {"patience": 2, "mode": "max"},
    {"patience": 2, "monitor": "loss", "mode": "min", "min_delta": -0.01},
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("config", EARLY_STOPPING_CONFIGS, ids=str)
def test_early_stopping(config, seed, capsys):
    logs = _losses(np.random.default_rng(seed))
    config = {**config, "verbose": 1}
    expected = _drive(keras.callbacks.EarlyStopping(**config), logs)
    expected_out = capsys.readouterr().out
    received = _drive(kcb.EarlyStopping(**config), logs)
    assert received == expected
    assert capsys.readouterr().out == expected_out


def test_early_stopping_with_nan_and_missing_monitor():
    logs = [{"val_loss": v} for v in (0.5, math.nan, 0.4, 0.6, 0.7)]
    for config in ({"patience": 1}, {"patience": 0, "restore_best_weights": True}):
        assert _drive(kcb.EarlyStopping(**config), logs) == _drive(
            keras.callbacks.EarlyStopping(**config), logs
        )
    with pytest.warns(UserWarning) as warned:
        _drive(keras.callbacks.EarlyStopping(monitor="val_mae", mode="min"), [{"val_loss": 1.0}])
    with pytest.warns(UserWarning) as ours:
        _drive(kcb.EarlyStopping(monitor="val_mae", mode="min"), [{"val_loss": 1.0}])
    assert str(ours[0].message) == str(warned[0].message)


PLATEAU_CONFIGS = [
    {},
    {"patience": 1, "factor": 0.5},
    {"patience": 2, "factor": 0.2, "cooldown": 2},
    {"patience": 1, "factor": 0.1, "min_lr": 0.003},
    {"patience": 1, "factor": 0.5, "min_delta": 0.05, "cooldown": 1},
    {"patience": 2, "factor": 0.5, "mode": "max"},
    {"monitor": "loss", "patience": 1, "factor": 0.3, "min_delta": 0},
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("config", PLATEAU_CONFIGS, ids=str)
def test_reduce_lr_on_plateau(config, seed, capsys):
    logs = _losses(np.random.default_rng(10 + seed), n=15)
    config = {**config, "verbose": 1}
    expected = _drive(keras.callbacks.ReduceLROnPlateau(**config), logs, learning_rate=0.1)
    expected_out = capsys.readouterr().out
    received = _drive(kcb.ReduceLROnPlateau(**config), logs, learning_rate=0.1)
    assert received == expected
    assert capsys.readouterr().out == expected_out


SCHEDULES = {
    "decay_after_3": lambda epoch, lr: lr if epoch < 3 else lr * 0.9,
    "keras1_signature": lambda epoch: 0.1 / (epoch + 1),
    "numpy_float32": lambda epoch, lr: np.float32(0.05 * (epoch + 1)),
    "step": lambda epoch, lr: 0.1 * (0.5 ** (epoch // 2)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_learning_rate_scheduler(name, capsys):
    logs = [{"loss": 1.0}] * 6
    expected = _drive(keras.callbacks.LearningRateScheduler(SCHEDULES[name], verbose=1), logs)
    expected_out = capsys.readouterr().out
    received = _drive(kcb.LearningRateScheduler(SCHEDULES[name], verbose=1), logs)
    assert received == expected
    assert capsys.readouterr().out == expected_out


def test_learning_rate_scheduler_rejects_what_keras_rejects():
    for schedule in (lambda epoch, lr: 1, lambda epoch, lr: "0.1"):
        with pytest.raises(ValueError) as keras_error:
            _drive(keras.callbacks.LearningRateScheduler(schedule), [{}])
        with pytest.raises(ValueError) as our_error:
            _drive(kcb.LearningRateScheduler(schedule), [{}])
        assert str(our_error.value) == str(keras_error.value)


@pytest.mark.parametrize("config", [
    {},
    {"save_best_only": True},
    {"save_best_only": True, "mode": "max"},
    {"save_best_only": True, "initial_value_threshold": 0.3},
    {"save_best_only": True, "monitor": "loss"},
], ids=str)
def test_model_checkpoint_files_and_messages(config, tmp_path, capsys):
    logs = _losses(np.random.default_rng(3), n=8)
    template = str(tmp_path / "m-{epoch:02d}-{val_loss:.3f}.keras")
    config = {**config, "verbose": 1}
    expected = _drive(keras.callbacks.ModelCheckpoint(template, **config), logs)
    expected_out = capsys.readouterr().out
    received = _drive(kcb.ModelCheckpoint(template, **config), logs)
    assert received == expected and expected["saved"]
    assert capsys.readouterr().out == expected_out


def test_csv_logger_writes_the_same_bytes(tmp_path):
    logs = [
        {"loss": 0.5, "accuracy": 0.25},
        {"loss": 0.375, "accuracy": 0.5, "val_loss": 0.75, "val_accuracy": 0.125},
        {"loss": 0.1234567890123, "accuracy": np.float32(0.3), "per_class": np.array([1, 2])},
    ]
    for sep, append in ((",", False), (";", True)):
        paths = (tmp_path / f"keras{sep}.csv", tmp_path / f"ours{sep}.csv")
        for module, path in zip((keras.callbacks, kcb), paths):
            for _ in range(2 if append else 1):
                _drive(module.CSVLogger(str(path), separator=sep, append=append), logs)
        assert paths[1].read_bytes() == paths[0].read_bytes()


def test_terminate_on_nan(capsys):
    outcomes = []
    for module in (keras.callbacks, kcb):
        model = FakeModel()
        callback = module.TerminateOnNaN()
        callback.set_model(model)
        callback.on_train_batch_end(0, {"loss": 1.0})
        first = model.stop_training
        callback.on_train_batch_end(1, {"loss": math.inf})
        outcomes.append((first, model.stop_training, capsys.readouterr().out))
    assert outcomes[0] == outcomes[1]


def test_history_and_callback_list_defaults():
    for module in (keras.callbacks, kcb):
        model = FakeModel()
        cbs = module.CallbackList(None, add_history=True, add_progbar=True, model=model,
                                  verbose=0, epochs=2, steps=1)
        assert [type(cb).__name__ for cb in cbs.callbacks] == ["History", "ProgbarLogger"]
        cbs.on_train_begin()
        for epoch, loss in enumerate((0.5, 0.25)):
            cbs.on_epoch_begin(epoch)
            cbs.on_epoch_end(epoch, {"loss": loss})
        assert model.history.history == {"loss": [0.5, 0.25]} and model.history.epoch == [0, 1]
