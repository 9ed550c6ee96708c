"""Every example runs, quickly, and says what it should."""

import runpy
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *args: str) -> None:
    argv = sys.argv
    sys.argv = [name, *args]
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        sys.argv = argv


def test_quickstart(capsys):
    run_example("quickstart.py", "--epochs", "3")
    out = capsys.readouterr().out
    assert 'Model: "pair_classifier"' in out
    assert "def forward(self, left, right, training = None):" in out
    accuracy = float(out.rsplit("held-out accuracy:", 1)[1].split()[0])
    assert accuracy > 0.8
    for name in ("pair_classifier.keras", "pair_classifier.h5"):
        difference = float(out.split(f"saved and reloaded {name}", 1)[1].split("difference|")[1].split()[0])
        assert difference < 1e-6


def test_siamese_vision(capsys):
    run_example("siamese_vision.py")
    out = capsys.readouterr().out
    # Conv 640 + Conv 36,928 = 37,568, shared; 27 -> 25 -> 23 -> pool 11, so the head adds
    # 2 * 11 * 11 * 64 + 1 = 15,489.
    assert "vision model params: 37,568; classifier params: 53,057" in out


def test_sequential_vs_functional(capsys):
    run_example("sequential_vs_functional.py")
    out = capsys.readouterr().out
    assert "functional: InputLayer" in out
    assert "sequential: InputLayer" not in out
    assert out.count("Total params: 220") == 2
    assert float(out.rsplit("with shared weights:", 1)[1].split()[0]) < 1e-6


def test_dense_on_rank3(capsys):
    run_example("dense_on_rank3.py")
    out = capsys.readouterr().out
    assert "(None, 2, 2)" in out and "Total params: 8" in out


def test_video_classifier(capsys):
    run_example("video_classifier.py")
    out = capsys.readouterr().out
    assert "time_distributed" in out and "class probabilities per video" in out


def test_transfer_learning_inception(capsys):
    run_example("transfer_learning_inception.py", "--quick")
    out = capsys.readouterr().out
    assert "InceptionV3 layers kept: 311 of 311 (the same objects)" in out
    assert "Graph disconnected" in out
    # The new head: 2048 * 3 + 3 trainable; InceptionV3 without top: 21,802,784.
    assert "trainable params: 6,147 of 21,808,931" in out
    assert "largest change of a frozen BatchNormalization statistic: 0.0\n" in out


def test_multi_input_multi_output(capsys):
    run_example("multi_input_multi_output.py", "--quick")
    out = capsys.readouterr().out
    assert "list form, history keys: ['aux_output_loss', 'loss', 'main_output_loss']" in out
    assert float(out.split("loss - (main + 0.2 * aux) = ")[1].split()[0]) < 1e-3
    assert "dict and list inputs agree: True" in out


def test_shared_lstm_tweets(capsys):
    run_example("shared_lstm_tweets.py", "--quick")
    out = capsys.readouterr().out
    # LSTM(64) on 256 features: 4 * 64 * (256 + 64 + 1) = 82,176; the head adds 2 * 64 + 1.
    assert "shared LSTM params: 82,176, counted once in the model's 82,305 (2 calls)" in out
    assert 'has multiple inbound nodes, hence the notion of "layer output" is ill-defined' in out
    assert "input shapes at nodes 0 and 1: (None, 32, 32, 3) (None, 64, 64, 3)" in out


def test_stacked_lstm(capsys):
    run_example("stacked_lstm.py", "--quick")
    out = capsys.readouterr().out
    assert "stacked: history keys ['accuracy', 'loss', 'val_accuracy', 'val_loss']" in out
    assert "same batch twice differs (states carried): True" in out
    assert "after reset_states() it matches the first call: True" in out


def test_serialization_tour(capsys, tmp_path):
    run_example("serialization_tour.py", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "from_config: same architecture: True | new weights: True" in out
    assert "model_from_json: same config: True" in out and "model_from_yaml: same config: True" in out
    for name in ("tour.h5", "tour.keras"):
        assert f"{name}: " in out
        assert "same weights: True; same predictions: True; optimizer restored: Adam" in out.split(name)[1]
    assert "tour.weights.h5 into a fresh model: same weights: True" in out


def test_torch_user(capsys, tmp_path):
    run_example("torch_user.py", "--quick", "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "is a torch.nn.Module: True" in out and "'conv.weight'" in out
    torch_accuracy, keras_accuracy = out.split("held-out accuracy: ")[1].split(" (torch loop eval) = ")
    assert float(torch_accuracy) > 0.9 and float(torch_accuracy) == float(keras_accuracy.split()[0])
    assert "torch.export: max |difference| 0.00e+00" in out
    assert "same outputs: True" in out and "ONNX file written: True" in out
