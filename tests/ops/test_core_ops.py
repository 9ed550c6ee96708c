"""Core ops: conversion, shapes, slicing, scatter, control flow."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import ops


def test_convert_to_numpy_and_shape():
    t = torch.randn(2, 3, requires_grad=True)
    assert isinstance(ops.convert_to_numpy(t), np.ndarray)
    assert ops.shape(t) == (2, 3)
    assert ops.shape(keras.Input((None, 4))) == (None, None, 4)
    assert ops.dtype(t) == "float32"
    assert ops.is_tensor(t) and not ops.is_tensor(np.zeros(1))
    with pytest.raises(TypeError, match="symbolic"):
        ops.convert_to_numpy(keras.Input((2,)))


def test_slice_and_slice_update():
    x = torch.arange(24).reshape(2, 3, 4)
    torch.testing.assert_close(ops.slice(x, (0, 1, 2), (2, 2, -1)), x[:, 1:3, 2:])
    updated = ops.slice_update(x, (1, 0, 0), torch.zeros(1, 2, 2, dtype=x.dtype))
    assert updated[1, :2, :2].abs().sum() == 0 and x[1, 0, 0] != 0  # the input is untouched


def test_scatter_accumulates_duplicates():
    result = ops.scatter(torch.tensor([[0, 1], [0, 1], [1, 0]]), torch.tensor([1.0, 2.0, 5.0]), (2, 2))
    assert result.tolist() == [[0.0, 3.0], [5.0, 0.0]]
    updated = ops.scatter_update(torch.zeros(2, 2), torch.tensor([[1, 1]]), torch.tensor([4.0]))
    assert updated.tolist() == [[0.0, 0.0], [0.0, 4.0]]


def test_control_flow():
    assert ops.cond(torch.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0)) == (4, 6)
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=3) == 3
    assert ops.fori_loop(0, 5, lambda i, acc: acc + i, 0) == 10
    torch.testing.assert_close(ops.map(lambda row: row.sum(), torch.ones(3, 2)), torch.full((3,), 2.0))
    torch.testing.assert_close(ops.vectorized_map(lambda row: row * 2, torch.ones(3, 2)), torch.full((3, 2), 2.0))


def test_stop_gradient_and_unstack():
    x = torch.ones(2, requires_grad=True)
    assert not ops.stop_gradient(x * 2).requires_grad
    parts = ops.unstack(torch.arange(6).reshape(2, 3), axis=1)
    assert [p.tolist() for p in parts] == [[0, 3], [1, 4], [2, 5]]
