"""Weights saved by real Keras 3 reach hand-written torch modules through the converter, and
torch weights come back as files real Keras 3 loads, with the same outputs both ways."""

import json

import keras
import numpy as np
import torch

from kerasish.cli_convert import main


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    return weights


def _mlp():
    return keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(5, activation="relu", name="hidden"),
        keras.layers.Dense(3, name="out"),
    ])


def _torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))


_MLP_MAP = {"prefix": {"hidden.": "0.", "out.": "2."}}


def test_keras3_keras_file_to_torch_mlp(tmp_path):
    model = _mlp()
    _randomize(model, 0)
    model.save(tmp_path / "m.keras")
    (tmp_path / "map.json").write_text(json.dumps(_MLP_MAP))
    assert main(["to-torch", str(tmp_path / "m.keras"), str(tmp_path / "m.pt"),
                 "--map", str(tmp_path / "map.json"), "--verify"]) == 0
    net = _torch_mlp()
    net.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    x = np.random.default_rng(1).standard_normal((4, 6)).astype("float32")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(net(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5)


def test_keras3_weights_h5_with_config_to_torch_cnn(tmp_path):
    model = keras.Sequential([
        keras.Input((6, 5, 2)), keras.layers.Conv2D(3, 3, name="conv"),
        keras.layers.BatchNormalization(name="bn"), keras.layers.ReLU(),
        keras.layers.Flatten(), keras.layers.Dense(4, name="fc"),
    ])
    weights = _randomize(model, 2)
    weights[5] = np.abs(weights[5]) + 0.5  # moving variance must be positive
    model.set_weights(weights)
    model.save_weights(tmp_path / "c.weights.h5")
    (tmp_path / "c.json").write_text(model.to_json())
    (tmp_path / "map.json").write_text(json.dumps({"prefix": {"conv.": "0.", "bn.": "1.", "fc.": "4."}}))
    assert main(["to-torch", str(tmp_path / "c.weights.h5"), str(tmp_path / "c.safetensors"),
                 "--config", str(tmp_path / "c.json"), "--map", str(tmp_path / "map.json"),
                 "--flatten-to-nchw", "--verify"]) == 0
    import safetensors.torch

    net = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3, eps=1e-3), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 3, 4),
    ).eval()
    # Strict: torch's BatchNorm fills in its own missing num_batches_tracked counter.
    net.load_state_dict(safetensors.torch.load_file(tmp_path / "c.safetensors"))
    x = np.random.default_rng(3).standard_normal((2, 6, 5, 2)).astype("float32")
    expected = model.predict(x, verbose=0)
    received = net(torch.from_numpy(x).permute(0, 3, 1, 2)).detach().numpy()  # NCHW
    np.testing.assert_allclose(received, expected, atol=1e-5)


class _Recurrent(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(9, 3)
        self.lstm = torch.nn.LSTM(3, 4, batch_first=True)
        self.gru = torch.nn.GRU(4, 2, batch_first=True)
        self.head = torch.nn.Linear(2, 1)

    def forward(self, x):
        x, _ = self.lstm(self.emb(x))
        x, _ = self.gru(x)
        return self.head(x[:, -1])


def _keras_recurrent():
    return keras.Sequential([
        keras.Input((5,), dtype="int32"), keras.layers.Embedding(9, 3, name="emb"),
        keras.layers.LSTM(4, return_sequences=True, name="lstm"),
        keras.layers.GRU(2, name="gru"), keras.layers.Dense(1, name="head"),
    ])


def test_keras3_recurrent_to_torch_lstm_gru_embedding(tmp_path):
    model = _keras_recurrent()
    _randomize(model, 4)
    model.save(tmp_path / "r.keras")
    assert main(["to-torch", str(tmp_path / "r.keras"), str(tmp_path / "r.pt"), "--verify"]) == 0
    net = _Recurrent()
    net.load_state_dict(torch.load(tmp_path / "r.pt", weights_only=True))
    x = np.random.default_rng(5).integers(0, 9, size=(3, 5)).astype("int32")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(net(torch.from_numpy(x).long()).detach().numpy(), expected,
                               atol=1e-5)


def test_torch_state_dict_to_keras_file_real_keras_loads(tmp_path):
    torch.manual_seed(0)
    net = _torch_mlp()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    (tmp_path / "m.json").write_text(_mlp().to_json())
    (tmp_path / "map.json").write_text(json.dumps(_MLP_MAP))
    assert main(["to-keras", str(tmp_path / "net.pt"), "--config", str(tmp_path / "m.json"),
                 str(tmp_path / "out.keras"), "--map", str(tmp_path / "map.json"), "--verify"]) == 0
    loaded = keras.saving.load_model(tmp_path / "out.keras")
    x = np.random.default_rng(6).standard_normal((4, 6)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               net(torch.from_numpy(x)).detach().numpy(), atol=1e-5)


def test_torch_recurrent_to_keras3_weights_file(tmp_path):
    torch.manual_seed(1)
    net = _Recurrent()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    model = _keras_recurrent()
    (tmp_path / "r.json").write_text(model.to_json())
    assert main(["to-keras", str(tmp_path / "net.pt"), "--config", str(tmp_path / "r.json"),
                 str(tmp_path / "r.weights.h5")]) == 0
    model.load_weights(tmp_path / "r.weights.h5")
    x = np.random.default_rng(7).integers(0, 9, size=(2, 5)).astype("int32")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               net(torch.from_numpy(x).long()).detach().numpy(), atol=1e-5)
