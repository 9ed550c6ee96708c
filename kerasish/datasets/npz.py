"""Reading the datasets' ``.npz`` and pickle files without executing arbitrary pickles.

IMDB and Reuters store ragged sequences as object arrays, which NumPy can only save as pickle
streams; they are read here with an unpickler that accepts only what rebuilds a NumPy array.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import Any

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_ALLOWED = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to deserialize `{module}.{name}` while loading a Keras dataset. The file "
            "may be corrupted or malicious."
        )


def _read_member(stream: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError:  # an object array: a pickle after the header
        stream.seek(0)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            np.lib.format.read_array_header_1_0(stream)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"Unsupported `.npy` file version: {major}.") from None
        return RestrictedUnpickler(stream).load()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an ``.npz`` file, object arrays included."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_member(io.BytesIO(raw.read()))
    return arrays


def load_pickle(path: str) -> Any:
    """A pickle of NumPy arrays and plain containers (CIFAR's batch files)."""
    with open(path, "rb") as handle:
        return RestrictedUnpickler(handle, encoding="bytes").load()
