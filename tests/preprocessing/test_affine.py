"""Affine resampling (SciPy's affine_transform semantics, checked here on cases with known
answers)."""

from __future__ import annotations

import numpy as np
import pytest

from kerasish.preprocessing.affine import _affine_planes, apply_affine_transform


def _image(h: int = 4, w: int = 4) -> np.ndarray:
    return np.arange(h * w, dtype="float64").reshape(h, w, 1)


def test_rotation_by_90_degrees_is_exact():
    x = _image()
    out = apply_affine_transform(x, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_allclose(out[..., 0], np.rot90(x[..., 0], k=1), atol=1e-9)


def test_integer_shift_with_constant_and_nearest_fill():
    x = _image()
    # Keras builds its matrix in (col, row) order, so `tx` (drawn from height_shift_range)
    # moves the image along the columns: output column c reads input column c + 1.
    out = apply_affine_transform(x, tx=1, row_axis=0, col_axis=1, channel_axis=2,
                                 fill_mode="constant", cval=-1)
    np.testing.assert_allclose(out[:, :3, 0], x[:, 1:, 0])
    np.testing.assert_allclose(out[:, 3, 0], -1)
    out = apply_affine_transform(x, ty=-2, row_axis=0, col_axis=1, channel_axis=2, fill_mode="nearest")
    np.testing.assert_allclose(out[2:, :, 0], x[:2, :, 0])
    np.testing.assert_allclose(out[:2, :, 0], np.repeat(x[:1, :, 0], 2, axis=0))


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("reflect", [1.0, 0.0, 0.0, 1.0]),  # b a | a b c d
        ("wrap", [1.0, 2.0, 0.0, 1.0]),  # SciPy's wrap: coordinates modulo n - 1
        ("nearest", [0.0, 0.0, 0.0, 1.0]),
        ("constant", [7.0, 7.0, 0.0, 1.0]),
    ],
)
def test_boundary_modes_on_a_line(mode, expected):
    line = np.array([[[0.0, 1.0, 2.0, 3.0]]])  # one plane, one row
    # Output column j reads input column j - 2 (values SciPy 1.17 gives for the same call).
    out = _affine_planes(line, np.eye(2), np.array([0.0, -2.0]), mode, 7.0, 0)
    np.testing.assert_allclose(out[0, 0], expected)


def test_bilinear_interpolation_half_pixel():
    line = np.array([[[0.0, 10.0, 20.0]]])
    out = _affine_planes(line, np.eye(2), np.array([0.0, 0.5]), "nearest", 0.0, 1)
    np.testing.assert_allclose(out[0, 0], [5.0, 15.0, 20.0])


def test_channels_first_and_identity():
    x = np.random.default_rng(0).normal(size=(2, 5, 5))
    assert apply_affine_transform(x) is x  # nothing to do
    out = apply_affine_transform(x, zx=1.0, zy=1.0, theta=180, channel_axis=0, row_axis=1, col_axis=2)
    np.testing.assert_allclose(out, x[:, ::-1, ::-1], atol=1e-9)


def test_errors():
    with pytest.raises(NotImplementedError, match="interpolation_order=3"):
        apply_affine_transform(_image(), theta=10, row_axis=0, col_axis=1, channel_axis=2, order=3)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        apply_affine_transform(_image(), theta=10, row_axis=0, col_axis=1, channel_axis=2, fill_mode="mirror")
    with pytest.raises(ValueError, match="Input arrays must be multi-channel 2D images"):
        apply_affine_transform(np.zeros((3, 3)), theta=1)
