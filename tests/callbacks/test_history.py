import torch

from kerasish.callbacks import CallbackList, History
from tests.callbacks.fakes import CountingTensor, FakeModel, counting


def _fit(cbs, epochs, steps, epoch_logs):
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": counting(1.0)})
        cbs.on_epoch_end(epoch, epoch_logs(epoch))
    cbs.on_train_end()


def test_history_records_every_epoch():
    model = FakeModel()
    cbs = CallbackList(None, add_history=True, model=model, verbose=0, epochs=3, steps=2)
    _fit(cbs, 3, 2, lambda e: {"loss": torch.tensor(1.0 / (e + 1)), "val_loss": 2.0 - e})
    history = model.history
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.0, 0.5, float(torch.tensor(1.0 / 3))], "val_loss": [2.0, 1.0, 0.0]}
    assert all(type(v) is float for v in history.history["loss"])
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 2}


def test_history_reads_nothing_per_batch():
    model = FakeModel()
    cbs = CallbackList(None, add_history=True, model=model, verbose=0, epochs=1, steps=20)
    CountingTensor.reads = 0
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(20):
        cbs.on_train_batch_end(batch, {"loss": counting(1.0)})
    assert CountingTensor.reads == 0
    cbs.on_epoch_end(0, {"loss": counting(1.0)})
    assert CountingTensor.reads == 1
    assert model.history.history == {"loss": [1.0]}


def test_history_driven_directly_converts_tensors_and_sets_model_history():
    history = History()
    model = FakeModel()
    history.set_model(model)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": torch.tensor(0.5)})
    history.on_epoch_end(1, None)
    assert history.history == {"loss": [0.5]} and history.epoch == [0, 1]
    assert model.history is history
