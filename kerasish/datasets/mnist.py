"""MNIST digits: ``(x_train, y_train), (x_test, y_test)``, uint8 ``(n, 28, 28)`` and labels."""

from __future__ import annotations

import numpy as np

from kerasish.datasets.npz import ORIGIN
from kerasish.utils.file_utils import get_file

_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> tuple:
    path = get_file(fname=path, origin=f"{ORIGIN}mnist.npz", file_hash=_SHA256)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
