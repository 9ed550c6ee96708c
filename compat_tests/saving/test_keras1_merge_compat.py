"""Keras 1.2.2 files with ``Merge`` layers (written by
``compat_tests/fixtures/make_keras1_merge_fixtures.py`` in Keras 1.2.2's layouts) load in
kerasish and predict what Keras 1's formulas give, computed here in float64 NumPy from the
stored arrays (Keras 1 cannot run on this Python)."""

import gzip
import shutil
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerasish

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras1_merge"
ATOL = 1e-5


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _file(name, tmp_path):
    target = tmp_path / name
    with gzip.open(FIXTURES / f"{name}.gz", "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


def _stored(path):
    with h5py.File(path, "r") as f:
        root = f["model_weights"]
        names = [n.decode() for n in root.attrs["layer_names"]]
        values = {}
        for layer in names:
            for w in root[layer].attrs["weight_names"]:
                values[w.decode().replace(":0", "")] = np.asarray(root[layer][w.decode()], dtype="float64")
    return names, values


def _dense(w, name, x, activation=None):
    y = x @ w[f"{name}_W"] + w[f"{name}_b"]
    return activation(y) if activation else y


def _relu(x):
    return np.maximum(x, 0.0)


def test_sequential_concat_of_two_branches(tmp_path):
    path = _file("seq_concat.h5", tmp_path)
    _, w = _stored(path)
    model = kerasish.models.load_model(path, compile=False)
    assert isinstance(model, kerasish.Sequential)
    assert [layer.name for layer in model.layers] == ["merge_1", "dense_4"]
    assert isinstance(model.layers[0], kerasish.layers.Concatenate)
    rng = np.random.RandomState(0)
    a, b = rng.randn(6, 4).astype("float32"), rng.randn(6, 5).astype("float32")
    left = _dense(w, "dense_2", _dense(w, "dense_1", a), _relu)
    right = _dense(w, "dense_3", b)
    expected = _dense(w, "dense_4", np.concatenate([left, right], axis=-1), np.tanh)
    np.testing.assert_allclose(model.predict([a, b], verbose=0), expected, atol=ATOL)


def test_sequential_weights_are_read_in_flattened_order(tmp_path):
    """The left branch is longer: depth order would pair dense_2 with dense_3's group."""
    path = _file("seq_concat.h5", tmp_path)
    names, w = _stored(path)
    assert names == ["dense_1", "dense_2", "dense_3", "dense_4"]
    model = kerasish.models.load_model(path, compile=False)
    assert [layer.name for layer in model.keras1_flattened_layers()] == names
    np.testing.assert_allclose(model.get_layer("dense_3").get_weights()[0], w["dense_3_W"], atol=0)


def test_nested_merges_and_rank3_dot(tmp_path):
    path = _file("seq_nested_dot.h5", tmp_path)
    _, w = _stored(path)
    model = kerasish.models.load_model(path, compile=False)
    rng = np.random.RandomState(1)
    x1, x2, x3 = (rng.randn(5, d).astype("float32") for d in (3, 2, 3))
    inner = _dense(w, "dense_3", (_dense(w, "dense_1", x1) + _dense(w, "dense_2", x2)) / 2).reshape(5, 3, 2)
    other = _dense(w, "dense_4", x3).reshape(5, 4, 2)
    dotted = np.einsum("bik,bjk->bij", inner, other)
    expected = _dense(w, "dense_5", dotted.reshape(5, 12))
    np.testing.assert_allclose(model.predict([x1, x2, x3], verbose=0), expected, atol=ATOL)


def test_functional_merge_modes(tmp_path):
    path = _file("func_modes.h5", tmp_path)
    names, w = _stored(path)
    model = kerasish.models.load_model(path, compile=False)
    assert [layer.name for layer in model.layers] == names
    kinds = {layer.name: type(layer).__name__ for layer in model.layers}
    assert [kinds[f"merge_{i}"] for i in range(1, 9)] == [
        "Add", "Multiply", "Average", "Maximum", "Concatenate", "Dot", "Dot", "Concatenate"]
    rng = np.random.RandomState(2)
    a, b = rng.randn(7, 4).astype("float32"), rng.randn(7, 5).astype("float32")
    da, db = _dense(w, "dense_1", a), _dense(w, "dense_2", b, np.tanh)
    elementwise = np.concatenate([da + db, da * db, (da + db) / 2, np.maximum(da, db)], axis=1)
    dot = np.sum(da * db, axis=1, keepdims=True)
    norms = np.sqrt(np.sum(da * da, axis=1, keepdims=True) * np.sum(db * db, axis=1, keepdims=True))
    cos = dot / np.maximum(norms, 1e-7)
    expected = _dense(w, "dense_3", np.concatenate([elementwise, dot, cos], axis=1))
    np.testing.assert_allclose(model.predict([a, b], verbose=0), expected, atol=ATOL)


@pytest.mark.parametrize("reader", ["json", "yaml"])
def test_keras1_text_configs(reader, tmp_path):
    text = (FIXTURES / f"seq_concat.{reader}").read_text()
    model = getattr(kerasish.models, f"model_from_{reader}")(text)
    assert [layer.name for layer in model.layers] == ["merge_1", "dense_4"]
    assert [tuple(x.shape) for x in model.inputs] == [(None, 4), (None, 5)]
    # The weights of the .h5 model load into the model built from its text config.
    model.load_weights(_file("seq_concat.h5", tmp_path))
    reference = kerasish.models.load_model(tmp_path / "seq_concat.h5", compile=False)
    x = [np.ones((2, 4), "float32"), np.ones((2, 5), "float32")]
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=0)


def test_weights_round_trip_in_keras1_order(tmp_path):
    model = kerasish.models.load_model(_file("seq_concat.h5", tmp_path), compile=False)
    model.save_weights(tmp_path / "again.h5")
    with h5py.File(tmp_path / "again.h5", "r") as f:
        assert [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]] == [
            "dense_1", "dense_2", "dense_3", "dense_4"]
    fresh = kerasish.models.model_from_json((FIXTURES / "seq_concat.json").read_text())
    fresh.load_weights(tmp_path / "again.h5")
    for mine, theirs in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
