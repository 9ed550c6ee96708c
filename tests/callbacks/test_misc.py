import math

import pytest
import torch

from kerasish.callbacks import CallbackList, LambdaCallback, TerminateOnNaN
from tests.callbacks.fakes import FakeModel


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, torch.tensor(math.nan)])
def test_terminate_on_nan_stops_training(bad, capsys):
    model = FakeModel()
    cbs = CallbackList([TerminateOnNaN()], model=model)
    cbs.on_train_batch_end(0, {"loss": torch.tensor(1.0)})
    assert not model.stop_training
    cbs.on_train_batch_end(1, {"loss": bad})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise_and_ignores_missing_loss():
    model = FakeModel()
    cb = TerminateOnNaN(raise_error=True)
    cb.set_model(model)
    cb.on_train_batch_end(0, {"accuracy": math.nan})
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3. Loss value: nan."):
        cb.on_train_batch_end(3, {"loss": math.nan})
    assert not model.stop_training


def test_lambda_callback_hooks():
    calls = []
    cb = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_begin=lambda logs: calls.append(("train_begin",)),
        on_train_end=lambda logs: calls.append(("train_end",)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    cbs = CallbackList([cb], model=FakeModel())
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": torch.tensor(0.5)})
    cbs.on_test_end({"loss": torch.tensor(0.25)})
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_train_end()
    assert calls == [
        ("train_begin",),
        ("epoch_begin", 0),
        ("batch_begin", 0),
        ("batch_end", 0, {"loss": 0.5}),
        ("test_end", {"loss": 0.25}),
        ("epoch_end", 0, {"loss": 0.5}),
        ("train_end",),
    ]


def test_lambda_callback_keras2_batch_names():
    seen = []
    cb = LambdaCallback(on_batch_end=lambda batch, logs: seen.append((batch, logs)))
    CallbackList([cb]).on_train_batch_end(2, {"loss": torch.tensor(1.0)})
    assert seen == [(2, {"loss": 1.0})]
