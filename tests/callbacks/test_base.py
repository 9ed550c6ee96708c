"""Callback and CallbackList: hook dispatch and when batch logs are read."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import callbacks
from kerasish.callbacks import Callback, CallbackList, History, ProgbarLogger, logs_to_floats
from tests.callbacks.fakes import CountingTensor, FakeModel, counting


class Recorder(Callback):
    """A user callback: implements batch hooks, does not declare tensor support."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(("train_batch_end", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(("epoch_end", epoch, dict(logs)))


class TensorReader(Callback):
    _supports_tensor_logs = True

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(logs)


def test_exported_from_kerasish():
    assert kerasish.callbacks is callbacks
    assert callbacks.EarlyStopping.__module__ == "kerasish.callbacks.early_stopping"


def test_base_hooks_are_no_ops_and_model_params_are_set():
    cb = Callback()
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    assert cb.model is model and cb.params == {"verbose": 1, "epochs": 2, "steps": 3}
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                 "on_predict_begin", "on_predict_end"):
        assert getattr(cb, hook)({}) is None
    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end", "on_batch_begin", "on_batch_end"):
        assert getattr(cb, hook)(0, {}) is None
    assert not cb._implements_train_batch_hooks()


def test_keras2_batch_names_are_train_batch_aliases():
    class Old(Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    cb = Old()
    assert cb._implements_train_batch_hooks() and not cb._implements_test_batch_hooks()
    CallbackList([cb]).on_train_batch_end(4, {"loss": 1.0})
    assert cb.batches == [4]


def test_default_callbacks_are_added_once_and_model_history_set():
    model = FakeModel()
    history = History()
    cbs = CallbackList([history], add_history=True, add_progbar=True, model=model,
                       verbose=1, epochs=2, steps=3)
    assert cbs.callbacks[0] is history and isinstance(cbs.callbacks[1], ProgbarLogger)
    assert len(cbs.callbacks) == 2
    assert model.history is history
    assert cbs.callbacks[1].params == {"verbose": 1, "epochs": 2, "steps": 3}
    plain = CallbackList(None, model=FakeModel())
    assert plain.callbacks == []


def test_nested_lists_are_flattened_and_bad_entries_rejected():
    a, b = Callback(), Callback()
    assert CallbackList([[a], (b,)]).callbacks == [a, b]
    assert CallbackList(a).callbacks == [a]
    with pytest.raises(TypeError, match="instances of `keras.callbacks.Callback`.*str"):
        CallbackList(["early_stopping"])


def test_callbacks_without_batch_hooks_are_not_called_per_batch():
    calls = []

    class EpochOnly(Callback):
        def on_train_batch_end(self, batch, logs=None):  # pragma: no cover - must not run
            calls.append(batch)

        def _implements_train_batch_hooks(self):
            return False

    cbs = CallbackList([EpochOnly(), History()], model=FakeModel())
    assert not cbs._implements_train_batch_hooks()
    cbs.on_train_batch_end(0, {"loss": counting(1.0)})
    assert calls == []


def test_user_batch_callbacks_get_floats_converted_once_per_batch():
    recorder, reader = Recorder(), TensorReader()
    cbs = CallbackList([recorder, reader], model=FakeModel())
    CountingTensor.reads = 0
    loss = counting(0.25)
    cbs.on_train_batch_end(0, {"loss": loss, "accuracy": counting(0.5)})
    assert CountingTensor.reads == 1  # one transfer for both values
    assert recorder.seen[0] == ("train_batch_end", 0, {"loss": 0.25, "accuracy": 0.5})
    assert reader.logs[0]["loss"] == 0.25 and isinstance(reader.logs[0]["loss"], float)


def test_tensor_aware_callbacks_alone_get_tensors_untouched():
    reader = TensorReader()
    cbs = CallbackList([reader], model=FakeModel())
    CountingTensor.reads = 0
    loss = counting(0.25)
    for batch in range(50):
        cbs.on_train_batch_end(batch, {"loss": loss})
    assert CountingTensor.reads == 0
    assert reader.logs[-1]["loss"] is loss


def test_epoch_logs_are_floats_and_shared_between_callbacks():
    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["learning_rate"] = 0.1

    recorder = Recorder()
    cbs = CallbackList([AddsKey(), recorder], model=FakeModel())
    cbs.on_epoch_end(0, {"loss": torch.tensor(0.5), "val_loss": np.float32(0.25)})
    assert recorder.seen == [("epoch_end", 0, {"loss": 0.5, "val_loss": 0.25, "learning_rate": 0.1})]


def test_append_sets_model_params_and_refreshes_dispatch():
    model = FakeModel()
    cbs = CallbackList([], model=model, verbose=0, epochs=1, steps=2)
    assert not cbs._implements_train_batch_hooks()
    recorder = Recorder()
    cbs.append(recorder)
    assert recorder.model is model and recorder.params["steps"] == 2
    cbs.on_train_batch_end(1, {"loss": 1.0})
    assert recorder.seen == [("train_batch_end", 1, {"loss": 1.0})]
    assert list(cbs) == [recorder]


def test_lambda_callback_functions_count_as_batch_hooks():
    seen = []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs))
    cbs = CallbackList([cb])
    cbs.on_train_batch_end(0, {"loss": torch.tensor(2.0)})
    assert seen == [{"loss": 2.0}]


def test_every_hook_reaches_every_callback():
    class All(Callback):
        def __init__(self):
            super().__init__()
            self.names = []

        def __getattribute__(self, name):
            if name.startswith("on_"):
                return lambda *args, **kwargs: self.names.append(name)
            return super().__getattribute__(name)

        def _implements_train_batch_hooks(self):
            return True

        def _implements_test_batch_hooks(self):
            return True

        def _implements_predict_batch_hooks(self):
            return True

    cb = All()
    cbs = CallbackList([cb])
    hooks = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
             "on_predict_begin", "on_predict_end"]
    batch_hooks = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                   "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
                   "on_predict_batch_begin", "on_predict_batch_end"]
    for hook in hooks:
        getattr(cbs, hook)()
    for hook in batch_hooks:
        getattr(cbs, hook)(0)
    assert cb.names == hooks + batch_hooks


def test_logs_to_floats():
    logs = {
        "loss": torch.tensor(0.5),
        "count": torch.tensor(3),
        "np": np.float32(0.25),
        "zero_d": np.array(2.0),
        "vector": torch.tensor([1.0, 2.0]),
        "name": "x",
        "already": 1.5,
    }
    out = logs_to_floats(logs)
    assert out["loss"] == 0.5 and type(out["loss"]) is float
    assert out["count"] == 3.0 and type(out["count"]) is float
    assert out["np"] == 0.25 and type(out["np"]) is float
    assert out["zero_d"] == 2.0 and type(out["zero_d"]) is float
    np.testing.assert_array_equal(out["vector"], [1.0, 2.0])
    assert out["name"] == "x" and out["already"] == 1.5
    assert isinstance(logs["loss"], torch.Tensor)  # the input is left alone
    assert logs_to_floats(None) == {}


def test_logs_to_floats_reads_a_float32_value_exactly():
    value = torch.tensor(0.1, dtype=torch.float32)
    assert logs_to_floats({"v": value})["v"] == float(np.float32(0.1))
