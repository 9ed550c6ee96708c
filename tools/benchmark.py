"""Side-by-side benchmark: kerasish vs hand-written PyTorch vs Keras 3 (torch backend).

    python tools/benchmark.py                      # every workload, 3 interleaved rounds
    python tools/benchmark.py --quick              # small sizes, a smoke run
    python tools/benchmark.py --only mlp_fit --only predict_b1 --repeats 5
    python tools/benchmark.py --threads 1 --json results.json

Every workload runs in one process in up to four ways: kerasish (``import kerasish as keras``),
real Keras 3 with ``KERAS_BACKEND=torch`` (the *same* Keras code, a function taking the
``keras`` module), plain PyTorch as a torch user writes it (``nn.Module``, ``torch.optim``, a
loop over pre-made tensors), and the same PyTorch loop with ``Adam(fused=True)``, the floor the
issue asks kerasish to aim for.

Each way is set up and warmed up once, then the ways alternate round by round (A B C A B C ...),
so a load change on a shared machine hits all of them alike. The execution order is recorded,
and a ratio is printed only for two ways whose runs strictly alternated at least ``MIN_ROUNDS``
times; anything else is refused rather than shown. The ``*_fit`` rows time ``fit`` (Keras) or
the epoch loop (torch) only, never model construction; both shuffle and track loss (and
accuracy) on the device, reading them once per epoch. ``model(x)`` gets a torch tensor in all
ways; ``predict`` gets the numpy array a Keras user passes. Sizes the issue leaves open (CNN and
LSTM sample counts) are in ``Sizes``; the report prints all of them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import importlib
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, Callable, Iterator, Optional

import numpy as np
import torch
from torch import nn

IMPLS = ("kerasish", "keras3", "torch", "torch_fused")
LABELS = {
    "kerasish": "kerasish",
    "keras3": "Keras 3",
    "torch": "torch",
    "torch_fused": "torch fused Adam",
}
MIN_ROUNDS = 3
SEED = 1234

Run = Callable[[], float]
"""One measured repetition; returns the seconds it measured (setup inside it is not counted)."""


class Unavailable(Exception):
    """This way of running the workload does not exist (yet); the row shows ``n/a: reason``."""


# ---------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Sizes:
    mlp_samples: int = 30_000
    cnn_samples: int = 10_000
    lstm_samples: int = 6_400
    bulk_samples: int = 100_000
    b1_calls: int = 200
    epochs: int = 1
    mlp_batch: int = 128
    cnn_batch: int = 128
    lstm_batch: int = 64
    bulk_batch: int = 1024


FULL = Sizes()
QUICK = Sizes(
    mlp_samples=2_048, cnn_samples=512, lstm_samples=256, bulk_samples=8_192, b1_calls=30
)


@dataclass
class Context:
    """What the workload factories share: sizes, the Keras modules, a scratch directory."""

    sizes: Sizes
    frameworks: dict[str, Any]  # impl -> module, or the reason it is unavailable
    tmpdir: str
    cache: dict = field(default_factory=dict)

    def keras(self, impl: str) -> ModuleType:
        module = self.frameworks.get(impl)
        if not isinstance(module, ModuleType):
            raise Unavailable(module or f"{impl} not loaded")
        return module


def load_frameworks(with_keras3: bool = True) -> dict[str, Any]:
    """kerasish always; Keras 3 on its torch backend when it imports (else the reason why not)."""
    import kerasish

    frameworks: dict[str, Any] = {"kerasish": kerasish}
    if not with_keras3:
        frameworks["keras3"] = "Keras 3 disabled (--no-keras3)"
        return frameworks
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "torch"
    try:
        import keras
    except Exception as error:  # any import failure just means "no Keras 3 column"
        frameworks["keras3"] = f"keras not importable: {type(error).__name__}: {error}"
        return frameworks
    version = getattr(keras, "__version__", "?")
    if not version.startswith("3."):
        frameworks["keras3"] = f"keras {version} is not Keras 3"
    elif keras.backend.backend() != "torch":
        frameworks["keras3"] = f"Keras 3 runs on {keras.backend.backend()!r}, not torch"
    else:
        frameworks["keras3"] = keras
    return frameworks


# ------------------------------------------------------------------ data (fixed seeds, numpy)


def classification_data(samples: int, shape: tuple, seed: int = SEED) -> tuple:
    """Gaussian inputs and 10 classes; regenerated per way so no way sees another's arrays."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, *shape), dtype=np.float32)
    y = rng.integers(0, 10, size=samples).astype(np.int64)
    return x, y


