"""kerasish.ops' linalg ops and math's segment reductions, in_top_k and FFTs: their checks and
the results NumPy gives."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import ops

RNG = np.random.default_rng(4)
A = RNG.standard_normal((3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")


@pytest.mark.parametrize("name", ["det", "inv", "cholesky", "eig", "eigh", "slogdet", "logdet"])
def test_square_matrix_ops_reject_vectors_and_rectangles(name):
    with pytest.raises(ValueError, match="rank >= 2"):
        getattr(ops, name)(np.ones(3, "float32"))
    with pytest.raises(ValueError, match="square"):
        getattr(ops, name)(np.ones((2, 3), "float32"))


def test_cholesky_of_an_indefinite_matrix_is_a_value_error():
    with pytest.raises(ValueError, match="Cholesky decomposition failed"):
        ops.cholesky(-np.eye(2, dtype="float32"))


def test_solve_checks_shapes_and_matches_numpy():
    b = RNG.standard_normal((3, 2)).astype("float32")
    np.testing.assert_allclose(ops.solve(A, b).numpy(), np.linalg.solve(A, b), atol=1e-5)
    with pytest.raises(ValueError, match="Incompatible shapes"):
        ops.solve(A, np.ones((4, 2), "float32"))
    with pytest.raises(ValueError, match="Incompatible shapes"):
        ops.solve_triangular(A, np.ones(4, "float32"))


def test_lu_factor_pivots_are_zero_based():
    lu, pivots = ops.lu_factor(A)
    assert int(pivots.min()) >= 0 and int(pivots.max()) <= 2


def test_norm_rejects_unknown_string_orders():
    with pytest.raises(ValueError, match="ord"):
        ops.norm(A, ord="max")


def test_qr_rejects_unknown_modes():
    with pytest.raises(ValueError, match="mode"):
        ops.qr(A, mode="r")


def _numpy_segment(data, ids, count, reduce, identity):
    out = np.full((count,) + data.shape[1:], identity, "float32")
    for row, i in zip(data, ids):
        if 0 <= i < count:
            out[i] = reduce(out[i], row)
    return out


@pytest.mark.parametrize(
    "name, reduce, identity",
    [("segment_sum", np.add, 0.0), ("segment_max", np.maximum, -np.inf),
     ("segment_min", np.minimum, np.inf), ("segment_prod", np.multiply, 1.0)],
)
def test_segment_reductions_drop_out_of_range_ids(name, reduce, identity):
    data = RNG.standard_normal((7, 2)).astype("float32")
    ids = np.array([2, -1, 0, 0, 9, 2, 1], "int32")
    received = getattr(ops, name)(data, ids, num_segments=4).numpy()
    np.testing.assert_allclose(received, _numpy_segment(data, ids, 4, reduce, identity), rtol=1e-6)


def test_segment_ids_must_match_the_rows():
    with pytest.raises(ValueError, match="segment_ids"):
        ops.segment_sum(np.ones((3, 2)), np.array([0, 1]))


def test_in_top_k_counts_ties_as_in():
    predictions = np.array([[0.5, 0.5, 0.1]], "float32")
    assert bool(ops.in_top_k(np.array([1]), predictions, 1)[0])


def test_fft_round_trips_and_checks_its_tuple():
    x = RNG.standard_normal((2, 6)).astype("float32")
    real, imag = ops.rfft(x)
    np.testing.assert_allclose(ops.irfft((real, imag), fft_length=6).numpy(), x, atol=1e-5)
    expected = np.fft.fft(x + 1j * x)
    real, imag = ops.fft((x, x))
    np.testing.assert_allclose(real.numpy() + 1j * imag.numpy(), expected, atol=1e-4)
    with pytest.raises(ValueError, match="same shape"):
        ops.fft((x, x[:, :3]))
    with pytest.raises(ValueError, match="not of type float"):
        ops.fft((x.astype("int32"), x.astype("int32")))
    with pytest.raises(ValueError, match="tuple of two"):
        ops.fft(x)


def test_linalg_ops_build_graph_nodes():
    inputs = kerasish.Input((3, 3))
    model = kerasish.Model(inputs, ops.det(inputs) + ops.norm(ops.inv(inputs), axis=(-2, -1)))
    batch = np.stack([A, A.T])
    expected = np.linalg.det(batch) + np.linalg.norm(np.linalg.inv(batch), axis=(-2, -1))
    np.testing.assert_allclose(model(batch).detach().numpy(), expected, rtol=1e-5)
    assert isinstance(model(batch), torch.Tensor)
