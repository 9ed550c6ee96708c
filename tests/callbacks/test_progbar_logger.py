"""ProgbarLogger output for fit, evaluate and predict, on a controlled clock."""

import io
import types

import pytest

from kerasish.callbacks import CallbackList, ProgbarLogger
from kerasish.training import progbar as progbar_module
from tests.callbacks.fakes import CountingTensor, FakeModel, counting

FULL = "[" + "=" * 30 + "]"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def time(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(time=clock.time))
    return clock


def _fit(clock, cbs, epochs, steps, validation=False):
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            clock.now += 0.002
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": counting(0.5), "accuracy": counting(0.75)})
        logs = {"loss": 0.5, "accuracy": 0.75}
        if validation:
            cbs.on_test_begin()
            for batch in range(2):
                cbs.on_test_batch_end(batch, {"loss": 0.25})
            cbs.on_test_end({"loss": 0.25})
            logs["val_loss"] = 0.25
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end(logs)


def test_fit_verbose_1_not_a_terminal(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=2, steps=4)
    _fit(clock, cbs, 2, 4, validation=True)
    line = f"4/4 {FULL} - 0s 2ms/step - loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.2500"
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_single_epoch_has_no_epoch_line(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose="auto", epochs=1, steps=4)
    _fit(clock, cbs, 1, 4)
    assert capsys.readouterr().out == f"4/4 {FULL} - 0s 2ms/step - loss: 0.5000 - accuracy: 0.7500\n"


def test_fit_verbose_2_one_line_per_epoch_and_no_batch_calls(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=2, epochs=2, steps=4)
    assert not cbs._implements_train_batch_hooks()
    _fit(clock, cbs, 2, 4)
    line = "4/4 - 0s - loss: 0.5000 - accuracy: 0.7500 - 8ms/epoch - 2ms/step"
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_fit_verbose_1_on_a_terminal_draws_live(clock, monkeypatch):
    stream = Terminal()
    monkeypatch.setattr("sys.stdout", stream)
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=4)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    clock.now += 0.5
    cbs.on_train_batch_end(0, {"loss": counting(0.4213), "accuracy": counting(0.8125)})
    assert stream.getvalue() == (
        "\r1/4 [======>.......................] - ETA: 1s - loss: 0.4213 - accuracy: 0.8125"
    )
    for batch in range(1, 4):
        clock.now += 0.5
        cbs.on_train_batch_end(batch, {"loss": counting(0.4213), "accuracy": counting(0.8125)})
    cbs.on_epoch_end(0, {"loss": 0.4213, "accuracy": 0.8125})
    assert stream.getvalue().endswith(
        f"\r4/4 {FULL} - 2s 500ms/step - loss: 0.4213 - accuracy: 0.8125\n"
    )


def test_batch_tensors_are_not_read_per_batch(clock, monkeypatch, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=200)
    CountingTensor.reads = 0
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(200):
        clock.now += 0.001
        cbs.on_train_batch_end(batch, {"loss": counting(0.5)})
    assert CountingTensor.reads == 0  # not a terminal: nothing drawn before the epoch ends
    # On a terminal, reads follow the 0.05 s redraw interval: about 200 * 0.001 / 0.05.
    monkeypatch.setattr("sys.stdout", Terminal())
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=200)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(200):
        clock.now += 0.001
        cbs.on_train_batch_end(batch, {"loss": counting(0.5)})
    assert 2 <= CountingTensor.reads <= 6


def test_evaluate_prints_its_own_bar(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=2)
    cbs.on_test_begin()
    for batch in range(2):
        clock.now += 0.002
        cbs.on_test_batch_end(batch, {"loss": counting(0.25)})
    cbs.on_test_end({"loss": 0.25})
    assert capsys.readouterr().out == f"2/2 {FULL} - 0s 2ms/step - loss: 0.2500\n"


def test_predict_bar_has_no_metrics(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=2)
    cbs.on_predict_begin()
    for batch in range(2):
        clock.now += 0.002
        cbs.on_predict_batch_end(batch, {"outputs": counting(1.0)})
    cbs.on_predict_end()
    assert capsys.readouterr().out == f"2/2 {FULL} - 0s 2ms/step\n"


def test_unknown_steps_are_counted_in_the_first_epoch(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=2, epochs=2, steps=None)
    assert cbs._implements_train_batch_hooks()
    _fit(clock, cbs, 2, 3)
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("3/3 - 0s - loss: 0.5000") and out[3].startswith("3/3 - ")


def test_count_modes():
    with pytest.raises(NotImplementedError, match="count_mode='samples'"):
        ProgbarLogger(count_mode="samples")
    with pytest.raises(ValueError, match="Unknown `count_mode`: rows"):
        ProgbarLogger(count_mode="rows")


class LazyLogs(dict):
    """Logs whose values are computed when read, like the trainer's metric logs."""

    reads = 0

    def __getitem__(self, key):
        LazyLogs.reads += 1
        return super().__getitem__(key)

    def items(self):
        return [(key, self[key]) for key in self]


def test_lazy_logs_are_read_only_for_drawn_updates(clock, monkeypatch, capsys):
    logs = LazyLogs(loss=0.5, accuracy=0.75)
    LazyLogs.reads = 0
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=100)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(100):
        clock.now += 0.01
        cbs.on_train_batch_end(batch, logs)
    assert LazyLogs.reads == 0
    stream = Terminal()
    monkeypatch.setattr("sys.stdout", stream)
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=100)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(100):
        clock.now += 0.01
        cbs.on_train_batch_end(batch, logs)
    draws = stream.getvalue().count("\r")
    assert 15 <= draws <= 25 and LazyLogs.reads == 2 * draws
