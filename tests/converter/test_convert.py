import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.cli_convert import main
from kerasish.converter import convert, flatten
from kerasish.converter import verify as verify_module


def _predict(model, x):
    return model.predict(x, verbose=0)


def test_h5_to_pt_to_h5_round_trip_keeps_predictions(tmp_path, mlp):
    x = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    mlp.save(tmp_path / "m.h5")
    assert main(["to-torch", str(tmp_path / "m.h5"), str(tmp_path / "m.pt")]) == 0
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert state["hidden.weight"].shape == (5, 6)  # torch Linear layout (out, in)
    assert main(["to-keras", str(tmp_path / "m.pt"), "--config", str(tmp_path / "m.h5"),
                 str(tmp_path / "back.h5")]) == 0
    back = keras.models.load_model(tmp_path / "back.h5")
    np.testing.assert_array_equal(_predict(back, x), _predict(mlp, x))


def test_state_dict_loads_into_handwritten_torch_module(tmp_path, mlp):
    mlp.save(tmp_path / "m.keras")
    convert.to_torch(str(tmp_path / "m.keras"), str(tmp_path / "m.pt"))
    net = torch.nn.Sequential()
    net.add_module("hidden", torch.nn.Linear(6, 5))
    net.add_module("relu", torch.nn.ReLU())
    net.add_module("out", torch.nn.Linear(5, 3))
    net.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    x = np.random.default_rng(1).standard_normal((3, 6)).astype("float32")
    np.testing.assert_allclose(net(torch.from_numpy(x)).detach().numpy(), _predict(mlp, x),
                               atol=1e-6)


class _Recurrent(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(7, 3)
        self.lstm = torch.nn.LSTM(3, 4, batch_first=True)
        self.gru = torch.nn.GRU(4, 2, batch_first=True)
        self.head = torch.nn.Linear(2, 1)

    def forward(self, x):
        x, _ = self.lstm(self.emb(x))
        x, _ = self.gru(x)
        return self.head(x[:, -1])


def test_recurrent_weights_match_torch_lstm_gru_embedding(tmp_path, recurrent):
    recurrent.save_weights(tmp_path / "r.weights.h5")
    (tmp_path / "r.json").write_text(recurrent.to_json())
    convert.to_torch(str(tmp_path / "r.weights.h5"), str(tmp_path / "r.safetensors"),
                     config=str(tmp_path / "r.json"))
    import safetensors.torch

    net = _Recurrent()
    net.load_state_dict(safetensors.torch.load_file(tmp_path / "r.safetensors"))
    x = np.random.default_rng(2).integers(0, 7, size=(3, 4)).astype("int32")
    expected = _predict(recurrent, x)
    np.testing.assert_allclose(net(torch.from_numpy(x).long()).detach().numpy(), expected,
                               atol=1e-5)


def test_torch_module_to_keras_weights_file(tmp_path, recurrent):
    net = _Recurrent()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    (tmp_path / "r.json").write_text(recurrent.to_json())
    difference = convert.to_keras(str(tmp_path / "net.pt"), str(tmp_path / "r.json"),
                                  str(tmp_path / "r.weights.h5"), verify_outputs=True)
    assert difference == 0.0
    fresh = keras.models.model_from_json(recurrent.to_json())
    fresh.load_weights(tmp_path / "r.weights.h5")
    x = np.random.default_rng(3).integers(0, 7, size=(2, 4)).astype("int32")
    np.testing.assert_allclose(_predict(fresh, x), net(torch.from_numpy(x).long()).detach().numpy(),
                               atol=1e-5)


def _torch_cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 2), torch.nn.BatchNorm2d(3, eps=1e-3), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 3, 2),
    ).eval()


_CNN_MAP = {"prefix": {"conv.": "0.", "bn.": "1.", "fc.": "4."}}