def regression_data(samples: int, seed: int = SEED) -> tuple:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, 50, 32), dtype=np.float32)
    y = rng.standard_normal((samples, 1), dtype=np.float32)
    return x, y


def seed_all() -> None:
    np.random.seed(SEED)
    torch.manual_seed(SEED)


# ------------------------------------------------------- the Keras code (kerasish == Keras 3)


def build_mlp(keras: ModuleType):
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def build_cnn(keras: ModuleType):
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def build_lstm(keras: ModuleType):
    return keras.Sequential(
        [keras.Input(shape=(50, 32)), keras.layers.LSTM(64), keras.layers.Dense(1)]
    )


def compile_classifier(keras: ModuleType, model: Any, jit: bool) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit,
    )


def compile_regressor(keras: ModuleType, model: Any, jit: bool) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse", jit_compile=jit
    )


def inception_v3(keras: ModuleType) -> Callable:
    """``keras.applications.InceptionV3``, or Unavailable naming what is missing."""
    try:
        applications = importlib.import_module(keras.__name__ + ".applications")
    except ImportError:
        applications = None
    builder = getattr(applications, "InceptionV3", None)
    if builder is None:
        raise Unavailable(f"{keras.__name__}.applications.InceptionV3 not available")
    return builder


# ---------------------------------------------------------------- the hand-written PyTorch


def torch_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )


def torch_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 5 * 5, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


class TorchLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.head = nn.Linear(64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


def torch_adam(module: nn.Module, fused: bool) -> torch.optim.Optimizer:
    # eps=1e-7 is Keras' default; torch's formula places it differently (see issue 8), which
    # changes no kernel and no timing.
    return torch.optim.Adam(module.parameters(), lr=1e-3, eps=1e-7, fused=fused)


def torch_fit_loop(
    module: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    epochs: int,
    classify: bool,
) -> Run:
    """A torch user's epoch loop: shuffle, slice pre-made tensors, step, track loss/accuracy on
    the device and read them once per epoch (what ``fit`` reports to History)."""
    samples = x.shape[0]

    def run() -> float:
        start = time.perf_counter()
        module.train()
        for _ in range(epochs):
            order = torch.randperm(samples)
            loss_sum = torch.zeros(())
            correct = torch.zeros((), dtype=torch.long)
            steps = 0
            for begin in range(0, samples, batch_size):
                index = order[begin:begin + batch_size]
                xb, yb = x[index], y[index]
                out = module(xb)
                loss = loss_fn(out, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_sum += loss.detach()
                if classify:
                    correct += (out.argmax(1) == yb).sum()
                steps += 1
            _ = (loss_sum / steps).item(), correct.item() / samples
        return time.perf_counter() - start

    return run


# ------------------------------------------------------------------ workload factories


def fit_factory(kind: str, jit: bool = False) -> Callable[[Context, str], Run]:
    """``kind`` is mlp / cnn / lstm; one factory serves all four ways."""

    def factory(ctx: Context, impl: str) -> Run:
        sizes = ctx.sizes
        seed_all()
        if kind == "lstm":
            x, y = regression_data(sizes.lstm_samples)
            batch = sizes.lstm_batch
        elif kind == "cnn":
            x, y = classification_data(sizes.cnn_samples, (28, 28, 1))
            batch = sizes.cnn_batch
        else:
            x, y = classification_data(sizes.mlp_samples, (784,))
            batch = sizes.mlp_batch
        if impl in ("kerasish", "keras3"):
            keras = ctx.keras(impl)
            model = {"mlp": build_mlp, "cnn": build_cnn, "lstm": build_lstm}[kind](keras)
            if kind == "lstm":
                compile_regressor(keras, model, jit)
            else:
                compile_classifier(keras, model, jit)

            def run() -> float:
                start = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=sizes.epochs, verbose=0)
                return time.perf_counter() - start

            return run
        if kind == "lstm":
            module: nn.Module = TorchLSTM()
            loss_fn: nn.Module = nn.MSELoss()
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        else:
            module = torch_cnn() if kind == "cnn" else torch_mlp()
            loss_fn = nn.CrossEntropyLoss()
            # NCHW, as a torch user lays out images.
            tx = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous() if kind == "cnn" else (
                torch.from_numpy(x)
            )
            ty = torch.from_numpy(y)
        optimizer = torch_adam(module, fused=impl == "torch_fused")
        return torch_fit_loop(
            module, loss_fn, optimizer, tx, ty, batch, sizes.epochs, classify=kind != "lstm"
        )

    return factory


def median_latency(call: Callable[[], Any], calls: int) -> float:
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - start)
    return statistics.median(latencies)


