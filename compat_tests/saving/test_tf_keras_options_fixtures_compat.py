"""tf.keras 2.21 files with BatchNormalization renorm / virtual batches and time-major RNNs
(committed fixtures) load in kerasish and compute tf.keras' outputs and statistics updates.

The fixtures come from ``compat_tests/fixtures/make_tf_keras_options_fixtures.py`` run with
tensorflow-cpu + tf-keras; that script also checks that tf.keras loads the ``.h5`` files
kerasish writes for the same models.
"""

import gzip
import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import kerasish

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tf_keras_options"
BN_FIXTURES = ["bn_renorm", "bn_renorm_axis1", "bn_virtual", "bn_virtual_renorm"]
RNN_FIXTURES = ["lstm_time_major", "gru_time_major_masked"]


def _file(name, tmp_path):
    target = tmp_path / f"{name}.h5"
    with gzip.open(FIXTURES / f"{name}.h5.gz", "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


def _expected(data):
    ys = [data[k] for k in sorted(data.files) if k.startswith("y") and k[1:].isdigit()]
    return ys or [data["y"]]


def _outputs(model, x, training=False):
    y = model(torch.from_numpy(x), training=training)
    return [v.detach().numpy() for v in (y if isinstance(y, (list, tuple)) else [y])]


def _bn(model):
    return next(
        layer for layer in model.layers if isinstance(layer, kerasish.layers.BatchNormalization)
    )


def _assert_close(received, expected):
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        assert r.shape == e.shape
        np.testing.assert_allclose(r, e, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", BN_FIXTURES + RNN_FIXTURES)
def test_inference_matches_tf_keras(tmp_path, name):
    model = kerasish.models.load_model(_file(name, tmp_path))
    data = np.load(FIXTURES / f"{name}.npz")
    _assert_close(_outputs(model, data["x"]), _expected(data))


@pytest.mark.parametrize("name", BN_FIXTURES)
def test_training_step_and_statistics_match_tf_keras(tmp_path, name):
    model = kerasish.models.load_model(_file(name, tmp_path))
    data = np.load(FIXTURES / f"{name}.npz")
    _assert_close(_outputs(model, data["x_train"], training=True), [data["y_train"]])
    after = [data[f"after{i}"] for i in range(len([k for k in data.files if k.startswith("after")]))]
    _assert_close(_bn(model).get_weights(), after)


def test_renorm_weights_are_tf_keras_names_and_order(tmp_path):
    path = _file("bn_renorm", tmp_path)
    model = kerasish.models.load_model(path)
    layer = _bn(model)
    with h5py.File(path, "r") as f:
        names = [str(n) for n in f["model_weights"][layer.name].attrs["weight_names"]]
        config = json.loads(f.attrs["model_config"])
    assert [f"{layer.name}/{w.name}:0" for w in layer.weights] == names
    assert [w.name for w in layer.weights][4:] == ["moving_stddev", "renorm_mean", "renorm_stddev"]
    file_config = next(c for c in config["config"]["layers"] if c["class_name"] == "BatchNormalization")
    ours = layer.get_config()
    for key in ("renorm", "renorm_clipping", "renorm_momentum", "momentum"):
        assert ours[key] == file_config["config"][key]


def test_virtual_batch_file_axis_and_broadcast_weights(tmp_path):
    path = _file("bn_virtual", tmp_path)
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    file_config = next(c for c in config["config"]["layers"] if c["class_name"] == "BatchNormalization")
    assert file_config["config"]["axis"] == [3]  # tf.keras' shifted axis, which it cannot reload
    layer = _bn(kerasish.models.load_model(path))
    assert layer.axis == 2 and layer.virtual_batch_size == 2
    assert [w.shape for w in layer.weights] == [(1, 1, 1, 3)] * 4
    assert layer.running_mean.shape == (3,)


@pytest.mark.parametrize("name", ["bn_renorm", "bn_virtual_renorm", "gru_time_major_masked"])
def test_kerasish_h5_round_trip_keeps_tf_keras_outputs(tmp_path, name):
    model = kerasish.models.load_model(_file(name, tmp_path))
    model.save(tmp_path / "again.h5")
    again = kerasish.models.load_model(tmp_path / "again.h5")
    data = np.load(FIXTURES / f"{name}.npz")
    _assert_close(_outputs(again, data["x"]), _expected(data))
    assert [w.name for w in again.weights] == [w.name for w in model.weights]
