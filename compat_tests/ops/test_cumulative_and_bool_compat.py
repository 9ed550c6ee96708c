"""cumsum/cumprod dtypes and boolean inputs of reductions and products, side by side with Keras 3."""

import keras
import numpy as np
import pytest
import torch

import kerasish

DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "uint16", "float16", "float32", "float64"]


def _same(received, expected):
    received, expected = torch.as_tensor(received), torch.as_tensor(expected)
    assert received.dtype == expected.dtype
    assert received.shape == expected.shape
    torch.testing.assert_close(received, expected, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 1])
def test_cumulative_dtype(name, dtype, axis):
    x = np.array([[1, 0, 3], [2, 1, 1]]).astype(dtype)
    _same(getattr(kerasish.ops, name)(x, axis=axis), getattr(keras.ops, name)(x, axis=axis))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "int64", "float16", "float64"])
def test_cumulative_dtype_argument(name, dtype):
    x = np.array([[1.0, 2.0, 0.5], [1.0, 3.0, 2.0]], "float32")
    _same(getattr(kerasish.ops, name)(x, dtype=dtype), getattr(keras.ops, name)(x, dtype=dtype))


def test_float16_cumulative_sum_rounding():
    x = np.full((2000,), 0.1, "float16")
    _same(kerasish.ops.cumsum(x), keras.ops.cumsum(x))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "uint16"])  # kerasish Input: no uint16
@pytest.mark.parametrize("argument", [None, "bool", "float64"])
def test_cumulative_symbolic_spec(name, dtype, argument):
    expected = getattr(keras.ops, name)(keras.Input((3,), dtype=dtype), axis=1, dtype=argument)
    received = getattr(kerasish.ops, name)(kerasish.Input((3,), dtype=dtype), axis=1, dtype=argument)
    assert (received.shape, received.dtype) == (tuple(expected.shape), expected.dtype)


BOOLS = np.array([[True, False, True], [False, False, True]])


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("argmax", {}),
        ("argmax", {"axis": 0}),
        ("argmax", {"axis": 1, "keepdims": True}),
        ("argmax", {"keepdims": True}),
        ("argmin", {}),
        ("argmin", {"axis": 0}),
        ("argmin", {"axis": -1, "keepdims": True}),
        ("argmin", {"keepdims": True}),
        ("argsort", {}),
        ("argsort", {"axis": None}),
        ("sort", {"axis": 0}),
        ("max", {}),
        ("max", {"axis": 1, "keepdims": True}),
        ("min", {"axis": 0}),
        ("amax", {"axis": 1}),
        ("amin", {}),
        ("any", {"axis": 0}),
        ("all", {"axis": 1, "keepdims": True}),
        ("count_nonzero", {"axis": 0}),
        ("sum", {"axis": 0}),
        ("prod", {}),
        ("mean", {"axis": 1}),
        ("abs", {}),
        ("absolute", {}),
        ("sign", {}),
        ("square", {}),
        ("nanargmax", {}),
        ("nanargmin", {"axis": 1}),
        ("nancumsum", {}),
    ],
)
def test_boolean_input(name, kwargs):
    _same(getattr(kerasish.ops, name)(BOOLS, **kwargs), getattr(keras.ops, name)(BOOLS, **kwargs))
    received = getattr(kerasish.ops, name)(kerasish.Input(batch_shape=(2, 3), dtype="bool"), **kwargs)
    expected = getattr(keras.ops, name)(keras.Input(batch_shape=(2, 3), dtype="bool"), **kwargs)
    assert (received.shape, received.dtype) == (tuple(expected.shape), expected.dtype)


@pytest.mark.parametrize("name", ["matmul", "dot", "tensordot", "inner"])
def test_boolean_products(name):
    other = np.array([[True, True], [False, True], [False, False]])
    kwargs = {"axes": 1} if name == "tensordot" else {}
    second = other.T if name == "inner" else other
    _same(getattr(kerasish.ops, name)(BOOLS, second, **kwargs), getattr(keras.ops, name)(BOOLS, second, **kwargs))


def test_boolean_argmax_in_a_model():
    def build(lib):
        x = lib.Input((3,), dtype="bool")
        return lib.Model(x, [lib.ops.argmax(x, axis=-1), lib.ops.argmin(x, axis=None, keepdims=True)])

    received = build(kerasish).predict(BOOLS, verbose=0)
    expected = build(keras).predict(BOOLS, verbose=0)
    for r, e in zip(received, expected):
        np.testing.assert_array_equal(r, e)
        assert r.dtype == e.dtype


def test_op_layer_keeps_float16_inputs():
    received = kerasish.ops.add(kerasish.Input((3,), dtype="float16"), 1.0)
    expected = keras.ops.add(keras.Input((3,), dtype="float16"), 1.0)
    assert received.dtype == expected.dtype == "float16"