def predict_b1_factory(through: str) -> Callable[[Context, str], Run]:
    """Median latency for one MLP sample: ``model(x)`` or ``model.predict(x)`` (Keras);
    ``model(x)`` under ``inference_mode`` (torch) for both."""

    def factory(ctx: Context, impl: str) -> Run:
        calls = ctx.sizes.b1_calls
        seed_all()
        x, _ = classification_data(1, (784,))
        tensor = torch.from_numpy(x)
        if impl in ("kerasish", "keras3"):
            model = build_mlp(ctx.keras(impl))
            if through == "call":
                return lambda: median_latency(lambda: model(tensor), calls)
            return lambda: median_latency(lambda: model.predict(x, verbose=0), calls)
        if impl == "torch_fused":
            raise Unavailable("no optimizer in this workload")
        module = torch_mlp().eval()

        def call() -> Any:
            with torch.inference_mode():
                return module(tensor)

        return lambda: median_latency(call, calls)

    return factory


def predict_bulk_factory(ctx: Context, impl: str) -> Run:
    sizes = ctx.sizes
    seed_all()
    x, _ = classification_data(sizes.bulk_samples, (784,))
    batch = sizes.bulk_batch
    if impl in ("kerasish", "keras3"):
        model = build_mlp(ctx.keras(impl))

        def run() -> float:
            start = time.perf_counter()
            model.predict(x, batch_size=batch, verbose=0)
            return time.perf_counter() - start

        return run
    if impl == "torch_fused":
        raise Unavailable("no optimizer in this workload")
    module = torch_mlp().eval()

    def run_torch() -> float:
        start = time.perf_counter()
        tensor = torch.from_numpy(x)
        with torch.inference_mode():
            out = torch.cat([module(tensor[i:i + batch]) for i in range(0, len(tensor), batch)])
        out.numpy()
        return time.perf_counter() - start

    return run_torch


