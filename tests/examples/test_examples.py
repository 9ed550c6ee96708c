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
