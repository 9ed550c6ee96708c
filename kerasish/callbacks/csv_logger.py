"""CSVLogger: one row per epoch with every log value (Keras 3 format)."""

from __future__ import annotations

import collections.abc
import csv
import os
from typing import Any, Optional, Union

import numpy as np
import torch

from kerasish.callbacks.base import Callback


def _cell(value: Any) -> Any:
    if isinstance(value, torch.Tensor):  # logs handed over directly rather than by the list
        value = value.detach().cpu().numpy()
        value = float(value) if value.ndim == 0 else value
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Streams epoch logs to ``filename``: an ``epoch`` column, then the log keys sorted.

    The columns are fixed at the first epoch; when it had no validation values, ``val_`` columns
    are added for every key anyway (validation may start later, ``validation_freq``), and
    missing values are written ``NA``. ``append=True`` continues an existing file and writes the
    header only if the file was empty.
    """

    def __init__(
        self, filename: Union[str, os.PathLike], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: Optional[csv.DictWriter] = None
        self.keys: Optional[list[str]] = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            separator = self.sep

            class Dialect(csv.excel):
                delimiter = separator

            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
