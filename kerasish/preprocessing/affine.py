"""Affine image transforms for ``ImageDataGenerator``, without SciPy.

Keras computes them with ``scipy.ndimage.affine_transform`` (output pixel ``o`` reads the input
at ``matrix @ o + offset``). This module samples the same coordinates with NumPy and follows
SciPy's boundary modes for spline orders 0 and 1: ``constant`` (``cval`` outside the image,
no interpolation beyond the edge), ``nearest`` (edge pixels repeat), ``reflect`` (mirrored about
the image border) and ``wrap`` (SciPy's ``wrap``: period ``n - 1``, first and last pixels
overlapping).
"""

from __future__ import annotations

import numpy as np

_MODES = ("constant", "nearest", "reflect", "wrap")


def transform_matrix_offset_center(matrix: np.ndarray, x: int, y: int) -> np.ndarray:
    """``matrix`` applied about the image centre instead of the origin."""
    o_x, o_y = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset @ matrix @ reset


def apply_affine_transform(
    x: np.ndarray,
    theta: float = 0,
    tx: float = 0,
    ty: float = 0,
    shear: float = 0,
    zx: float = 1,
    zy: float = 1,
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    order: int = 1,
) -> np.ndarray:
    """Rotate (degrees), shift (pixels: ``tx`` along rows, ``ty`` along columns), shear
    (degrees) and zoom one ``rank-3`` image, composed in Keras' order about its centre."""
    if np.unique([row_axis, col_axis, channel_axis]).size != 3:
        raise ValueError("'row_axis', 'col_axis', and 'channel_axis' must be distinct")
    if {row_axis, col_axis, channel_axis} != {0, 1, 2}:
        raise ValueError(f"Invalid axis' indices: {({row_axis, col_axis, channel_axis}) - {0, 1, 2}}")
    if x.ndim != 3:
        raise ValueError("Input arrays must be multi-channel 2D images.")
    if channel_axis not in (0, 2):
        raise ValueError("Channels are allowed and the first and last dimensions.")
    if fill_mode not in _MODES:
        raise ValueError(f"fill_mode must be one of {_MODES}. Received: fill_mode={fill_mode!r}")
    if order not in (0, 1):
        raise NotImplementedError(
            f"ImageDataGenerator(interpolation_order={order}) is not supported by kerasish: only "
            "orders 0 (nearest) and 1 (bilinear) are implemented."
        )
    matrix = None
    if theta != 0:
        angle = np.deg2rad(theta)
        matrix = np.array(
            [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
        )
    if tx != 0 or ty != 0:
        matrix = _compose(matrix, np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        angle = np.deg2rad(shear)
        matrix = _compose(matrix, np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        matrix = _compose(matrix, np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if matrix is None:
        return x
    height, width = x.shape[row_axis], x.shape[col_axis]
    matrix = transform_matrix_offset_center(matrix, height, width)
    planes = np.moveaxis(x, channel_axis, 0)
    if col_axis > row_axis:  # Keras builds the matrix in (col, row) order: swap to (row, col)
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    out = _affine_planes(planes, matrix[:2, :2], matrix[:2, 2], fill_mode, cval, order)
    return np.moveaxis(out, 0, channel_axis)


def _compose(matrix, step: np.ndarray) -> np.ndarray:
    return step if matrix is None else matrix @ step


def _affine_planes(
    planes: np.ndarray, matrix: np.ndarray, offset: np.ndarray, mode: str, cval: float, order: int
) -> np.ndarray:
    """SciPy's ``affine_transform`` of every ``(a, b)`` plane of ``planes`` at once."""
    size_a, size_b = planes.shape[1:]
    grid_a, grid_b = np.meshgrid(np.arange(size_a), np.arange(size_b), indexing="ij")
    coord_a = matrix[0, 0] * grid_a + matrix[0, 1] * grid_b + offset[0]
    coord_b = matrix[1, 0] * grid_a + matrix[1, 1] * grid_b + offset[1]
    outside = np.zeros(coord_a.shape, dtype=bool)
    if mode == "constant":
        outside = _beyond_edge(coord_a, size_a) | _beyond_edge(coord_b, size_b)
    else:
        coord_a, coord_b = _map(coord_a, size_a, mode), _map(coord_b, size_b, mode)
    if order == 0:
        index_a = _clip(np.floor(coord_a + 0.5).astype(np.int64), size_a)
        index_b = _clip(np.floor(coord_b + 0.5).astype(np.int64), size_b)
        out = planes[:, index_a, index_b]
    else:
        floor_a, floor_b = np.floor(coord_a), np.floor(coord_b)
        frac_a, frac_b = coord_a - floor_a, coord_b - floor_b
        a0 = floor_a.astype(np.int64)
        b0 = floor_b.astype(np.int64)
        a1, b1 = _clip(a0 + 1, size_a), _clip(b0 + 1, size_b)
        a0, b0 = _clip(a0, size_a), _clip(b0, size_b)
        out = (
            planes[:, a0, b0] * ((1 - frac_a) * (1 - frac_b))
            + planes[:, a0, b1] * ((1 - frac_a) * frac_b)
            + planes[:, a1, b0] * (frac_a * (1 - frac_b))
            + planes[:, a1, b1] * (frac_a * frac_b)
        )
    out = out.astype(planes.dtype, copy=False)
    if outside.any():
        out[:, outside] = cval
    return out


def _beyond_edge(coord: np.ndarray, size: int) -> np.ndarray:
    tolerance = 1e-8  # SciPy's: rounding noise at an edge does not count as outside
    return (coord < -tolerance) | (coord > size - 1 + tolerance)


def _clip(index: np.ndarray, size: int) -> np.ndarray:
    return np.clip(index, 0, size - 1)


def _map(coord: np.ndarray, size: int, mode: str) -> np.ndarray:
    """A coordinate outside ``[0, size - 1]`` folded back inside, as SciPy folds it."""
    if size <= 1 or mode == "nearest":
        return np.clip(coord, 0, size - 1)
    if mode == "reflect":
        period = 2 * size
        folded = np.mod(coord + 0.5, period) - 0.5
        return np.where(folded > size - 0.5, period - 1 - folded, folded)
    span = size - 1  # SciPy's "wrap"
    return np.where((coord < 0) | (coord > span), np.mod(coord, span), coord)
