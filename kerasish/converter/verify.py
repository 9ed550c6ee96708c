"""``--verify``: the converted weights must reproduce the source model's outputs."""

from __future__ import annotations

from typing import Any

import numpy as np

TOLERANCE = 1e-5


def random_inputs(model: Any, batch: int = 2, seed: int = 0) -> list[np.ndarray]:
    """One random array per model input; unknown non-batch dims get 3, integer inputs get
    small indices (valid for any Embedding)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = [batch] + [3 if d is None else int(d) for d in tuple(tensor.shape)[1:]]
        dtype = str(getattr(tensor, "dtype", "float32"))
        if "int" in dtype:
            arrays.append(rng.integers(0, 2, size=shape).astype(dtype.replace("torch.", "")))
        else:
            arrays.append(rng.standard_normal(shape).astype("float32"))
    return arrays


def _flat_outputs(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [np.asarray(value[k]) for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def max_difference(source: Any, result: Any) -> float:
    """Largest |difference| between the two models' predictions on the same random inputs."""
    inputs = random_inputs(source)
    feed = inputs[0] if len(inputs) == 1 else inputs
    expected = _flat_outputs(source.predict(feed, verbose=0))
    received = _flat_outputs(result.predict(feed, verbose=0))
    return max(
        float(np.max(np.abs(e.astype("float64") - r.astype("float64")), initial=0.0))
        for e, r in zip(expected, received)
    )
