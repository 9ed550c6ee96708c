"""``keras.ops`` linalg additions and math's segment reductions, ``in_top_k`` and Fourier
transforms side by side with Keras 3 on its torch backend: same values, same dtypes."""

import numpy as np
import pytest
import torch

import kerasish


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """conftest's fixture without Keras' per-test ``gc.collect()``."""
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


RNG = np.random.default_rng(21)
A = RNG.standard_normal((4, 4)).astype("float32") + 4 * np.eye(4, dtype="float32")
BA = RNG.standard_normal((2, 3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")
SPD = (A @ A.T).astype("float32")
SYM = (A + A.T).astype("float32")
RECT = RNG.standard_normal((5, 3)).astype("float32")
B4 = RNG.standard_normal((4, 2)).astype("float32")
V4 = RNG.standard_normal((4,)).astype("float32")
B5 = RNG.standard_normal((5, 2)).astype("float32")
I2 = RNG.integers(-3, 4, (3, 4)).astype("int32")
D = A.astype("float64")
DATA = RNG.standard_normal((6, 3)).astype("float32")
IDATA = RNG.integers(-5, 6, (6, 3)).astype("int32")
SEG = np.array([0, 0, 1, 3, 3, 3], "int32")
SEG_OUT = np.array([1, -1, 0, 2, 5, 1], "int32")
PRED = RNG.standard_normal((4, 6)).astype("float32")
TARGETS = np.array([0, 5, 2, 3], "int32")
SIG = RNG.standard_normal((2, 8)).astype("float32")
SIG_I = RNG.standard_normal((2, 8)).astype("float32")

CASES = [
    ("cholesky", (SPD,), {}),
    ("cholesky", (SPD,), {"upper": True}),
    ("det", (A,), {}),
    ("det", (BA,), {}),
    ("det", (D,), {}),
    ("logdet", (SPD,), {}),
    ("slogdet", (A,), {}),
    ("eigh", (SYM,), {}),
    ("inv", (A,), {}),
    ("inv", (BA,), {}),
    ("pinv", (RECT,), {}),
    ("matrix_rank", (RECT,), {}),
    ("lu_factor", (A,), {}),
    ("norm", (A,), {}),
    ("norm", (V4,), {"ord": 1}),
    ("norm", (I2,), {}),
    ("norm", (I2,), {"axis": 1, "keepdims": True}),
    ("norm", (A,), {"ord": "fro", "axis": (0, 1)}),
    ("norm", (A,), {"ord": "nuc"}),
    ("norm", (A,), {"ord": np.inf}),
    ("norm", (BA,), {"axis": -1, "ord": 3}),
    ("norm", (D,), {}),
    ("qr", (RECT,), {}),
    ("qr", (RECT,), {"mode": "complete"}),
    ("svd", (RECT,), {"compute_uv": False}),
    ("solve", (A, B4), {}),
    ("solve", (A, V4), {}),
    ("solve_triangular", (np.tril(A), B4), {"lower": True}),
    ("solve_triangular", (np.triu(A), V4), {}),
    ("lstsq", (RECT, B5), {}),
    ("lstsq", (RECT, B5), {"rcond": 1e-3}),
    ("segment_sum", (DATA, SEG), {}),
    ("segment_sum", (DATA, SEG), {"num_segments": 5}),
    ("segment_sum", (IDATA, SEG_OUT), {"num_segments": 3}),
    ("segment_max", (DATA, SEG), {"num_segments": 4, "sorted": True}),
    ("segment_max", (IDATA, SEG), {}),
    ("segment_min", (DATA, SEG), {}),
    ("segment_prod", (DATA, SEG), {}),
    ("in_top_k", (TARGETS, PRED, 1), {}),
    ("in_top_k", (TARGETS, PRED, 3), {}),
    ("fft", ((SIG, SIG_I),), {}),
    ("fft2", ((SIG, SIG_I),), {}),
    ("rfft", (SIG,), {}),
    ("rfft", (SIG,), {"fft_length": 6}),
    ("irfft", ((SIG[:, :5], SIG_I[:, :5]),), {}),
    ("irfft", ((SIG[:, :5], SIG_I[:, :5]),), {"fft_length": 7}),
]


def _as_list(value):
    if isinstance(value, (tuple, list)):
        return list(value)
    return [value]


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype}{list(value.shape)}"
    if isinstance(value, tuple):
        return "(" + ",".join(_describe(v) for v in value) + ")"
    return repr(value)


def _ids(case):
    name, args, kwargs = case
    return f"{name}({','.join(_describe(a) for a in args)})-{','.join(f'{k}={v}' for k, v in kwargs.items())}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    expected = _as_list(getattr(keras.ops, name)(*args, **kwargs))
    received = _as_list(getattr(kerasish.ops, name)(*args, **kwargs))
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        assert isinstance(r, torch.Tensor)
        assert r.dtype == e.dtype, f"{name}: dtype {r.dtype} != Keras' {e.dtype}"
        assert tuple(r.shape) == tuple(e.shape)
        np.testing.assert_allclose(r.detach().numpy(), e.detach().numpy(), atol=1e-4, rtol=1e-4)


def test_decompositions_reconstruct_their_input():
    """eig, svd and qr are unique only up to signs/phases: check what they must satisfy."""
    w, v = kerasish.ops.eig(A)
    np.testing.assert_allclose((torch.as_tensor(A).to(v.dtype) @ v).numpy(), (v * w).numpy(), atol=1e-4)
    u, s, vh = kerasish.ops.svd(RECT, full_matrices=False)
    np.testing.assert_allclose((u * s @ vh).numpy(), RECT, atol=1e-5)
    q, r = kerasish.ops.qr(RECT)
    np.testing.assert_allclose((q @ r).numpy(), RECT, atol=1e-5)
    import keras

    for ours, theirs in zip(kerasish.ops.svd(RECT), keras.ops.svd(RECT)):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
