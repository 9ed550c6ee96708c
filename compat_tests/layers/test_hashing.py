"""Hashing and HashedCrossing against Keras 3.15.1 on TensorFlow, bit for bit.

Keras runs both layers on TensorFlow ops, which CI does not install; the expected values are
committed fixtures written by ``compat_tests/fixtures/make_hashing_fixtures.py`` (see there to
regenerate them): every call's output (values, dtype, shape), config and errors, graph-call
specs, and ``.keras`` models.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.fixtures.make_hashing_fixtures import decode_input

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hashing"
CASES = json.loads((FIXTURES / "cases.json").read_text())
MODELS = json.loads((FIXTURES / "models.json").read_text())


def _dtype_name(dtype):
    """Keras' config dtype (a DTypePolicy dict or a name) as a name."""
    return dtype["config"]["name"] if isinstance(dtype, dict) else dtype


def _comparable(config):
    config = {key: value for key, value in config.items() if key != "name"}
    config["dtype"] = _dtype_name(config["dtype"])
    return config


def _ids(entries):
    return [f"{i}-{e['layer']}" for i, e in enumerate(entries)]


def _error_of(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the error is what is compared
        return type(err).__name__, str(err)
    return None


def _torch_form(x):
    """Integer inputs once more as torch tensors (what a model hands the layer)."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "iu":
        return torch.from_numpy(x)
    if isinstance(x, tuple) and all(isinstance(v, np.ndarray) and v.dtype.kind in "iu" for v in x):
        return tuple(torch.from_numpy(v) for v in x)
    return None


@pytest.mark.parametrize("entry", CASES["cases"], ids=_ids(CASES["cases"]))
def test_calls_match_keras(entry):
    cls = getattr(kerasish.layers, entry["layer"])
    if "init_error" in entry:
        assert _error_of(lambda: cls(**entry["kwargs"])) == tuple(entry["init_error"])
        return
    layer = cls(**entry["kwargs"])
    assert _comparable(layer.get_config()) == _comparable(entry["config"])
    assert _comparable(cls.from_config(layer.get_config()).get_config()) == _comparable(
        entry["config"]
    )
    x = decode_input(entry["input"])
    if "call_error" in entry:
        kind, message = entry["call_error"]
        received = _error_of(lambda: layer(x))
        assert received is not None and received[0] == kind
        if "Received: inputs=[<tf.Tensor" in message:  # TF tensor reprs: compare the sentence
            assert received[1].split("Received")[0] == message.split("Received")[0]
        elif kind != "IndexError":  # Keras' IndexError is TF's bare "tuple index out of range"
            assert received[1] == message
        return
    expected = entry["output"]
    for inputs in (x, _torch_form(x)):
        if inputs is None:
            continue
        out = layer(inputs)
        assert isinstance(out, torch.Tensor)
        assert str(out.dtype).replace("torch.", "") == expected["dtype"]
        assert list(out.shape) == expected["shape"]
        np.testing.assert_array_equal(
            out.numpy().ravel(), np.array(expected["values"], dtype=expected["dtype"])
        )


@pytest.mark.parametrize("entry", CASES["symbolic"], ids=_ids(CASES["symbolic"]))
def test_graph_calls_match_keras(entry):
    layer = getattr(kerasish.layers, entry["layer"])(**entry["kwargs"])
    inputs = [kerasish.Input(shape=tuple(s), dtype="int64") for s in entry["shapes"]]
    call = lambda: layer(inputs[0] if len(inputs) == 1 else tuple(inputs))  # noqa: E731
    if "error" in entry:
        assert _error_of(call) == tuple(entry["error"])
        return
    out = call()
    assert list(out.shape) == entry["output"]["shape"]
    assert out.dtype == entry["output"]["dtype"]


def _predict(model, inputs):
    outputs = model(*[torch.tensor(x) for x in inputs])
    return [o.tolist() for o in outputs]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_files_load_with_keras_outputs(name, tmp_path):
    model = kerasish.saving.load_model(FIXTURES / f"{name}.keras")
    record = MODELS[name]
    assert _predict(model, record["inputs"]) == record["outputs"]
    # And back: kerasish's file holds Keras' layer configs (dtype policies spelt either way);
    # Keras itself reading these files is checked by the fixture script's ``tf-check``.
    path = tmp_path / f"{name}.keras"
    model.save(path)
    ours = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    theirs = json.loads(zipfile.ZipFile(FIXTURES / f"{name}.keras").read("config.json"))
    theirs = theirs["config"]["layers"]
    assert [layer["class_name"] for layer in ours] == [layer["class_name"] for layer in theirs]
    for mine, keras_layer in zip(ours[1:], theirs[1:]):
        if keras_layer["class_name"] != "InputLayer":
            assert {**mine["config"], "dtype": _dtype_name(mine["config"]["dtype"])} == {
                **keras_layer["config"], "dtype": _dtype_name(keras_layer["config"]["dtype"])
            }
    assert _predict(kerasish.saving.load_model(path), record["inputs"]) == record["outputs"]


def test_raw_hashes_match_tensorflow():
    """Full 64-bit FarmHash and SipHash values of strings of every FarmHash length branch."""
    from kerasish.utils import fingerprint

    raw = json.loads((FIXTURES / "fingerprints.json").read_text())
    strings = [s.encode("utf-8") for s in raw["strings"]]
    assert sorted({len(s) for s in strings})[-1] > 128 and b"" in strings
    assert [f"{v:016x}" for v in fingerprint.fingerprint64(strings).tolist()] == raw["fingerprint64"]
    for key, expected in raw["siphash"].items():
        words = tuple(int(word) for word in key.split(","))
        assert [f"{v:016x}" for v in fingerprint.siphash(strings, words).tolist()] == expected