def build_inception_factory(ctx: Context, impl: str) -> Run:
    if impl not in ("kerasish", "keras3"):
        raise Unavailable("no plain-PyTorch InceptionV3 here; the target is vs Keras 3")
    keras = ctx.keras(impl)
    builder = inception_v3(keras)

    def run() -> float:
        keras.backend.clear_session()
        gc.collect()
        start = time.perf_counter()
        builder(weights=None)
        return time.perf_counter() - start

    return run


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keras 3 warns (through absl logging) that .h5 is a legacy format; not news here."""
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def inception_h5(ctx: Context) -> str:
    """One ``.h5`` for every way, written once by Keras 3 (the oracle) or else by kerasish."""
    if "inception_h5" not in ctx.cache:
        ctx.cache["inception_h5"] = None
        reasons = []
        for impl in ("keras3", "kerasish"):
            try:
                keras = ctx.keras(impl)
                model = inception_v3(keras)(weights=None)
            except Unavailable as reason:
                reasons.append(str(reason))
                continue
            path = os.path.join(ctx.tmpdir, "inception_v3.h5")
            with quiet():
                model.save(path)
            ctx.cache["inception_h5"] = (path, LABELS[impl])
            break
        else:
            ctx.cache["inception_h5_reason"] = "; ".join(reasons)
    saved = ctx.cache["inception_h5"]
    if saved is None:
        raise Unavailable(f"no InceptionV3 to save ({ctx.cache['inception_h5_reason']})")
    return saved[0]


def load_h5_factory(ctx: Context, impl: str) -> Run:
    if impl not in ("kerasish", "keras3"):
        raise Unavailable("no plain-PyTorch .h5 loader; the row compares Keras 3 and kerasish")
    keras = ctx.keras(impl)
    inception_v3(keras)  # loading needs the same layer library
    path = inception_h5(ctx)

    def run() -> float:
        keras.backend.clear_session()
        gc.collect()
        start = time.perf_counter()
        with quiet():
            keras.models.load_model(path, compile=False)
        return time.perf_counter() - start

    return run


# ------------------------------------------------------------------------ workloads


@dataclass(frozen=True)
class Target:
    numerator: str
    denominator: str
    limit: float
    at_least_as_fast: bool = False

    def describe(self) -> str:
        return f"{LABELS[self.numerator]} / {LABELS[self.denominator]} ≤ {self.limit:g}"


@dataclass(frozen=True)
class Workload:
    name: str
    group: str
    what: str
    factory: Callable[[Context, str], Run]
    target: Optional[Target] = None
    # torch.compile's caches outlive a model: shapes seen by an earlier workload's compile make
    # the next one's dims "dynamic" (and can break it), which a one-model program never sees.
    fresh_compiler: bool = False


FIT_TARGET = Target("kerasish", "torch", 1.05)
WORKLOADS = (
    Workload("mlp_fit", "mlp_fit", "fit, MLP 784-512-512-10, Adam, batch 128", fit_factory("mlp"),
             FIT_TARGET),
    Workload("cnn_fit", "cnn_fit", "fit, small CNN on 28x28x1, Adam, batch 128",
             fit_factory("cnn"), FIT_TARGET),
    Workload("lstm_fit", "lstm_fit", "fit, LSTM(64) on 50x32, MSE, Adam, batch 64",
             fit_factory("lstm"), FIT_TARGET),
    Workload("predict_b1_call", "predict_b1", "median latency of model(x), one MLP sample",
             predict_b1_factory("call"), Target("kerasish", "torch", 1.3)),
    Workload("predict_b1_predict", "predict_b1", "median latency of predict(x), one MLP sample",
             predict_b1_factory("predict"), Target("kerasish", "torch", 3.0)),
    Workload("predict_bulk", "predict_bulk", "predict, MLP, batch 1024", predict_bulk_factory,
             Target("kerasish", "torch", 1.05)),
    Workload("build_inception", "build_inception", "InceptionV3(weights=None)",
             build_inception_factory, Target("kerasish", "keras3", 0.5)),
    Workload("load_h5", "load_h5", "load_model(InceptionV3 .h5)", load_h5_factory),
    Workload("mlp_fit_jit", "jit", "mlp_fit, Keras with compile(jit_compile=True), torch eager",
             fit_factory("mlp", jit=True), Target("kerasish", "torch", 1.0), fresh_compiler=True),
    Workload("cnn_fit_jit", "jit", "cnn_fit, Keras with compile(jit_compile=True), torch eager",
             fit_factory("cnn", jit=True), Target("kerasish", "torch", 1.0), fresh_compiler=True),
)
NAMES = [w.name for w in WORKLOADS]
GROUPS = sorted({w.group for w in WORKLOADS} | set(NAMES))


def select(only: Optional[list[str]]) -> list[Workload]:
    if not only:
        return list(WORKLOADS)
    unknown = sorted(set(only) - set(GROUPS))
    if unknown:
        raise ValueError(f"Unknown workload(s) {unknown}; choose from {GROUPS}.")
    return [w for w in WORKLOADS if w.name in only or w.group in only]


# -------------------------------------------------------------------------- the runner


@dataclass
class Row:
    workload: Workload
    status: dict[str, str] = field(default_factory=dict)  # impl -> "ok" / "n/a: .." / "error: .."
    times: dict[str, list] = field(default_factory=dict)
    log: list = field(default_factory=list)  # (round, impl) in the order they ran
    loadavg: tuple = ("?", "?")

    def median(self, impl: str) -> Optional[float]:
        times = self.times.get(impl)
        return statistics.median(times) if times else None


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "n/a"


def _error(error: BaseException) -> str:
    return f"error: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def run_workload(workload: Workload, ctx: Context, repeats: int, impls: tuple = IMPLS) -> Row:
    """Set up and warm up every way, then run ``repeats`` rounds, each way once per round."""
    row = Row(workload)
    start_load = loadavg()
    runs: dict[str, Run] = {}
    if workload.fresh_compiler:
        torch._dynamo.reset()
    for impl in impls:
        try:
            run = workload.factory(ctx, impl)
            run()  # warm-up: first-call setup, lowering, torch.compile, allocator growth
        except Unavailable as reason:
            row.status[impl] = f"n/a: {reason}"
            continue
        except Exception as error:  # a failing way is reported in its cell, the others go on
            row.status[impl] = _error(error)
            continue
        runs[impl] = run
        row.status[impl] = "ok"
        row.times[impl] = []
    for round_index in range(repeats):
        for impl in list(runs):
            gc.collect()
            try:
                seconds = runs[impl]()
            except Exception as error:
                row.status[impl] = _error(error)
                del runs[impl]
                row.times.pop(impl)
                continue
            row.times[impl].append(seconds)
            row.log.append((round_index, impl))
    row.loadavg = (start_load, loadavg())
    return row


def interleaved(log: list, a: str, b: str) -> bool:
    """True when a's and b's runs strictly alternated, equally often, at least MIN_ROUNDS each."""
    sequence = [impl for _, impl in log if impl in (a, b)]
    if a == b or sequence.count(a) != sequence.count(b) or sequence.count(a) < MIN_ROUNDS:
        return False
    return all(first != second for first, second in zip(sequence, sequence[1:]))


def ratio(row: Row, a: str, b: str) -> tuple[Optional[float], str]:
    """(value, cell text). No value unless both ways ran and their runs were interleaved."""
    top, bottom = row.median(a), row.median(b)
    if top is None or bottom is None:
        return None, "n/a"
    if not interleaved(row.log, a, b):
        return None, "refused: not interleaved"
    value = top / bottom
    return value, f"{value:.2f}"


# --------------------------------------------------------------------------- the report


def format_seconds(seconds: Optional[float]) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


RATIOS = (("kerasish", "torch"), ("keras3", "torch"), ("kerasish", "torch_fused"),
          ("kerasish", "keras3"))


def cell(row: Row, impl: str) -> str:
    status = row.status.get(impl, "n/a: not run")
    if status == "ok":
        return format_seconds(row.median(impl))
    return "n/a" if status.startswith("n/a") else "error"


def target_cell(row: Row) -> str:
    target = row.workload.target
    if target is None:
        return ""
    value, _ = ratio(row, target.numerator, target.denominator)
    verdict = "—" if value is None else ("met" if value <= target.limit else "missed")
    return f"{target.describe()}: {verdict}"


def spread_cell(row: Row) -> str:
    """The widest (max - min) / median of the row's ways: how far to trust a 5% verdict."""
    spreads = [(max(t) - min(t)) / statistics.median(t) for t in row.times.values() if t]
    return f"{max(spreads):.0%}" if spreads else "n/a"


