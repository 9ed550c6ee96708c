"""CIFAR-10: the Python-pickle tarball, as uint8 ``(n, 32, 32, 3)`` images (channels_last by
default) and uint8 ``(n, 1)`` labels."""

from __future__ import annotations

import os

import numpy as np

from kerasish import backend
from kerasish.datasets.npz import load_pickle
from kerasish.utils.file_utils import get_file

_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_batch(fpath: str, label_key: str = "labels") -> tuple:
    """One CIFAR batch file: ``(data (n, 3, 32, 32), labels)``."""
    batch = {key.decode("utf8"): value for key, value in load_pickle(fpath).items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def load_data() -> tuple:
    path = get_file(
        fname="cifar-10-batches-py-target",
        origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        extract=True,
        file_hash=_SHA256,
    )
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(p[1]) for p in parts]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.asarray(y_test).reshape(len(y_test), 1).astype(y_train.dtype)
    if backend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test)
