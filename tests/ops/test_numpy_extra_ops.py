"""kerasish.ops' numpy_extra ops against NumPy where kerasish goes beyond (or deliberately
differs from) Keras 3.15's torch backend, and the dtype rules of their own."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import ops
from kerasish.ops.numpy_extra import _keras_promote

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4, 5)).astype("float32")


@pytest.mark.parametrize(
    "dtypes, weak_float, expected",
    [
        ((torch.float64, torch.float64), False, torch.float32),
        ((torch.int64, torch.int8), False, torch.int32),
        ((torch.float16, torch.int64), False, torch.float16),
        ((torch.bool, torch.bool), True, torch.float32),
        ((torch.float16,), True, torch.float16),
        ((torch.int32, torch.float64), False, torch.float32),
    ],
)
def test_keras_promotion_reads_64_bit_torch_dtypes_as_weak(dtypes, weak_float, expected):
    assert _keras_promote(*dtypes, weak_float=weak_float) == expected


def test_cross_takes_numpy_axis_arguments():
    a = RNG.standard_normal((3, 4)).astype("float32")
    b = RNG.standard_normal((4, 3)).astype("float32")
    received = ops.cross(a, b, axisa=0, axisc=0).numpy()
    np.testing.assert_allclose(received, np.cross(a, b, axisa=0, axisc=0), atol=1e-6)


def test_cross_of_two_element_vectors_is_not_implemented():
    with pytest.raises(NotImplementedError, match="2-element"):
        ops.cross(np.ones((2, 2)), np.ones((2, 2)))


def test_average_with_same_shape_weights_over_all_axes_is_numpy_s():
    w = RNG.random((3, 4, 5)).astype("float32")
    received = ops.average(X, weights=w)
    assert received.shape == ()
    np.testing.assert_allclose(received.numpy(), np.average(X, weights=w), rtol=1e-5)


def test_average_rejects_1d_weights_without_axis():
    with pytest.raises(ValueError, match="Axis must be specified"):
        ops.average(X, weights=np.ones(5))


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "nearest", "midpoint"])
@pytest.mark.parametrize("axis", [None, 0, (0, 2), -1])
def test_quantile_matches_numpy(method, axis):
    received = ops.quantile(X, [0.2, 0.7], axis=axis, method=method, keepdims=True).numpy()
    expected = np.quantile(X, [0.2, 0.7], axis=axis, method=method, keepdims=True)
    np.testing.assert_allclose(received, expected, atol=1e-6)


def test_bincount_of_rows_counts_per_row():
    x = np.array([[0, 2, 2], [1, 1, 4]], "int32")
    received = ops.bincount(x, minlength=6)
    assert received.dtype == torch.int32
    np.testing.assert_array_equal(received.numpy(), [[1, 0, 2, 0, 0, 0], [0, 2, 0, 0, 1, 0]])


def test_bincount_sparse_is_not_implemented():
    with pytest.raises(NotImplementedError, match="sparse"):
        ops.bincount(np.array([0, 1]), sparse=True)


def test_unravel_index_matches_numpy():
    idx = np.array([0, 7, 23, 11], "int64")
    received = [r.numpy() for r in ops.unravel_index(idx, (2, 3, 4))]
    for r, e in zip(received, np.unravel_index(idx, (2, 3, 4))):
        np.testing.assert_array_equal(r, e)
        assert r.dtype == np.int32


def test_split_family_errors_name_the_op():
    with pytest.raises(ValueError, match="vsplit"):
        ops.vsplit(np.ones((3, 2)), 2)
    with pytest.raises(TypeError, match="indices_or_sections"):
        ops.array_split(np.ones(4), [1])
    assert [t.shape[1] for t in ops.hsplit(np.ones((2, 6)), [1, 4])] == [1, 3, 2]


def test_integer_only_ops_reject_floats():
    with pytest.raises(TypeError, match="gcd"):
        ops.gcd(X, X)
    with pytest.raises(TypeError, match="ldexp exponent"):
        ops.ldexp(X, X)
    with pytest.raises(TypeError, match="bitwise_not"):
        ops.bitwise_not(X)


def test_allclose_is_a_tensor_not_a_python_bool():
    result = ops.allclose(X, X + 1e-7)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.bool and bool(result)


def test_divide_no_nan_has_finite_gradients_where_the_divisor_is_zero():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([0.0, 4.0], requires_grad=True)
    ops.divide_no_nan(x, y).sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(y.grad).all()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.25])


def test_geomspace_and_logspace_match_numpy():
    np.testing.assert_allclose(ops.geomspace(-2.0, -162.0, 5).numpy(), np.geomspace(-2, -162, 5), rtol=1e-6)
    np.testing.assert_allclose(ops.logspace(1, 2, 4, endpoint=False, base=3).numpy(),
                               np.logspace(1, 2, 4, endpoint=False, base=3), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="axis"):
        ops.geomspace(1, 2, 3, axis=1)


def test_select_and_nonzero_match_numpy():
    cond = [X > 0.5, X < -0.5]
    np.testing.assert_allclose(ops.select(cond, [X, -X], default=9).numpy(), np.select(cond, [X, -X], 9))
    np.testing.assert_array_equal(ops.nonzero(X > 0).numpy(), np.stack(np.nonzero(X > 0)))


def test_ops_on_keras_tensors_build_a_model():
    inputs = kerasish.Input((4,))
    model = kerasish.Model(inputs, ops.logaddexp(ops.cbrt(inputs), ops.fliplr(inputs)))
    x = RNG.standard_normal((2, 4)).astype("float32")
    expected = np.logaddexp(np.cbrt(x), x[:, ::-1])
    np.testing.assert_allclose(model(x).detach().numpy(), expected, atol=1e-5)


def test_reversed_numpy_views_convert():
    """numpy views with negative strides (``x[::-1]``) are copied; torch cannot share them."""
    np.testing.assert_array_equal(ops.add(np.arange(3.0)[::-1], 1.0).numpy(), [3.0, 2.0, 1.0])


def test_read_only_numpy_arrays_convert_without_warnings():
    array = np.arange(4.0)
    array.flags.writeable = False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(ops.multiply(array, 2.0).numpy(), [0.0, 2.0, 4.0, 6.0])


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_nan_reductions_match_numpy(name, axis):
    x = np.where(RNG.random((3, 4, 5)) > 0.6, np.nan, X).astype("float32")
    np.testing.assert_allclose(getattr(ops, name)(x, axis=axis).numpy(), getattr(np, name)(x, axis=axis),
                               rtol=1e-5, atol=1e-6)


def test_nanmax_of_an_all_nan_slice_is_nan():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]], "float32")
    np.testing.assert_array_equal(np.isnan(ops.nanmax(x, axis=1).numpy()), [True, False])
