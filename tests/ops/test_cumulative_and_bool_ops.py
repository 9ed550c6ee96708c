"""Keras 3's dtype rules for cumsum/cumprod, and ops that take booleans where torch does not."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import ops


@pytest.mark.parametrize("op", [ops.cumsum, ops.cumprod])
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (torch.bool, torch.int32),
        (torch.int8, torch.int8),
        (torch.uint8, torch.uint8),
        (torch.int16, torch.int16),
        (torch.int32, torch.int32),
        (torch.int64, torch.int32),
        (torch.float16, torch.float16),
        (torch.bfloat16, torch.bfloat16),
        (torch.float32, torch.float32),
        (torch.float64, torch.float32),
    ],
)
def test_cumulative_dtype_is_the_inputs_narrowed_to_32_bits(op, dtype, expected):
    x = torch.tensor([[1, 0, 1], [1, 1, 1]]).to(dtype)
    result = op(x, axis=1)
    assert result.dtype == expected
    reference = torch.cumsum(x.double(), 1) if op is ops.cumsum else torch.cumprod(x.double(), 1)
    np.testing.assert_array_equal(result.double().numpy(), reference.numpy())


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [("bool", torch.int32), ("int8", torch.int8), ("int64", torch.int32), ("float64", torch.float32), ("float16", torch.float16)],
)
def test_cumulative_dtype_argument(dtype, expected):
    result = ops.cumsum(np.ones((2, 3), "float32"), dtype=dtype)
    assert result.dtype == expected
    assert result.shape == (6,)
    assert result[-1].item() == 6


def test_int8_cumulative_sum_wraps_as_int8():
    result = ops.cumsum(torch.full((3,), 100, dtype=torch.int8))
    assert result.dtype == torch.int8
    assert result.tolist() == [100, -56, 44]


def test_float16_cumulative_sum_accumulates_in_float32_on_cpu():
    x = torch.full((3000,), 0.1, dtype=torch.float16)
    expected = torch.cumsum(x.float(), 0).half()
    torch.testing.assert_close(ops.cumsum(x), expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("dtype", "argument", "expected"),
    [("int64", None, "int64"), ("float64", None, "float64"), ("bool", None, "int32"), ("int8", None, "int8"), ("float32", "float64", "float64"), ("float32", "bool", "int32")],
)
def test_cumulative_symbolic_dtype_is_keras_spec(dtype, argument, expected):
    x = keras.Input((3,), dtype=dtype)
    assert ops.cumsum(x, axis=1, dtype=argument).dtype == expected
    assert ops.cumprod(x, dtype=argument).dtype == expected
    assert ops.cumprod(x, dtype=argument).shape == (None,)


def test_cumulative_op_layer_runs_with_the_narrowed_dtype():
    x = keras.Input((3,), dtype="int64")
    model = keras.Model(x, ops.cumsum(x, axis=1))
    out = model(torch.tensor([[1, 2, 3]]))
    assert out.dtype == torch.int32
    assert out.tolist() == [[1, 3, 6]]


BOOLS = torch.tensor([[True, False, True], [False, False, True]])


@pytest.mark.parametrize(
    ("op", "kwargs", "expected"),
    [
        (ops.argmax, {}, 0),
        (ops.argmax, {"axis": 0}, [0, 0, 0]),
        (ops.argmax, {"axis": 1, "keepdims": True}, [[0], [2]]),
        (ops.argmax, {"keepdims": True}, [[0]]),
        (ops.argmin, {}, 1),
        (ops.argmin, {"axis": 0}, [1, 0, 0]),
        (ops.argmin, {"axis": -1, "keepdims": True}, [[1], [0]]),
        (ops.argmin, {"keepdims": True}, [[1]]),
    ],
)
def test_argmax_argmin_accept_booleans(op, kwargs, expected):
    result = op(BOOLS, **kwargs)
    assert result.dtype == torch.int32
    assert result.tolist() == expected


def test_argmax_of_boolean_keras_tensor():
    x = keras.Input((3,), dtype="bool")
    out = ops.argmax(x, axis=-1)
    assert (out.shape, out.dtype) == ((None,), "int32")
    assert keras.Model(x, out)(BOOLS).tolist() == [0, 2]


@pytest.mark.parametrize("op", [ops.abs, ops.absolute])
def test_absolute_of_booleans_is_the_input(op):
    result = op(BOOLS)
    assert result.dtype == torch.bool
    assert torch.equal(result, BOOLS)


def test_boolean_matrix_products_are_boolean():
    a = BOOLS
    b = torch.tensor([[True, True, False], [False, True, True]]).T
    expected = (a.float() @ b.float()) != 0
    for result in (ops.matmul(a, b), ops.dot(a, b), ops.tensordot(a, b, axes=1)):
        assert result.dtype == torch.bool
        assert torch.equal(result, expected)
    assert ops.matmul(a, b.float()).dtype == torch.float32


def test_op_layers_keep_their_inputs_float_dtype():
    x = keras.Input((3,), dtype="float16")
    out = ops.add(x, x)
    assert out.dtype == "float16"
    model = keras.Model(x, out)
    assert model(torch.ones(1, 3, dtype=torch.float16)).dtype == torch.float16


def test_numpy_uint16_becomes_int32():
    assert ops.convert_to_tensor(np.array([1, 2], np.uint16)).dtype == torch.int32
    assert ops.cumsum(np.array([1, 2], np.uint16)).dtype == torch.int32
