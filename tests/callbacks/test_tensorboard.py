import importlib.util

import numpy as np
import pytest

from kerasish.callbacks import CallbackList, TensorBoard
from kerasish.callbacks import tensorboard as tensorboard_module
from tests.callbacks.fakes import FakeModel


class FakeWriter:
    """Records what torch's SummaryWriter would be asked to write."""

    instances: list = []

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.scalars, self.histograms, self.images = [], [], []
        self.closed = False
        FakeWriter.instances.append(self)

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))

    def add_histogram(self, tag, values, step):
        self.histograms.append((tag, np.asarray(values).shape, step))

    def add_images(self, tag, images, step, dataformats):
        self.images.append((tag, images.shape, step, dataformats))

    def flush(self):
        pass

    def close(self):
        self.closed = True


class Weight:
    def __init__(self, path, shape):
        self.path = path
        self.array = np.ones(shape, dtype="float32")

    def __array__(self, dtype=None, copy=None):
        return self.array


class Layer:
    def __init__(self, name, shapes):
        self.weights = [Weight(f"{name}/{i}", shape) for i, shape in enumerate(shapes)]


@pytest.fixture
def writers(monkeypatch):
    FakeWriter.instances = []
    monkeypatch.setattr(tensorboard_module, "_summary_writer_class", lambda: FakeWriter)
    return FakeWriter.instances


def _by_dir(writers):
    return {w.log_dir.replace("\\", "/").rsplit("/", 1)[-1]: w for w in writers}


def _fit(callback, epochs=2, steps=3, model=None):
    model = model or FakeModel(learning_rate=0.5)
    cbs = CallbackList([callback], model=model, verbose=0, epochs=epochs, steps=steps)
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": float(batch)})
        cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0})
    cbs.on_train_end()
    return model


def test_epoch_scalars_go_to_train_and_validation(writers, tmp_path):
    _fit(TensorBoard(log_dir=tmp_path, write_graph=False))
    found = _by_dir(writers)
    assert found["train"].scalars == [
        ("epoch_loss", 1.0, 0), ("epoch_learning_rate", 0.5, 0),
        ("epoch_loss", 0.5, 1), ("epoch_learning_rate", 0.5, 1),
    ]
    assert found["validation"].scalars == [("epoch_loss", 2.0, 0), ("epoch_loss", 2.0, 1)]
    assert found["train"].log_dir == str(tmp_path / "train")
    assert all(w.closed for w in writers)


def test_epoch_only_logging_skips_batch_hooks(writers, tmp_path):
    callback = TensorBoard(log_dir=tmp_path, write_graph=False)
    assert not callback._implements_train_batch_hooks()


def test_batch_scalars_every_update_freq_batches(writers, tmp_path):
    _fit(TensorBoard(log_dir=tmp_path, write_graph=False, update_freq=2), epochs=2, steps=3)
    batch = [s for s in _by_dir(writers)["train"].scalars if s[0].startswith("batch_")]
    # Global batches 1..6; written at 2, 4, 6 (batch index 1 of epoch 0, 0 and 2 of epoch 1).
    assert batch == [("batch_loss", 1.0, 2), ("batch_loss", 0.0, 4), ("batch_loss", 2.0, 6)]


def test_steps_per_second(writers, tmp_path):
    _fit(TensorBoard(log_dir=tmp_path, write_graph=False, write_steps_per_second=True,
                     update_freq="batch"), epochs=1, steps=2)
    tags = [s[0] for s in _by_dir(writers)["train"].scalars]
    assert tags.count("batch_steps_per_second") == 2 and "epoch_steps_per_second" in tags


def test_histograms_and_images(writers, tmp_path):
    model = FakeModel()
    model.layers = [Layer("dense", [(3, 4), (4,)]), Layer("conv", [(3, 3, 2, 5)])]
    _fit(TensorBoard(log_dir=tmp_path, write_graph=False, histogram_freq=2, write_images=True),
         epochs=3, steps=1, model=model)
    train = _by_dir(writers)["train"]
    assert train.histograms == [
        ("dense/0/histogram", (3, 4), 0), ("dense/1/histogram", (4,), 0),
        ("conv/0/histogram", (3, 3, 2, 5), 0),
        ("dense/0/histogram", (3, 4), 2), ("dense/1/histogram", (4,), 2),
        ("conv/0/histogram", (3, 3, 2, 5), 2),
    ]
    # Dense kernel (3, 4): one 3x4 image; bias: a 1x4 row; a 4-D conv kernel has no image.
    assert train.images[:2] == [
        ("dense/0/image", (1, 3, 4, 1), 0, "NHWC"), ("dense/1/image", (1, 4, 1, 1), 0, "NHWC"),
    ]
    assert len(train.images) == 4


def test_evaluation_scalars_at_the_optimizer_iteration(writers, tmp_path):
    model = FakeModel()
    model.optimizer.iterations = 12
    cbs = CallbackList([TensorBoard(log_dir=tmp_path, write_graph=False)], model=model)
    cbs.on_test_begin()
    cbs.on_test_end({"loss": 0.25})
    assert _by_dir(writers)["validation"].scalars == [("evaluation_loss_vs_iterations", 0.25, 12)]


def test_unsupported_options(writers, tmp_path):
    with pytest.raises(ValueError, match="Profiling is not yet available with the torch backend"):
        TensorBoard(log_dir=tmp_path, profile_batch=2)
    with pytest.raises(NotImplementedError, match="embeddings_freq"):
        TensorBoard(log_dir=tmp_path, embeddings_freq=1)
    with pytest.raises(ValueError, match="`update_freq` must be"):
        TensorBoard(log_dir=tmp_path, update_freq="sometimes")


def test_missing_tensorboard_package_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a)
    )
    with pytest.raises(ImportError, match="pip install tensorboard"):
        TensorBoard()


def test_real_event_files_when_tensorboard_is_installed(tmp_path):
    """With the package: scalars and the Keras graph summary land in event files. Without it:
    the callback refuses to start, naming the package."""
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(ImportError, match="pip install tensorboard"):
            TensorBoard(log_dir=tmp_path)
        return
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    import kerasish

    inputs = kerasish.Input(shape=(3,))
    model = kerasish.Model(inputs, kerasish.layers.Dense(2)(inputs))
    model.stop_training = False
    _fit(TensorBoard(log_dir=tmp_path, write_graph=hasattr(model, "to_json")), model=model)
    train = EventAccumulator(str(tmp_path / "train"))
    train.Reload()
    assert [e.value for e in train.Scalars("epoch_loss")] == [1.0, 0.5]
    if hasattr(model, "to_json"):
        assert "keras" in train.Tags()["tensors"]
    validation = EventAccumulator(str(tmp_path / "validation"))
    validation.Reload()
    assert [e.step for e in validation.Scalars("epoch_loss")] == [0, 1]
