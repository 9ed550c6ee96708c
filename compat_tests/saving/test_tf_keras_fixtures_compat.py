"""Files written by tf.keras 2.21 (committed fixtures) load in kerasish with tf.keras' predictions.

The fixtures and their expected outputs come from ``compat_tests/fixtures/make_tf_keras_fixtures.py``
run with tensorflow-cpu + tf-keras; that script also checks that tf.keras loads the ``.h5``
files kerasish writes for the same models.
"""

import gzip
import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

import kerasish

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tf_keras"


def _file(name, tmp_path):
    target = tmp_path / name
    with gzip.open(FIXTURES / f"{name}.gz", "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


def _io(name):
    data = np.load(FIXTURES / f"{name}.npz")
    xs = [data[k] for k in sorted(data.files) if k.startswith("x") and k != "x"]
    ys = [data[k] for k in sorted(data.files) if k.startswith("y") and k != "y"]
    return (xs or data["x"]), (ys or [data["y"]])


def _assert_predicts(model, name):
    x, expected = _io(name)
    received = model.predict(x, verbose=0)
    received = received if isinstance(received, list) else [received]
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        np.testing.assert_allclose(r, e, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["seq_mlp", "nested_twice", "cnn_bn", "emb_lstm", "gru", "lstm_hard_sigmoid"])
def test_tf_keras_h5_models_load(tmp_path, name):
    model = kerasish.models.load_model(_file(f"{name}.h5", tmp_path))
    _assert_predicts(model, name)


def test_tf_keras_file_quirks_are_what_we_handle(tmp_path):
    with h5py.File(_file("emb_lstm.h5", tmp_path), "r") as f:
        config = json.loads(f.attrs["model_config"])
    lstm = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "LSTM")
    assert lstm["config"]["time_major"] is False  # refused by Keras 3, read here
    with h5py.File(_file("nested_twice.h5", tmp_path), "r") as f:
        config = json.loads(f.attrs["model_config"])
    concat = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Concatenate")
    assert [entry[1] for entry in concat["inbound_nodes"][0]] == [1, 2]  # nested calls from 1
    model = kerasish.models.load_model(_file("lstm_hard_sigmoid.h5", tmp_path))
    assert model.layers[0].recurrent_activation is kerasish.activations.legacy_hard_sigmoid


def test_tf_keras_compiled_model_resumes_training(tmp_path):
    model = kerasish.models.load_model(_file("compiled_mlp.h5", tmp_path))
    data = np.load(FIXTURES / "compiled_mlp.npz")
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["predictions"], atol=1e-5)
    assert int(model.optimizer.iterations) == 2
    history = model.fit(data["x"], data["y"], batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(float(data["next_epoch_loss"]), abs=1e-5)


def test_tf_keras_keras_zip_json_and_weights(tmp_path):
    _assert_predicts(kerasish.models.load_model(_file("seq_mlp_tf.keras", tmp_path)), "seq_mlp_tf")
    model = kerasish.models.model_from_json((FIXTURES / "seq_mlp.json").read_text())
    model.load_weights(_file("seq_mlp_weights.h5", tmp_path))
    _assert_predicts(model, "seq_mlp_tf")
    by_name = kerasish.models.model_from_json((FIXTURES / "seq_mlp.json").read_text())
    by_name.load_weights(_file("seq_mlp_weights.h5", tmp_path), by_name=True)
    _assert_predicts(by_name, "seq_mlp_tf")
