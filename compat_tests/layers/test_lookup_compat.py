"""StringLookup, IntegerLookup and TextVectorization against Keras 3.15.1 (TensorFlow backend).

Keras 3 runs these layers on TensorFlow only, so the oracle is the committed fixture written by
``compat_tests/fixtures/make_lookup_fixtures.py``: every case's constructor arguments, adapt
data and inputs, and what Keras answered. Each case is rebuilt in kerasish and must give the
same vocabulary, sizes, config, outputs (values, shapes) and errors.

Known, deliberate departures, asserted here as such:

* ``one_hot``/``multi_hot``/``count`` outputs are float32 in kerasish; Keras' TensorFlow code
  returns int64 counts there while its symbolic spec says float32 (the values are equal);
* ``one_hot`` after a split gives Keras a ragged tensor; kerasish raises NotImplementedError;
* errors raised inside TensorFlow ops (``InvalidArgumentError``) are ``ValueError`` here.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest
import torch

import kerasish
from kerasish import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "lookup")

with open(os.path.join(FIXTURES, "cases.json"), encoding="utf-8") as _f:
    _DATA = json.load(_f)
CASES = {case["name"]: case for case in _DATA["cases"]}


def _build(case: dict, tmp_path) -> layers.Layer:
    cls = getattr(layers, case["layer"])
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list) and case["name"] != "e_t_ngrams":
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    if "vocabulary_file" in case:
        path = tmp_path / f"{case['name']}.txt"
        path.write_text("\n".join(case["vocabulary_file"]) + "\n", encoding="utf-8")
        kwargs["vocabulary"] = str(path)
    layer = cls(**kwargs)
    if "adapt" in case:
        layer.adapt(case["adapt"])
    return layer


def _as_input(x):
    return x if isinstance(x, (str, int)) else np.array(x)


def _check_output(case: dict, got, want: dict) -> None:
    if want["dtype"] == "ragged":
        pytest.fail("a ragged Keras output must be refused by kerasish")
    if case["kwargs"].get("invert") and case["layer"] == "StringLookup":
        assert isinstance(got, np.ndarray) and got.dtype.kind == "U"
        assert got.tolist() == want["value"]
        return
    assert isinstance(got, torch.Tensor)
    assert list(got.shape) == want["shape"]
    if want["dtype"] == "int64":
        int_mode = case["kwargs"].get("output_mode", "int") == "int"
        assert got.dtype == (torch.int64 if int_mode else torch.float32)
        assert got.tolist() == want["value"]
    else:
        assert got.dtype == torch.float32
        np.testing.assert_allclose(got.numpy(), np.array(want["value"], dtype="float32"), atol=1e-5, rtol=0)


_CALL_CASES = [name for name, case in CASES.items() if "construct" not in case]
_ERROR_CASES = [name for name, case in CASES.items() if "construct" in case]


@pytest.mark.parametrize("name", _CALL_CASES)
def test_case_matches_keras(name, tmp_path):
    case = CASES[name]
    layer = _build(case, tmp_path)
    assert layer.get_vocabulary() == case["vocabulary"]
    assert layer.get_vocabulary(include_special_tokens=False) == case["vocabulary_no_special"]
    assert layer.vocabulary_size() == case["vocabulary_size"]
    config = json.loads(json.dumps(layer.get_config()))
    want = dict(case["config"])
    for key in ("dtype", "name"):  # names count per process
        config.pop(key)
        want.pop(key, None)
    assert config == want
    for x, want in zip(case["inputs"], case["outputs"]):
        if "error" in want:
            with pytest.raises(ValueError) as err:
                layer(_as_input(x))
            assert _core(want["message"]) in str(err.value)
        elif want["dtype"] == "ragged":
            with pytest.raises(NotImplementedError, match="ragged"):
                layer(_as_input(x))
        else:
            _check_output(case, layer(_as_input(x)), want)


def _core(message: str) -> str:
    """Keras' message without its call-context wrapping and TensorFlow's value dump."""
    for line in message.splitlines():
        if "num_oov_indices=0" in line:
            return "When `num_oov_indices=0` all inputs should be in vocabulary"
    text = message.split("\x1b[1m")[-1].split("\x1b[0m")[0]
    return text.strip()


@pytest.mark.parametrize("name", _ERROR_CASES)
def test_constructor_errors_match_keras(name, tmp_path):
    case = CASES[name]
    want = case["construct"]
    with pytest.raises(getattr(__builtins__, want["error"], None) or ValueError) as err:
        _build(case, tmp_path)
    assert type(err.value).__name__ == want["error"]
    message = want["message"]
    if "repeated terms" in message:  # NumPy 2 writes the terms as np.str_(...)
        message = message.split("The repeated terms are")[0]
    assert message in str(err.value)


def test_reconstructed_from_keras_config(tmp_path):
    """A Keras config rebuilds an equivalent layer (vocabulary in the config)."""
    for name in ("s_int", "i_int", "t_vocab", "s_tf_idf"):
        case = CASES[name]
        layer = getattr(layers, case["layer"]).from_config(dict(case["config"]))
        assert layer.get_vocabulary() == case["vocabulary"]
        x, want = case["inputs"][0], case["outputs"][0]
        _check_output(case, layer(_as_input(x)), want)


# ------------------------------------------------------------------ .keras files


def _keras_file_cases():
    return sorted(name[: -len(".keras")] for name in os.listdir(FIXTURES) if name.endswith(".keras"))


def _predict_matches(model, record: dict) -> None:
    x = np.array(record["x"], dtype=record["x_dtype"])
    got = model.predict(x, verbose=0)
    want = record["y"]
    pairs = zip(got, want) if isinstance(got, list) else [(got, want)]
    for g, w in pairs:
        np.testing.assert_allclose(np.asarray(g, dtype="float64"), np.asarray(w, dtype="float64"), atol=1e-5)


@pytest.mark.parametrize("name", _keras_file_cases())
def test_keras3_file_loads_and_predicts(name):
    with open(os.path.join(FIXTURES, f"{name}.json"), encoding="utf-8") as f:
        record = json.load(f)
    model = kerasish.models.load_model(os.path.join(FIXTURES, f"{name}.keras"))
    _predict_matches(model, record)


@pytest.mark.parametrize("name", _keras_file_cases())
def test_kerasish_file_has_keras3_layout(name, tmp_path):
    """Saved again by kerasish: the same zip members (assets where Keras puts them) and the
    same weights tree, and it still predicts the same."""
    source = os.path.join(FIXTURES, f"{name}.keras")
    model = kerasish.models.load_model(source)
    target = tmp_path / f"{name}.keras"
    model.save(target)
    with zipfile.ZipFile(source) as theirs, zipfile.ZipFile(target) as ours:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())
        for member in theirs.namelist():
            if member.startswith("assets/"):
                assert ours.read(member) == theirs.read(member)
    with open(os.path.join(FIXTURES, f"{name}.json"), encoding="utf-8") as f:
        record = json.load(f)
    _predict_matches(kerasish.models.load_model(target), record)


def test_kerasish_written_files_were_checked_by_keras3():
    """The committed kerasish-written files (loaded by Keras 3 with ``keras-check``) are what
    kerasish writes today: same config and assets."""
    written = os.path.join(FIXTURES, "kerasish_written")
    names = sorted(n for n in os.listdir(written) if n.endswith(".keras"))
    assert names == [f"{n}.keras" for n in _keras_file_cases()]
    for name in names:
        model = kerasish.models.load_model(os.path.join(written, name))
        with open(os.path.join(written, name[: -len(".keras")] + ".json"), encoding="utf-8") as f:
            _predict_matches(model, json.load(f))
