"""Unmodified Keras 2 / tf.keras scripts (compat_tests/keras2_scripts) run through
``python -m kerasish`` in subprocesses, on tiny datasets written in the real Keras file
formats into a private Keras cache (no network). Each script prints its training loss
history and test accuracy; both must go the right way."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time

import pytest

from compat_tests.keras2_scripts.cache import write_cache

SCRIPTS_DIR = os.path.join(os.path.dirname(__file__), "keras2_scripts")
SCRIPTS = (
    "mnist_mlp",
    "mnist_cnn",
    "imdb_lstm",
    "generator_fit",
    "functional_multi_output",
    "callbacks_heavy",
)
TIMEOUT_S = 240


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All scripts at once (each in its own working folder), so their start-up overlaps."""
    home = tmp_path_factory.mktemp("keras_home")
    write_cache(str(home))
    env = dict(os.environ)
    env.update(
        KERAS_HOME=str(home),
        KERASISH_TRUST_CACHED_FILES="1",
        OMP_NUM_THREADS="1",
        PYTHONWARNINGS="default",
    )
    env.pop("KERAS_BACKEND", None)
    processes = {}
    for name in SCRIPTS:
        workdir = tmp_path_factory.mktemp(name)
        processes[name] = (
            subprocess.Popen(
                [sys.executable, "-m", "kerasish", os.path.join(SCRIPTS_DIR, f"{name}.py")],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
            workdir,
        )
    deadline = time.monotonic() + TIMEOUT_S
    results = {}
    try:
        for name, (process, workdir) in processes.items():
            output, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            results[name] = (process.returncode, output, workdir)
    finally:
        for process, _ in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


def _value(output: str, label: str):
    match = re.search(rf"^{re.escape(label)}:? (.+)$", output, re.MULTILINE)
    assert match, f"{label!r} not printed:\n{output[-3000:]}"
    return ast.literal_eval(match.group(1).strip())


def _check(runs, name: str, min_accuracy: float, accuracy_label: str = "Test accuracy") -> str:
    returncode, output, _ = runs[name]
    assert returncode == 0, output[-5000:]
    losses = _value(output, "Train loss history")
    assert losses[-1] < losses[0], losses
    assert _value(output, accuracy_label) >= min_accuracy
    return output


def test_mnist_mlp(runs):
    output = _check(runs, "mnist_mlp", 0.8)
    assert "1000 train samples" in output and "Total params: 669,706" in output


def test_mnist_cnn_keras1_spellings(runs):
    output = _check(runs, "mnist_cnn", 0.6)
    # Keras 2.2.5's deprecation messages for the Keras 1 names the script uses.
    assert "Update your `Conv2D` call to the Keras 2 API: `Conv2D(16, (3, 3))`" in output
    assert 'input_shape=(28, 28, 1..., padding="valid")`' in output
    assert "The `nb_epoch` argument in `fit` has been renamed `epochs`." in output
    assert "val_acc:" in output  # metrics=['acc'] keeps its name in the logs


def test_imdb_lstm_pad_sequences(runs):
    output = _check(runs, "imdb_lstm", 0.7)
    assert "x_train shape: (400, 30)" in output


def test_generator_fed_model(runs):
    output = _check_generator(runs)
    assert "Prediction shape: (200, 10)" in output


def _check_generator(runs) -> str:
    returncode, output, _ = runs["generator_fit"]
    assert returncode == 0, output[-5000:]
    assert _value(output, "Test loss") < _value(output, "Initial loss")
    assert _value(output, "Test accuracy") >= 0.6
    assert _value(output, "Prediction accuracy") == pytest.approx(_value(output, "Test accuracy"))
    assert "Update your `fit_generator` call to the Keras 2 API" in output
    return output


def test_functional_multi_output_tf_keras(runs):
    output = _check(runs, "functional_multi_output", 0.7)
    assert "TensorFlow 2.15.0+kerasish" in output
    assert _value(output, "History keys") == [
        "expensive_acc", "expensive_loss", "loss", "price_loss", "price_mae"
    ]


def test_callback_heavy_script(runs):
    output = _check(runs, "callbacks_heavy", 0.6)
    _, _, workdir = runs["callbacks_heavy"]
    assert _value(output, "Learning rate set to") == pytest.approx(0.01)
    checkpoints = _value(output, "Checkpoints")
    assert checkpoints and all(name.endswith(".h5") for name in checkpoints)
    assert all((workdir / name).exists() for name in checkpoints)
    assert (workdir / "training.log").read_text().startswith("epoch,")
    assert _value(output, "CSV log lines") >= 3
    assert _value(output, "Final learning rate") <= 0.01
