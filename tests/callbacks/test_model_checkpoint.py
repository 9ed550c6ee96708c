import os

import pytest
import torch

from kerasish.callbacks import CallbackList, ModelCheckpoint
from tests.callbacks.fakes import CountingTensor, FakeModel, counting


def _epochs(callback, model, val_losses):
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(val_losses):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": value})


def test_every_epoch_with_a_file_name_template(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5"))
    _epochs(cb, model, [0.5, 0.25, torch.tensor(0.75)])
    assert model.saved_paths("save") == ["w.01-0.50.h5", "w.02-0.25.h5", "w.03-0.75.h5"]
    assert sorted(os.listdir(tmp_path)) == ["w.01-0.50.h5", "w.02-0.25.h5", "w.03-0.75.h5"]


def test_weights_only_calls_save_weights(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(tmp_path / "ckpt.weights.h5", save_weights_only=True)
    _epochs(cb, model, [0.5])
    assert model.saved_paths("save_weights") == ["ckpt.weights.h5"]
    assert model.saved_paths("save") == []


def test_best_only_saves_improvements(tmp_path, capsys):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "best-{epoch}.keras"), save_best_only=True, verbose=1)
    _epochs(cb, model, [0.5, 0.6, 0.4, 0.4])
    assert model.saved_paths("save") == ["best-1.keras", "best-3.keras"]
    path = str(tmp_path)
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {path}/best-1.keras\n"
        f"\nEpoch 1: finished saving model to {path}/best-1.keras\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {path}/best-3.keras\n"
        f"\nEpoch 3: finished saving model to {path}/best-3.keras\n"
        "\nEpoch 4: val_loss did not improve from 0.40000\n"
    )


def test_best_only_max_mode_and_initial_threshold(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), monitor="val_loss", mode="max",
                         save_best_only=True, initial_value_threshold=0.55)
    _epochs(cb, model, [0.5, 0.6, 0.58, 0.7])
    assert model.saved_paths("save") == ["m2.keras", "m4.keras"]


def test_best_only_without_the_monitored_value_warns_and_saves(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "m.keras"), monitor="val_auc", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_auc available."):
        _epochs(cb, model, [0.5])
    assert model.saved_paths("save") == ["m.keras"]


def test_save_every_n_batches_reads_logs_only_when_saving(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}-{loss:.1f}.keras"), save_freq=3)
    cbs = CallbackList([cb], model=model, verbose=0, epochs=2, steps=4)
    CountingTensor.reads = 0
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for batch in range(4):
            cbs.on_train_batch_end(batch, {"loss": counting(0.5)})
        cbs.on_epoch_end(epoch, {"loss": 0.5})
    # 8 batches, saves after the 3rd and 6th: batch 3 of epoch 1, batch 2 of epoch 2.
    assert model.saved_paths("save") == ["e1-b3-0.5.keras", "e2-b2-0.5.keras"]
    assert CountingTensor.reads == 2


def test_template_with_an_unknown_key(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        _epochs(cb, FakeModel(), [0.5])


def test_save_errors_propagate(tmp_path):
    class NoSaving:
        stop_training = False

    cb = ModelCheckpoint(str(tmp_path / "m.keras"))
    with pytest.raises(AttributeError, match="save"):
        _epochs(cb, NoSaving(), [0.5])

    class Failing(FakeModel):
        def save(self, filepath, overwrite=True):
            raise NotImplementedError("saving .xyz files")

    with pytest.raises(NotImplementedError, match="saving .xyz files"):
        _epochs(ModelCheckpoint(str(tmp_path / "m.xyz")), Failing(), [0.5])


def test_directory_path_is_rejected_and_missing_dirs_created(tmp_path):
    with pytest.raises(OSError, match="Please specify a non-directory filepath for ModelCheckpoint"):
        _epochs(ModelCheckpoint(str(tmp_path)), FakeModel(), [0.5])
    model = FakeModel()
    _epochs(ModelCheckpoint(str(tmp_path / "a" / "b" / "m.keras")), model, [0.5])
    assert (tmp_path / "a" / "b" / "m.keras").exists()


def test_bad_save_freq():
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch"):
        ModelCheckpoint("m.keras", save_freq="batch")
