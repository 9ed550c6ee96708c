"""Smoke tests for tools/benchmark.py: every workload runs at tiny sizes and the table comes out
with ratios. No timing is asserted; Keras 3 is left out (tests/ needs no real Keras)."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
import torch

TOOL = Path(__file__).resolve().parents[2] / "tools" / "benchmark.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("kerasish_benchmark_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(autouse=True)
def _one_thread():
    """Timings are not asserted; one thread keeps a busy 2-core CI box from thrashing."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny(bench):
    return bench.Sizes(
        mlp_samples=64, cnn_samples=32, lstm_samples=16, bulk_samples=64, b1_calls=3,
        mlp_batch=32, cnn_batch=16, lstm_batch=8, bulk_batch=32,
    )


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_rows(text):
    return {cells(line)[0]: cells(line) for line in text.splitlines() if line.startswith("| ")}


def test_every_workload_runs_and_the_table_has_ratios(bench, tiny, monkeypatch):
    # Compilation takes minutes on 2 cores and InceptionV3 seconds per build; the jit and
    # InceptionV3 rows are exercised through the same plumbing with both made small.
    monkeypatch.setattr(torch, "compile", lambda module, **kwargs: module)
    monkeypatch.setattr(bench, "inception_v3", lambda keras: lambda weights=None: (
        bench.build_mlp(keras)
    ))
    frameworks = bench.load_frameworks(with_keras3=False)
    rows, load = bench.run_all(list(bench.WORKLOADS), tiny, 3, frameworks)
    text = bench.report(rows, bench.environment(frameworks), tiny, 3, load)

    table = table_rows(text)
    column = {name: i for i, name in enumerate(table.pop("workload"))}
    assert sorted(table) == sorted(bench.NAMES)
    number = re.compile(r"^\d+\.\d\d$")
    for name in bench.NAMES:
        cells = table[name]
        assert cells[column["Keras 3"]] == "n/a"
        if name in ("build_inception", "load_h5"):
            assert cells[column["torch"]] == "n/a"
            assert re.match(r"^[\d.]+ (s|ms|µs)$", cells[column["kerasish"]]), cells
        else:
            assert number.match(cells[column["kerasish / torch"]]), (name, cells)
    for name in ("mlp_fit", "cnn_fit", "lstm_fit", "mlp_fit_jit", "cnn_fit_jit"):
        assert number.match(table[name][column["kerasish / torch fused Adam"]])
    assert "torch threads: " in text and f"torch: {torch.__version__}" in text
    assert "load average (1/5/15 min): " in text
    assert "run order: kerasish torch torch_fused; kerasish torch torch_fused;" in text
    assert "Keras 3: n/a: Keras 3 disabled" in text


def test_a_ratio_needs_strictly_alternating_runs(bench):
    workload = bench.WORKLOADS[0]
    times = {"kerasish": [2.0, 2.0, 2.0], "torch": [1.0, 1.0, 1.0]}
    alternating = [(r, impl) for r in range(3) for impl in ("kerasish", "torch")]
    row = bench.Row(workload, {"kerasish": "ok", "torch": "ok"}, times, alternating)
    assert bench.ratio(row, "kerasish", "torch") == (2.0, "2.00")

    back_to_back = [(0, "kerasish")] * 3 + [(0, "torch")] * 3
    row = bench.Row(workload, {"kerasish": "ok", "torch": "ok"}, times, back_to_back)
    assert bench.ratio(row, "kerasish", "torch") == (None, "refused: not interleaved")

    two_rounds = alternating[:4]
    row = bench.Row(workload, {"kerasish": "ok", "torch": "ok"},
                    {k: v[:2] for k, v in times.items()}, two_rounds)
    assert bench.ratio(row, "kerasish", "torch") == (None, "refused: not interleaved")
    assert "refused: not interleaved" in bench.markdown_table([row])


def test_a_failing_or_missing_way_is_reported_and_the_others_still_run(bench, tiny):
    def factory(ctx, impl):
        if impl == "kerasish":
            raise RuntimeError("boom\nsecond line")
        if impl == "keras3":
            raise bench.Unavailable("not here")
        return lambda: 0.5

    workload = bench.Workload("fake", "fake", "a fake workload", factory)
    ctx = bench.Context(tiny, {}, "/nonexistent")
    row = bench.run_workload(workload, ctx, 3)
    assert row.status["kerasish"] == "error: RuntimeError: boom"
    assert row.status["keras3"] == "n/a: not here"
    assert row.times == {"torch": [0.5] * 3, "torch_fused": [0.5] * 3}
    assert bench.ratio(row, "kerasish", "torch") == (None, "n/a")
    assert bench.ratio(row, "torch", "torch_fused") == (1.0, "1.00")
    assert "| fake | error | n/a | 500.0 ms | 500.0 ms |" in bench.markdown_table([row])


def test_missing_inception_is_named(bench):
    import kerasish

    try:
        builder = bench.inception_v3(kerasish)
    except bench.Unavailable as reason:
        assert str(reason) == "kerasish.applications.InceptionV3 not available"
    else:
        assert callable(builder)


def test_cli_runs_a_selection_and_writes_json(bench, tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert bench.main(["--quick", "--no-keras3", "--only", "predict_b1", "--json", str(path)]) == 0
    table = table_rows(capsys.readouterr().out)
    del table["workload"]
    assert sorted(table) == ["predict_b1_call", "predict_b1_predict"]
    saved = json.loads(path.read_text())
    assert [r["workload"] for r in saved["rows"]] == ["predict_b1_call", "predict_b1_predict"]
    assert all(len(r["times"]["kerasish"]) == 3 for r in saved["rows"])
    assert saved["rows"][0]["ratios"]["kerasish/torch"] > 0


def test_cli_refuses_fewer_than_three_rounds_and_unknown_workloads(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--repeats", "2"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--only", "resnet_fit"])
    assert [w.name for w in bench.select(["jit"])] == ["mlp_fit_jit", "cnn_fit_jit"]
