"""keras.datasets loading from a Keras cache that holds local stand-ins of the real files."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from compat_tests.keras2_scripts.cache import write_cache
from kerasish import datasets
from kerasish.utils import file_utils


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv(file_utils.TRUST_CACHE_ENV, "1")
    write_cache(str(tmp_path))
    return tmp_path


def test_npz_datasets(keras_home):
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    assert x_train.shape == (1000, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (200,)
    (x_train, y_train), _ = datasets.imdb.load_data(num_words=50, maxlen=15)
    assert x_train.dtype == object and all(len(s) < 15 and max(s) < 50 and s[0] == 1 for s in x_train)
    (x_train, y_train), (x_test, _) = datasets.reuters.load_data(test_split=0.5)
    assert len(x_train) == len(x_test) == 300 and set(np.unique(y_train)) <= set(range(5))
    assert len(datasets.reuters.get_label_names()) == 46
    (x_train, y_train), (x_test, y_test) = datasets.boston_housing.load_data()
    assert x_train.shape == (240, 13) and y_test.shape == (60,)


def test_fashion_mnist_idx_files(keras_home):
    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 5), ("t10k", 3)):
        labels = rng.integers(0, 10, size=count).astype("uint8")
        images = rng.integers(0, 255, size=(count, 28, 28)).astype("uint8")
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + labels.tobytes())
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images.tobytes())
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28) and x_test.shape == (3, 28, 28)
    np.testing.assert_array_equal(x_test[-1], images[-1])


def test_cifar10_tarball(keras_home):
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for name in names:
            batch = {b"data": rng.integers(0, 255, size=(2, 3072)).astype("uint8"), b"labels": [1, 7]}
            payload = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    (keras_home / "datasets" / "cifar-10-batches-py-target_archive").write_bytes(buffer.getvalue())
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (2, 32, 32, 3) and list(y_test[:, 0]) == [1, 7]
    assert os.path.isdir(keras_home / "datasets" / "cifar-10-batches-py-target")


def test_restricted_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([Evil()], dtype=object))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to deserialize `posix.system`"):
        datasets.npz.load_npz(str(path))


def test_imdb_rejects_unknown_arguments(keras_home):
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        datasets.imdb.load_data(bogus=1)
    (x_train, _), _ = datasets.imdb.load_data(nb_words=20)
    assert max(max(s) for s in x_train) < 20


def test_california_housing_versions_and_split(keras_home):
    rng = np.random.default_rng(0)
    x, y = rng.random((1000, 8)).astype("float32"), rng.random(1000).astype("float32") * 5e5
    np.savez(keras_home / "datasets" / "california_housing.npz", x=x, y=y)
    (x_train, y_train), (x_test, y_test) = datasets.california_housing.load_data()
    assert x_train.shape == (800, 8) and y_test.shape == (200,)
    indices = np.arange(1000)
    np.random.RandomState(113).shuffle(indices)
    np.testing.assert_array_equal(x_train[0], x[indices[0]])
    (x_small, _), (x_small_test, _) = datasets.california_housing.load_data(version="small", test_split=0.5)
    assert x_small.shape == (300, 8) and x_small_test.shape == (300, 8)
    assert set(map(tuple, x_small.tolist())) <= set(map(tuple, x[:600].tolist()))
    with pytest.raises(ValueError, match="must be one of 'small', 'large'"):
        datasets.california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match="Invalid `test_split` argument"):
        datasets.california_housing.load_data(test_split=1.0)
