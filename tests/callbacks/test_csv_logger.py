import numpy as np
import torch

from kerasish.callbacks import CallbackList, CSVLogger
from tests.callbacks.fakes import FakeModel


def _fit(callback, epoch_logs):
    cbs = CallbackList([callback], model=FakeModel(), verbose=0, epochs=len(epoch_logs), steps=1)
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end()


def test_rows_with_sorted_columns(tmp_path):
    path = tmp_path / "log.csv"
    _fit(CSVLogger(path), [
        {"loss": torch.tensor(0.5), "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
        {"loss": 0.375, "accuracy": np.float32(0.5), "val_loss": 0.5, "val_accuracy": 0.25},
    ])
    assert path.read_text() == (
        "epoch,accuracy,loss,val_accuracy,val_loss\n"
        "0,0.25,0.5,0.125,0.75\n"
        "1,0.5,0.375,0.25,0.5\n"
    )


def test_validation_columns_are_reserved_and_filled_with_na(tmp_path):
    path = tmp_path / "log.csv"
    _fit(CSVLogger(path, separator=";"), [{"loss": 0.5}, {"loss": 0.25, "val_loss": 1.0}])
    assert path.read_text() == "epoch;loss;val_loss\n0;0.5;NA\n1;0.25;1.0\n"


def test_append_writes_the_header_once(tmp_path):
    path = tmp_path / "log.csv"
    _fit(CSVLogger(path, append=True), [{"loss": 0.5}])
    _fit(CSVLogger(path, append=True), [{"loss": 0.25}])
    assert path.read_text() == "epoch,loss,val_loss\n0,0.5,NA\n0,0.25,NA\n"
    _fit(CSVLogger(path), [{"loss": 1.0}])
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,NA\n"


def test_array_values_are_quoted_lists(tmp_path):
    path = tmp_path / "log.csv"
    _fit(CSVLogger(path), [{"per_class": np.array([1, 2]), "val_per_class": [3, 4]}])
    assert path.read_text() == 'epoch,per_class,val_per_class\n0,"""[1, 2]""","""[3, 4]"""\n'