def test_flatten_to_nchw_matches_torch_cnn_both_ways(tmp_path, cnn):
    import json

    (tmp_path / "map.json").write_text(json.dumps(_CNN_MAP))
    cnn.save(tmp_path / "c.keras")
    assert main(["to-torch", str(tmp_path / "c.keras"), str(tmp_path / "c.pt"), "--map",
                 str(tmp_path / "map.json"), "--flatten-to-nchw", "--verify"]) == 0
    net = _torch_cnn()
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    net.load_state_dict(state)  # strict: BatchNorm2d fills in its num_batches_tracked
    x = np.random.default_rng(4).standard_normal((2, 5, 4, 2)).astype("float32")
    nchw = torch.from_numpy(x).permute(0, 3, 1, 2)
    np.testing.assert_allclose(net(nchw).detach().numpy(), _predict(cnn, x), atol=1e-5)

    torch.save(net.state_dict(), tmp_path / "net.pt")  # with num_batches_tracked
    assert main(["to-keras", str(tmp_path / "net.pt"), "--config", str(tmp_path / "c.keras"),
                 str(tmp_path / "back.keras"), "--map", str(tmp_path / "map.json"),
                 "--flatten-to-nchw", "--verify"]) == 0
    back = keras.models.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(_predict(back, x), _predict(cnn, x), atol=1e-6)


def test_without_flatten_to_nchw_the_dense_keeps_keras_order(tmp_path, cnn):
    cnn.save(tmp_path / "c.keras")
    convert.to_torch(str(tmp_path / "c.keras"), str(tmp_path / "c.pt"))
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    np.testing.assert_array_equal(state["fc.weight"].numpy(), cnn.get_layer("fc").get_weights()[0].T)


def test_flatten_permutations_are_inverse():
    weight = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 60)
    moved = flatten.to_nchw(weight, (3, 4, 5))
    assert not torch.equal(moved, weight)
    torch.testing.assert_close(flatten.from_nchw(moved, (3, 4, 5)), weight)
    # Column for (h=1, w=2, c=3) moves to (c=3, h=1, w=2).
    assert moved[0, 3 * 12 + 1 * 4 + 2] == weight[0, 1 * 20 + 2 * 5 + 3]


def test_verify_failure_exits_nonzero(tmp_path, mlp, monkeypatch, capsys):
    mlp.save(tmp_path / "m.h5")
    monkeypatch.setattr(verify_module, "max_difference", lambda a, b: 0.5)
    assert main(["to-torch", str(tmp_path / "m.h5"), str(tmp_path / "m.pt"), "--verify"]) == 1
    captured = capsys.readouterr()
    assert "max |diff| = 0.5" in captured.out
    assert "verification failed" in captured.err


def test_verify_reports_zero_difference(tmp_path, mlp, capsys):
    mlp.save(tmp_path / "m.h5")
    assert main(["to-torch", str(tmp_path / "m.h5"), str(tmp_path / "m.pt"), "--verify"]) == 0
    assert "max |diff| = 0" in capsys.readouterr().out


def test_progress_bar_for_many_tensors(tmp_path, capsys):
    model = keras.Sequential([keras.layers.Input((2,))] + [keras.layers.Dense(2) for _ in range(26)])
    model.save(tmp_path / "deep.h5")
    assert main(["to-torch", str(tmp_path / "deep.h5"), str(tmp_path / "deep.pt")]) == 0
    assert "52/52" in capsys.readouterr().out


def test_no_progress_bar_for_small_files(tmp_path, mlp, capsys):
    mlp.save(tmp_path / "m.h5")
    main(["to-torch", str(tmp_path / "m.h5"), str(tmp_path / "m.pt")])
    assert "/4" not in capsys.readouterr().out


def test_tools_wrapper_runs(tmp_path, mlp):
    import subprocess
    import sys
    from pathlib import Path

    mlp.save(tmp_path / "m.keras")
    script = Path(__file__).resolve().parents[2] / "tools" / "convert.py"
    result = subprocess.run([sys.executable, str(script), "inspect", str(tmp_path / "m.keras")],
                            capture_output=True, text=True, check=True)
    assert "Keras 3 .keras zip" in result.stdout
    assert "layers/dense/vars/0" in result.stdout  # Keras 3 names paths by class


def test_safetensors_missing_package_is_named(tmp_path, mlp, monkeypatch):
    import sys

    mlp.save(tmp_path / "m.h5")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(ValueError, match="needs the `safetensors` package"):
        convert.to_torch(str(tmp_path / "m.h5"), str(tmp_path / "m.safetensors"))
