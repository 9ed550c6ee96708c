import json
import os

import numpy as np
import pytest

from kerasish.callbacks import BackupAndRestore, CallbackList
from tests.callbacks.fakes import FakeModel


class Interrupt(Exception):
    pass


def _fit(model, callback, epochs, interrupt_after=None, steps=2):
    """A training loop as the trainer runs it: it starts at ``model._initial_epoch``."""
    cbs = CallbackList([callback], model=model, verbose=0, epochs=epochs, steps=steps)
    cbs.on_train_begin()
    ran = []
    for epoch in range(getattr(model, "_initial_epoch", 0) or 0, epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_end(batch, {"loss": 1.0})
        model.weights = [np.full(2, float(epoch + 1))]
        cbs.on_epoch_end(epoch, {"loss": 1.0})
        ran.append(epoch)
        if epoch == interrupt_after:
            raise Interrupt(ran)
    cbs.on_train_end()
    return ran


def test_resume_from_the_last_finished_epoch(tmp_path):
    backup = tmp_path / "backup"
    with pytest.raises(Interrupt):
        _fit(FakeModel(), BackupAndRestore(backup), epochs=5, interrupt_after=1)
    assert json.loads((backup / "training_metadata.json").read_text()) == {"epoch": 2, "batch": 0}
    assert (backup / "latest.weights.h5").exists()

    model = FakeModel()
    ran = _fit(model, BackupAndRestore(backup), epochs=5)
    assert model._initial_epoch == 2 and ran == [2, 3, 4]
    assert ("load_weights", str(backup / "latest.weights.h5")) in model.calls
    assert not backup.exists()  # deleted at the end of a completed fit


def test_restored_weights_are_the_backed_up_ones(tmp_path):
    backup = tmp_path / "b"
    with pytest.raises(Interrupt):
        _fit(FakeModel(), BackupAndRestore(backup), epochs=3, interrupt_after=0)
    model = FakeModel()
    callback = BackupAndRestore(backup, delete_checkpoint=False)
    callback.set_model(model)
    callback.on_train_begin()
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_fresh_start_without_backup(tmp_path):
    model = FakeModel()
    ran = _fit(model, BackupAndRestore(tmp_path / "none", delete_checkpoint=False), epochs=2)
    assert ran == [0, 1] and not hasattr(model, "_initial_epoch")
    assert (tmp_path / "none" / "latest.weights.h5").exists()


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    backup = tmp_path / "b"
    with pytest.raises(Interrupt):
        _fit(FakeModel(), BackupAndRestore(backup, double_checkpoint=True), epochs=4,
             interrupt_after=1)
    assert json.loads((backup / "training_metadata.json.bkp").read_text())["epoch"] == 1
    (backup / "latest.weights.h5").write_text("truncated")  # interrupted mid-write
    model = FakeModel()
    ran = _fit(model, BackupAndRestore(backup, double_checkpoint=True), epochs=4)
    assert ran == [1, 2, 3]
    np.testing.assert_array_equal(model.weights[0], [4.0, 4.0])


def test_unreadable_backup_without_previous_raises(tmp_path):
    backup = tmp_path / "b"
    os.makedirs(backup)
    (backup / "latest.weights.h5").write_text("truncated")
    with pytest.raises(OSError, match="unreadable weights file"):
        _fit(FakeModel(), BackupAndRestore(backup), epochs=1)


def test_save_every_n_batches(tmp_path):
    backup = tmp_path / "b"
    model = FakeModel()
    with pytest.raises(Interrupt):
        _fit(model, BackupAndRestore(backup, save_freq=3), epochs=3, steps=4, interrupt_after=0)
    assert model.saved_paths("save_weights") == ["latest.weights.h5"]
    assert json.loads((backup / "training_metadata.json").read_text()) == {"epoch": 0, "batch": 2}


def test_unbuilt_model_and_bad_arguments(tmp_path):
    model = FakeModel()
    model.built = False
    with pytest.raises(ValueError, match="your model must be built before you call `fit\\(\\)`"):
        _fit(model, BackupAndRestore(tmp_path), epochs=1)
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="Received: save_freq=often"):
        BackupAndRestore(tmp_path, save_freq="often")
