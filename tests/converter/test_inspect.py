import gzip
import shutil
from pathlib import Path

import pytest
import torch

from kerasish.cli_convert import main
from kerasish.converter import ConversionError, describe
from kerasish.converter.inspect import detect

FIXTURES = Path(__file__).resolve().parents[2] / "compat_tests" / "fixtures" / "tf_keras"


def test_keras2_hdf5_model(tmp_path, mlp):
    mlp.save(tmp_path / "m.h5")
    label, rows = detect(str(tmp_path / "m.h5"))
    assert label.startswith("Keras 2 HDF5 model (keras_version 2.")
    assert ("hidden/hidden/kernel:0", (6, 5), "float32") in rows
    assert len(rows) == 4


def test_keras2_hdf5_weights(tmp_path, mlp):
    mlp.save_weights(tmp_path / "m.h5")
    label, rows = detect(str(tmp_path / "m.h5"))
    assert label.startswith("Keras 2 HDF5 weights (keras_version")
    assert ("out/out/bias:0", (3,), "float32") in rows


def test_keras3_weights_h5(tmp_path, mlp):
    mlp.save_weights(tmp_path / "m.weights.h5")
    label, rows = detect(str(tmp_path / "m.weights.h5"))
    assert label == "Keras 3 .weights.h5 weights"
    assert ("layers/dense/vars/0", (6, 5), "float32") in rows


def test_keras_zip(tmp_path, mlp):
    mlp.save(tmp_path / "m.keras")
    label, rows = detect(str(tmp_path / "m.keras"))
    assert label.startswith("Keras 3 .keras zip (keras_version 3.")
    assert ("layers/dense_1/vars/1", (3,), "float32") in rows


def test_torch_and_safetensors(tmp_path):
    state = {"fc.weight": torch.zeros(2, 3), "fc.bias": torch.zeros(2, dtype=torch.float64)}
    torch.save(state, tmp_path / "s.pt")
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "ckpt.pth")
    import safetensors.torch

    safetensors.torch.save_file(state, tmp_path / "s.safetensors")
    for name, label in (("s.pt", "torch state_dict"), ("ckpt.pth", "torch state_dict"),
                        ("s.safetensors", "safetensors state_dict")):
        found, rows = detect(str(tmp_path / name))
        assert found == label
        assert sorted(rows) == [("fc.bias", (2,), "float64"), ("fc.weight", (2, 3), "float32")]



@pytest.mark.parametrize("name", ["cnn_bn.h5.gz", "seq_mlp_weights.h5.gz"])
def test_files_written_by_tf_keras(tmp_path, name):
    target = tmp_path / name[:-3]
    with gzip.open(FIXTURES / name) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    label, rows = detect(str(target))
    assert label.startswith("Keras 2 HDF5")
    assert "backend tensorflow" in label
    assert rows and all(dtype == "float32" for _, _, dtype in rows)


def test_cli_prints_table(tmp_path, mlp, capsys):
    mlp.save(tmp_path / "m.h5")
    assert main(["inspect", str(tmp_path / "m.h5")]) == 0
    out = capsys.readouterr().out
    assert "4 tensors" in out
    assert "hidden/hidden/kernel:0" in out and "(6, 5)" in out


def test_unreadable_file(tmp_path, capsys):
    (tmp_path / "junk.pt").write_bytes(b"not a weight file")
    with pytest.raises(ConversionError, match="is not a Keras file"):
        describe(str(tmp_path / "junk.pt"))
    assert main(["inspect", str(tmp_path / "missing.h5")]) == 2
    assert "No file found at" in capsys.readouterr().err
