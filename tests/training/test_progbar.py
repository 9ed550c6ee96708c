"""Progbar: tf.keras 2.x's text, drawn on a clock, reading tensors only when drawing."""

import io
import types

import pytest

from kerasish.training import progbar as progbar_module
from kerasish.training.progbar import Progbar, _format_eta, _format_time
from tests.callbacks.fakes import CountingTensor, counting


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

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


@pytest.fixture
def terminal(monkeypatch):
    """Returns a function that makes stdout a terminal. It must be called in the test body:
    pytest's output capture is re-installed between fixture setup and the test."""

    def use() -> Terminal:
        stream = Terminal()
        monkeypatch.setattr("sys.stdout", stream)
        return stream

    return use


class Pipe:
    """stdout as pytest captures it: not a terminal."""

    def __init__(self, capsys) -> None:
        self.capsys = capsys
        self.text = ""

    def getvalue(self) -> str:
        self.text += self.capsys.readouterr().out
        return self.text


@pytest.fixture
def pipe(capsys):
    return Pipe(capsys)


def test_not_a_terminal_prints_only_the_final_line(clock, pipe):
    bar = Progbar(32)
    for step in range(1, 33):
        clock.now = 100.0 + 0.002 * step
        bar.update(step, [("loss", 0.4213), ("accuracy", 0.8125)])
    assert pipe.getvalue() == (
        "32/32 [==============================] - 0s 2ms/step - loss: 0.4213 - accuracy: 0.8125\n"
    )


def test_live_bar_redraws_in_place(clock, terminal):
    terminal = terminal()
    bar = Progbar(4, stateful_metrics=["loss"])
    widths = []
    for step, loss in [(1, 1.0), (2, 0.5), (4, 0.25)]:
        clock.now = 100.0 + 0.5 * step
        before = len(terminal.getvalue())
        bar.update(step, [("loss", loss)])
        widths.append(terminal.getvalue()[before:])
    first = "1/4 [======>.......................] - ETA: 1s - loss: 1.0000"
    assert widths[0] == "\r" + first
    assert widths[1] == (
        "\b" * len(first) + "\r" + "2/4 [==============>...............] - ETA: 1s - loss: 0.5000"
    )
    # The first step is left out of the per-step time: (102.0 - 100.5) / 3.
    assert widths[2].endswith(
        "\r4/4 [==============================] - 2s 500ms/step - loss: 0.2500\n"
    )


def test_live_bar_pads_a_shorter_line_with_spaces(clock, terminal):
    terminal = terminal()
    bar = Progbar(3)
    clock.now = 200.0
    bar.update(1)
    first = terminal.getvalue()
    assert first == "\r1/3 [" + "=" * 9 + ">" + "." * 20 + "] - ETA: 3:20"
    clock.now = 201.0
    bar.update(2)
    second = terminal.getvalue()[len(first):]
    assert second == "\b" * (len(first) - 1) + "\r2/3 [" + "=" * 19 + ">" + "." * 10 + "] - ETA: 1s  "


def test_live_bar_is_throttled(clock, terminal):
    terminal = terminal()
    bar = Progbar(100, interval=0.05)
    for step in range(1, 100):
        clock.now = 100.0 + 0.01 * step
        bar.update(step)
    draws = terminal.getvalue().count("\r")
    assert 15 <= draws <= 25


def test_verbose_2_prints_one_line_with_epoch_and_step_times(clock, pipe):
    bar = Progbar(4, verbose=2)
    for step in range(1, 5):
        clock.now = 100.0 + 0.5 * step
        bar.update(step, [("loss", 0.25)])
        if step < 4:
            assert pipe.getvalue() == ""
    assert pipe.getvalue() == "4/4 - 2s - loss: 0.2500 - 2s/epoch - 500ms/step\n"


def test_verbose_0_prints_nothing(clock, pipe):
    bar = Progbar(2, verbose=0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)], finalize=True)
    assert pipe.getvalue() == ""


def test_value_formats(clock, pipe):
    bar = Progbar(1, stateful_metrics=["tiny", "neg"])
    bar.update(1, [("tiny", 1e-4), ("neg", -0.5)])
    assert pipe.getvalue().endswith(" - tiny: 1.0000e-04 - neg: -0.5000\n")
    # verbose 2 compares without abs(), as tf.keras does.
    bar = Progbar(1, verbose=2, stateful_metrics=["neg"])
    bar.update(1, [("neg", -0.5)])
    assert pipe.getvalue().splitlines()[1].startswith("1/1 - 0s - neg: -5.0000e-01 - ")


def test_unstateful_values_are_averaged_over_steps(clock, pipe):
    bar = Progbar(3)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 4.0)])  # counts for two steps: (1 + 4 * 2) / 3
    assert pipe.getvalue().endswith(" - loss: 3.0000\n")


def test_unknown_target(clock, pipe):
    bar = Progbar(None)
    for step in range(1, 6):
        clock.now = 100.0 + 0.002 * step
        bar.update(step)
    assert pipe.getvalue() == ""
    bar.update(5, finalize=True)
    assert pipe.getvalue() == "      5/Unknown - 0s 2ms/step\n"


def test_add_advances_from_the_last_step(clock, pipe):
    bar = Progbar(4)
    bar.add(2)
    bar.add(2)
    assert pipe.getvalue().startswith("4/4 [")


def test_time_and_eta_formats():
    assert _format_time(0, "step") == " 0s/step"
    assert _format_time(1.5, "epoch") == " 2s/epoch"
    assert _format_time(0.0123, "step") == " 12ms/step"
    assert _format_time(0.0005, "step") == " 500us/step"
    assert _format_eta(3725) == "1:02:05"
    assert _format_eta(125) == "2:05"
    assert _format_eta(59.9) == "59s"


def test_tensor_values_are_read_only_when_drawn(clock, pipe):
    bar = Progbar(100)
    CountingTensor.reads = 0
    for step in range(1, 100):
        clock.now = 100.0 + 0.01 * step
        bar.update(step, [("loss", counting(0.5))])
    assert CountingTensor.reads == 0
    bar.update(100, [("loss", counting(0.5))])
    assert CountingTensor.reads == 1
    assert pipe.getvalue().endswith(" - loss: 0.5000\n")


def test_tensor_reads_follow_the_draws_on_a_terminal(clock, terminal):
    terminal = terminal()
    bar = Progbar(100, stateful_metrics=["loss"])
    CountingTensor.reads = 0
    for step in range(1, 100):
        clock.now = 100.0 + 0.01 * step
        bar.update(step, [("loss", counting(0.5))])
    assert CountingTensor.reads == terminal.getvalue().count("\r") < 30


def test_should_draw_follows_the_interval_and_the_display(clock, terminal, capsys):
    bar = Progbar(10, verbose=2)
    assert not bar.should_draw() and not bar.should_draw(finalize=True)
    assert not Progbar(10).should_draw()  # not a terminal: only final lines are drawn
    assert Progbar(10).should_draw(finalize=True)
    terminal()
    bar = Progbar(10, interval=0.05)
    assert bar.should_draw()
    bar.update(1)
    clock.now += 0.01
    assert not bar.should_draw()
    clock.now += 0.05
    assert bar.should_draw()
