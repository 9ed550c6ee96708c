"""NumPy-like ops against numpy itself, and Keras 3's dtype rules."""

import numpy as np
import pytest
import torch

from kerasish import ops

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 3, 4)).astype("float32")
Y = RNG.standard_normal((2, 3, 4)).astype("float32")
INTS = RNG.integers(-4, 5, (2, 3, 4)).astype("int32")


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


CASES = {
    "add": (lambda: ops.add(X, Y), lambda: np.add(X, Y)),
    "subtract": (lambda: ops.subtract(X, Y), lambda: np.subtract(X, Y)),
    "divide": (lambda: ops.divide(X, Y), lambda: np.divide(X, Y)),
    "maximum": (lambda: ops.maximum(X, Y), lambda: np.maximum(X, Y)),
    "matmul": (lambda: ops.matmul(X, Y.transpose(0, 2, 1)), lambda: np.matmul(X, Y.transpose(0, 2, 1))),
    "dot": (lambda: ops.dot(X, Y[0].T), lambda: np.dot(X, Y[0].T)),
    "outer": (lambda: ops.outer(X[0, 0], Y[0, 0]), lambda: np.outer(X[0, 0], Y[0, 0])),
    "exp": (lambda: ops.exp(X), lambda: np.exp(X)),
    "floor": (lambda: ops.floor(X), lambda: np.floor(X)),
    "cumsum": (lambda: ops.cumsum(X, axis=1), lambda: np.cumsum(X, axis=1)),
    "sort": (lambda: ops.sort(X, axis=-1), lambda: np.sort(X, axis=-1)),
    "take-flat-negative": (lambda: ops.take(X, np.array([[0, -1], [5, 23]])), lambda: np.take(X, [[0, -1], [5, 23]])),
    "take-axis": (lambda: ops.take(X, np.array([2, -1]), axis=1), lambda: np.take(X, [2, -1], axis=1)),
    "take_along_axis": (
        lambda: ops.take_along_axis(X, np.argsort(X, axis=2), axis=2),
        lambda: np.take_along_axis(X, np.argsort(X, axis=2), axis=2),
    ),
    "count_nonzero-axis": (lambda: ops.count_nonzero(INTS, axis=1), lambda: np.count_nonzero(INTS, axis=1)),
    "pad-int": (lambda: ops.pad(X, 1), lambda: np.pad(X, 1)),
    "pad-edge": (
        lambda: ops.pad(X, ((0, 0), (1, 1), (2, 2)), mode="edge"),
        lambda: np.pad(X, ((0, 0), (1, 1), (2, 2)), mode="edge"),
    ),
    "tril": (lambda: ops.tril(X[0], k=-1), lambda: np.tril(X[0], -1)),
    "roll-flat": (lambda: ops.roll(X, 3), lambda: np.roll(X, 3)),
    "flip-all": (lambda: ops.flip(X), lambda: np.flip(X)),
    "prod": (lambda: ops.prod(X, axis=(0, 2)), lambda: np.prod(X, axis=(0, 2))),
    "var": (lambda: ops.var(X, axis=1), lambda: np.var(X, axis=1)),
    "tensordot": (lambda: ops.tensordot(X, Y, axes=[[1, 2], [1, 2]]), lambda: np.tensordot(X, Y, axes=[[1, 2], [1, 2]])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy(name):
    ours, reference = CASES[name]
    np.testing.assert_allclose(_np(ours()), reference(), rtol=1e-5, atol=1e-5)


def test_weak_python_scalars_keep_the_tensor_dtype():
    ints = torch.tensor([1, 2, 3], dtype=torch.int32)
    assert ops.multiply(ints, 2).dtype == torch.int32
    assert ops.add(ints, 1.5).dtype == torch.float32
    assert ops.add(torch.ones(2, dtype=torch.float16), 1.5).dtype == torch.float16
    assert ops.add(torch.tensor([True]), 1).dtype == torch.int32
    assert ops.subtract(3, ints).tolist() == [2, 1, 0]


def test_integer_reductions_and_indices_are_int32():
    ints = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    assert ops.sum(ints).dtype == torch.int32
    assert ops.sum(torch.tensor([True, True, False])).item() == 2
    assert ops.sum(torch.tensor([True])).dtype == torch.int32
    assert ops.sum(ints.long()).dtype == torch.int64
    assert ops.mean(ints).dtype == torch.float32
    assert ops.argmax(torch.randn(3, 4), axis=1).dtype == torch.int32
    assert ops.divide(ints, ints).dtype == torch.float32
    assert ops.cumsum(torch.tensor([True, True])).tolist() == [1, 2]


def test_python_values_convert_like_keras():
    assert ops.convert_to_tensor(3).dtype == torch.int32
    assert ops.convert_to_tensor(2**40).dtype == torch.int64
    assert ops.convert_to_tensor([1.0, 2]).dtype == torch.float32
    assert ops.convert_to_tensor(np.zeros(2)).dtype == torch.float64
    assert ops.arange(4).dtype == torch.int32
    assert ops.arange(0.0, 1.0, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert ops.full((2,), 3).dtype == torch.float32


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="size not equal to one"):
        ops.squeeze(torch.zeros(2, 3), axis=1)
    with pytest.raises(ValueError, match="not divisible"):
        ops.split(torch.zeros(5), 2)
    with pytest.raises(ValueError, match="both should be `None`"):
        ops.where(torch.tensor([True]), 1.0)
    with pytest.raises(NotImplementedError, match="pad\\(mode='symmetric'\\)"):
        ops.pad(torch.zeros(3), 1, mode="symmetric")


def test_creation_ops_use_floatx_and_shapes():
    assert ops.ones((2, 3)).shape == (2, 3)
    assert ops.zeros(4, dtype="int32").dtype == torch.int32
    np.testing.assert_array_equal(_np(ops.eye(3, 4, k=1)), np.eye(3, 4, k=1, dtype="float32"))
    np.testing.assert_allclose(_np(ops.linspace(0, 1, 5)), np.linspace(0, 1, 5), atol=1e-7)
    assert ops.full_like(torch.zeros(2, dtype=torch.int32), 7).tolist() == [7, 7]
