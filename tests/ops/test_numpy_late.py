"""kerasish.ops.numpy_late (argpartition, unique, cdist) and the completed op namespaces,
without real Keras."""

import builtins

import numpy as np
import pytest
import torch

import kerasish
from kerasish import ops


def _check_partition(x, indices, kth, axis):
    axis %= x.ndim
    values = np.take_along_axis(x, indices, axis=axis)
    ordered = np.sort(x, axis=axis)
    kth_values = np.take(values, [kth], axis=axis)
    np.testing.assert_array_equal(kth_values, np.take(ordered, [kth], axis=axis))
    assert np.all(np.take(values, range(kth), axis=axis) <= kth_values)
    assert np.all(np.take(values, range(kth + 1, x.shape[axis]), axis=axis) >= kth_values)
    # every index exactly once per slice
    np.testing.assert_array_equal(np.sort(indices, axis=axis), np.broadcast_to(
        np.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)]), x.shape))


@pytest.mark.parametrize("kth,axis", [(0, -1), (2, -1), (4, 1), (1, 0), (-1, -1)])
def test_argpartition_partitions_fractional_values(rng, kth, axis):
    x = rng.standard_normal((3, 5)).astype("float32")
    out = ops.argpartition(x, kth, axis=axis)
    assert out.dtype == torch.int32 and tuple(out.shape) == x.shape
    _check_partition(x, out.numpy(), kth % x.shape[axis], axis)


def test_argpartition_flattens_without_axis_and_checks_kth():
    x = np.array([[5, 1], [4, 0]], "int64")
    out = ops.argpartition(x, 1, axis=None)
    assert out.shape == (4,) and out[:2].tolist() == [3, 1]
    with pytest.raises(ValueError, match="kth=4 is out of bounds"):
        ops.argpartition(x, 4)


def test_unique_matches_numpy_with_all_extras(rng):
    x = rng.integers(0, 5, (12,)).astype("int32")
    values, index, inverse, counts = ops.unique(x, return_index=True, return_inverse=True, return_counts=True)
    e_values, e_index, e_inverse, e_counts = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, want in ((values, e_values), (index, e_index), (inverse, e_inverse), (counts, e_counts)):
        np.testing.assert_array_equal(got.numpy(), want)
    assert values.dtype == torch.int32
    assert index.dtype == inverse.dtype == counts.dtype == torch.int64


def test_unique_size_pads_and_truncates():
    x = torch.tensor([3, 1, 2, 1])
    values, index, counts = ops.unique(x, size=5, fill_value=-7, return_index=True, return_counts=True)
    assert values.tolist() == [1, 2, 3, -7, -7]
    assert counts.tolist() == [2, 1, 1, 0, 0]
    assert index.tolist() == [1, 2, 0, 1, 1]  # Keras pads first indices with 1
    assert ops.unique(x, size=2).tolist() == [1, 2]


def test_unique_rows_along_an_axis():
    x = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    rows, inverse = ops.unique(x, axis=0, return_inverse=True)
    assert rows.tolist() == [[0, 1, 0], [1, 0, 0]] and inverse.tolist() == [1, 0, 1]
    assert ops.unique(x, axis=0, size=3, fill_value=9).tolist() == [[0, 1, 0], [1, 0, 0], [9, 9, 9]]


def test_unique_on_keras_tensors_has_a_value_dependent_length_and_saves(tmp_path):
    inputs = kerasish.Input((4,), dtype="int32")
    values, counts = ops.unique(inputs, return_counts=True)
    assert values.shape == (None,) and counts.shape == (None,) and counts.dtype == "int64"
    fixed = ops.unique(inputs, axis=1, size=3)
    assert fixed.shape == (None, 3)
    model = kerasish.Model(inputs, [values, counts, fixed])
    x = np.array([[2, 2, 5, 5], [5, 1, 1, 1]], "int32")
    out = model(x)
    assert out[0].tolist() == [1, 2, 5] and out[1].tolist() == [3, 2, 3]
    model.save(tmp_path / "m.keras")
    again = kerasish.models.load_model(tmp_path / "m.keras")
    assert again(x)[0].tolist() == [1, 2, 5] and again.outputs[0].shape == (None,)


def test_cdist_is_exact_and_broadcasts(rng):
    x = rng.standard_normal((2, 1, 4, 3))
    y = rng.standard_normal((3, 5, 3))
    out = ops.cdist(x, y)
    assert out.shape == (2, 3, 4, 5) and out.dtype == torch.float64
    expected = np.sqrt(((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert ops.cdist(np.ones((2, 2), "int32"), np.zeros((1, 2), "int32")).dtype == torch.float32


def test_cdist_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"rank >= 2.*x.shape=\(3,\)"):
        ops.cdist(np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"last dimension.*\(2, 3\).*\(2, 4\)"):
        ops.cdist(np.ones((2, 3)), np.ones((2, 4)))


def test_keras_namespaces_hold_the_ops_and_shadow_no_builtin():
    assert ops.numpy.unique is ops.unique and ops.numpy.argpartition is ops.argpartition
    assert ops.numpy.vectorize is ops.vectorize and ops.numpy.bartlett is ops.bartlett
    assert ops.nn.ctc_loss is ops.ctc_loss and ops.nn.fold is ops.fold and ops.nn.sparsemax is ops.sparsemax
    assert ops.linalg.jvp is ops.jvp
    assert not hasattr(ops.numpy, "saturate_cast")
    for namespace in (ops.numpy, ops.nn, ops.linalg, ops.math, ops.core):
        for name in vars(namespace):
            if hasattr(builtins, name) and not name.startswith("_"):
                # only names the module itself defines (numpy's `abs`, `sum`...) may do so
                assert getattr(namespace, name).__module__.startswith("kerasish"), name