def markdown_table(rows: list[Row]) -> str:
    header = ["workload", *(LABELS[i] for i in IMPLS),
              *(f"{LABELS[a]} / {LABELS[b]}" for a, b in RATIOS), "spread", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.workload.name, *(cell(row, impl) for impl in IMPLS),
                 *(ratio(row, a, b)[1] for a, b in RATIOS), spread_cell(row), target_cell(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(rows: list[Row]) -> list[str]:
    """Per row: what was timed, the recorded run order, the load, and every n/a or error."""
    lines = []
    for row in rows:
        rounds = sorted({r for r, _ in row.log})
        order = "; ".join(" ".join(impl for r, impl in row.log if r == rnd) for rnd in rounds)
        lines.append(
            f"- `{row.workload.name}` ({row.workload.what}); loadavg {row.loadavg[0]} → "
            f"{row.loadavg[1]}; run order: {order or 'none'}"
        )
        for impl in IMPLS:
            status = row.status.get(impl, "n/a: not run")
            if status != "ok":
                lines.append(f"  - {LABELS[impl]}: {status}")
    return lines


def environment(frameworks: dict[str, Any]) -> dict[str, str]:
    keras3 = frameworks.get("keras3")
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as handle:
            models = [ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")]
        if models:
            cpu = models[0]
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {platform.system()} "
                   f"{platform.release()}",
        "cpu": f"{cpu}; {os.cpu_count()} logical cores, {affinity} usable",
        "torch threads": f"{torch.get_num_threads()} intra-op, "
                         f"{torch.get_num_interop_threads()} inter-op",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "kerasish": getattr(frameworks["kerasish"], "__version__", "?"),
        "keras": keras3.__version__ if isinstance(keras3, ModuleType) else str(keras3),
    }


def report(rows: list[Row], env: dict[str, str], sizes: Sizes, repeats: int,
           load: tuple) -> str:
    out = ["## kerasish benchmark", ""]
    out += [f"- {key}: {value}" for key, value in env.items()]
    out += [
        f"- load average (1/5/15 min): {load[0]} at start, {load[1]} at end",
        f"- sizes: {', '.join(f'{k}={v}' for k, v in sizes.__dict__.items())}",
        f"- {repeats} interleaved rounds after one warm-up per way; medians; ratios are of "
        f"medians, lower is better, printed only for strictly alternating runs; spread is the "
        f"widest (max - min) / median among the row's ways",
        "",
        markdown_table(rows),
        "",
        *notes(rows),
    ]
    return "\n".join(out)


def as_json(rows: list[Row], env: dict, sizes: Sizes, repeats: int, load: tuple) -> dict:
    return {
        "environment": env,
        "loadavg": list(load),
        "sizes": sizes.__dict__,
        "repeats": repeats,
        "rows": [
            {
                "workload": row.workload.name,
                "status": row.status,
                "times": row.times,
                "log": row.log,
                "loadavg": list(row.loadavg),
                "ratios": {f"{a}/{b}": ratio(row, a, b)[0] for a, b in RATIOS},
            }
            for row in rows
        ],
    }


# ------------------------------------------------------------------------------- main


def run_all(
    workloads: list[Workload],
    sizes: Sizes,
    repeats: int,
    frameworks: dict[str, Any],
    echo: Any = None,
) -> tuple[list[Row], tuple]:
    start_load = loadavg()
    rows = []
    # Everything alive now (the imported libraries) is moved out of the collector's sight, so
    # the gc.collect() before each timed run costs milliseconds, not a walk over torch and Keras.
    gc.collect()
    gc.freeze()
    try:
        with tempfile.TemporaryDirectory(prefix="kerasish-bench-") as tmpdir:
            ctx = Context(sizes, frameworks, tmpdir)
            for workload in workloads:
                started = time.perf_counter()
                rows.append(run_workload(workload, ctx, repeats))
                if echo:
                    echo(f"{workload.name}: done in {time.perf_counter() - started:.0f} s")
    finally:
        gc.unfreeze()
    return rows, (start_load, loadavg())


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--repeats", type=int, default=MIN_ROUNDS,
                        help=f"interleaved rounds per workload (at least {MIN_ROUNDS})")
    parser.add_argument("--only", action="append", choices=GROUPS, metavar="WORKLOAD",
                        help=f"run only these (repeatable): {', '.join(GROUPS)}")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads before running")
    parser.add_argument("--epochs", type=int, help="epochs per timed fit (default 1)")
    parser.add_argument("--no-keras3", action="store_true", help="skip the Keras 3 column")
    parser.add_argument("--json", metavar="PATH", help="also write raw timings and run order")
    args = parser.parse_args(argv)
    if args.repeats < MIN_ROUNDS:
        parser.error(f"--repeats must be at least {MIN_ROUNDS}: fewer rounds give no ratio")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = QUICK if args.quick else FULL
    if args.epochs:
        sizes = replace(sizes, epochs=args.epochs)
    frameworks = load_frameworks(with_keras3=not args.no_keras3)
    workloads = select(args.only)
    rows, load = run_all(
        workloads, sizes, args.repeats, frameworks,
        echo=lambda line: print(line, file=sys.stderr, flush=True),
    )
    env = environment(frameworks)
    print(report(rows, env, sizes, args.repeats, load))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(as_json(rows, env, sizes, args.repeats, load), handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
