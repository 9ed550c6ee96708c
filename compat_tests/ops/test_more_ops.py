"""The rarer ``keras.ops`` (numpy_extra, and the nn/linalg additions) side by side with Keras 3
on its torch backend: same inputs, same values, same dtypes, for float, int, bool, float16 and
float64 inputs."""

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


RNG = np.random.default_rng(11)
F = RNG.standard_normal((2, 3, 4)).astype("float32")
G = RNG.standard_normal((2, 3, 4)).astype("float32")
H = F.astype("float16")
D = F.astype("float64")
I = RNG.integers(-6, 7, (2, 3, 4)).astype("int32")  # noqa: E741
J = RNG.integers(1, 7, (2, 3, 4)).astype("int32")
L = I.astype("int64")
I8 = I.astype("int8")
B = RNG.random((2, 3, 4)) > 0.5
M = RNG.standard_normal((3, 4)).astype("float32")
V3 = RNG.standard_normal((4, 3)).astype("float32")
W3 = RNG.standard_normal((4, 3)).astype("float32")
VEC = RNG.standard_normal((5,)).astype("float32")
INF = np.array([1.0, -np.inf, np.inf, np.nan, -0.0, 2.0], "float32")
SORTED = np.sort(RNG.standard_normal((6,)).astype("float32"))
CLOSE = F + np.float32(1e-6)
IDX = np.array([0, 3, 1, 1, 5, 3], "int32")

ALL_DTYPES = (F, I, B, H, D, L, I8)
UNARY_ALL = ["angle", "cbrt", "conj", "conjugate", "copy", "deg2rad", "rad2deg", "erfc", "exp2",
             "fabs", "i0", "real", "isneginf", "isposinf", "isreal", "signbit", "sinc", "trunc",
             "fliplr", "flipud", "rot90", "nan_to_num", "diff", "median", "average", "nonzero",
             "trapezoid", "array"]
BINARY_PAIRS = [(F, G), (I, J), (F, I), (H, F), (D, D), (I, 2), (I, 2.5), (F, 2), (L, J), (B, B)]
BINARY_FLOAT = ["fmod", "heaviside", "hypot", "logaddexp", "logaddexp2", "nextafter",
                "divide_no_nan", "isclose", "allclose", "isin", "kron", "append"]
BINARY_INT = ["gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
              "right_shift", "bitwise_left_shift", "bitwise_right_shift"]
INT_PAIRS = [(I, J), (I8, I8), (I, 2), (L, I)]

NANS = np.where(RNG.random((2, 3, 4)) > 0.7, np.nan, F).astype("float32")
NANS[0, 0] = np.nan
NAN_REDUCTIONS = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd"]

# (op name, positional args, keyword args)
CASES = (
    [(name, (x,), {}) for name in UNARY_ALL for x in ALL_DTYPES if not (name == "fabs" and x is I8)]
    + [(name, pair, {}) for name in BINARY_FLOAT for pair in BINARY_PAIRS
       if not (name in ("fmod", "hypot") and pair[0] is B)
       and not (name == "isin" and (pair[0] is B or not isinstance(pair[1], np.ndarray)))]
    + [(name, pair, {}) for name in BINARY_INT for pair in INT_PAIRS]
    + [(name, (x,), {}) for name in ("bitwise_not", "bitwise_invert") for x in (I, B, I8, L)]
    + [(name, (B, B), {}) for name in ("bitwise_and", "bitwise_or", "bitwise_xor")]
    + [(name, (x,), kw) for name in NAN_REDUCTIONS for x in (NANS, F, I, B, H, D, L)
       for kw in ({}, {"axis": -1}, {"axis": (0, 2), "keepdims": True})]
    + [(name, pair, {}) for name in ("fmax", "fmin")
       for pair in ((NANS, G), (G, NANS), (I, J), (I, 2.5), (F, I), (H, NANS), (B, I))]
    + [(name, (x,), {}) for name in ("ptp", "inner_self") for x in (F, I, H, D, L)]
    + [
        ("ldexp", (F, J), {}),
        ("ldexp", (H, J), {}),
        ("ldexp", (I, J), {}),
        ("ldexp", (D, L), {}),
        ("inner", (M, M), {}),
        ("inner", (I, I), {}),
        ("inner", (B, B), {}),
        ("inner", (F, I), {}),
        ("inner", (M, 2.0), {}),
        ("isclose", (F, CLOSE), {"rtol": 0.0, "atol": 1e-7}),
        ("isclose", (INF, INF), {"equal_nan": True}),
        ("allclose", (F, CLOSE), {}),
        ("isin", (I, J), {"invert": True}),
        ("nan_to_num", (INF,), {"nan": 1.0, "posinf": 9.0, "neginf": -9.0}),
        ("isneginf", (INF,), {}),
        ("isposinf", (INF,), {}),
        ("signbit", (INF,), {}),
        ("rot90", (F,), {"k": 3, "axes": (1, 2)}),
        ("rot90", (F,), {"k": -1}),
        ("hstack", ([F, G],), {}),
        ("hstack", ([VEC, VEC],), {}),
        ("vstack", ([M, M],), {}),
        ("vstack", ([VEC, VEC],), {}),
        ("vstack", ([F, I],), {}),
        ("dstack", ([M, M],), {}),
        ("dstack", ([VEC, VEC],), {}),
        ("hsplit", (M, 2), {}),
        ("hsplit", (VEC, [1, 3]), {}),
        ("vsplit", (M, 3), {}),
        ("dsplit", (F, [1, 2]), {}),
        ("array_split", (VEC, 3), {}),
        ("array_split", (F, 2, 2), {}),
        ("append", (F, G), {"axis": 1}),
        ("append", (I, B), {}),
        ("diff", (F,), {"n": 2, "axis": 1}),
        ("diff", (B,), {}),
        ("digitize", (VEC, np.array([-1.0, 0.0, 1.0], "float32")), {}),
        ("digitize", (I, np.array([-2, 0, 3], "int32")), {}),
        ("digitize", (F, np.array([0, 1], "int32")), {}),
        ("searchsorted", (SORTED, VEC), {}),
        ("searchsorted", (SORTED, SORTED), {"side": "right"}),
        ("searchsorted", (np.array([1, 3, 5], "int32"), I), {}),
        ("divide_no_nan", (F, np.where(B, G, 0).astype("float32")), {}),
        ("divide_no_nan", (I, np.where(B, J, 0).astype("int32")), {}),
        ("kron", (M, M[:2, :2]), {}),
        ("cross", (V3, W3), {}),
        ("cross", (V3.T, W3.T), {"axis": 0}),
        ("cross", (I[:, 0, :3], J[:, 1, :3]), {}),
        ("cross", (H[:, 0, :3], V3[:2]), {}),
        ("trapezoid", (F,), {"dx": 0.5, "axis": 1}),
        ("trapezoid", (VEC, np.cumsum(np.abs(VEC))), {}),
        ("tri", (3,), {}),
        ("tri", (3, 4), {"k": 1, "dtype": "int32"}),
        ("tri", (4, 2), {"k": -1}),
        ("vander", (VEC,), {}),
        ("vander", (I[0, 0],), {"N": 3, "increasing": True}),
        ("vander", (L[0, 0],), {}),
        ("diagflat", (M,), {}),
        ("diagflat", (VEC,), {"k": -2}),
        ("diagflat", (I,), {}),
        ("meshgrid", (VEC, VEC[:3]), {}),
        ("meshgrid", (VEC, VEC[:3], VEC[:2]), {"indexing": "ij"}),
        ("meshgrid", (I[0, 0], J[0, 0]), {}),
        ("unravel_index", (IDX, (2, 3)), {}),
        ("unravel_index", (IDX.astype("int64"), (3, 2)), {}),
        ("nonzero", (I,), {}),
        ("average", (F,), {"axis": 1}),
        ("average", (F,), {"axis": 2, "weights": np.array([1, 2, 3, 4], "int32")}),
        ("average", (I,), {"axis": -1, "weights": np.array([1.0, 2.0, 3.0, 0.5], "float32")}),
        ("average", (H,), {"axis": 0}),
        ("median", (F,), {"axis": 1}),
        ("median", (F,), {"axis": (0, 2), "keepdims": True}),
        ("median", (I,), {"keepdims": True}),
        ("quantile", (F, 0.3), {}),
        ("quantile", (F, [0.1, 0.9]), {"axis": 1}),
        ("quantile", (F, np.array([0.25, 0.75], "float32")), {"axis": -1, "keepdims": True}),
        ("quantile", (F, 0.4), {"axis": 2, "method": "lower"}),
        ("quantile", (F, 0.4), {"axis": 2, "method": "higher"}),
        ("quantile", (F, 0.4), {"axis": 2, "method": "nearest"}),
        ("quantile", (F, 0.4), {"axis": 2, "method": "midpoint"}),
        ("quantile", (I, 0.5), {}),
        ("quantile", (H, 0.5), {"axis": 0}),
        ("quantile", (D, 0.5), {}),
        ("percentile", (F, 30), {}),
        ("percentile", (F, [10, 50]), {"axis": 0}),
        ("ptp", (F,), {"axis": 1, "keepdims": True}),
        ("bincount", (IDX,), {}),
        ("bincount", (IDX,), {"minlength": 8}),
        ("bincount", (IDX,), {"weights": VEC.tolist() + [1.0]}),
        ("bincount", (IDX,), {"weights": IDX}),
        ("bincount", (np.stack([IDX, IDX[::-1]]),), {}),
        ("bincount", (np.stack([IDX, IDX[::-1]]),), {"weights": np.ones((2, 6), "float32"), "minlength": 7}),
        ("select", ([F > 0.5, F < -0.5], [F, G]), {}),
        ("select", ([I > 0, I < 0], [I, J]), {"default": -1}),
        ("logspace", (0, 2, 5), {}),
        ("logspace", (0.0, 3.0, 4), {"base": 2, "endpoint": False}),
        ("logspace", (0, 2, 3), {"dtype": "int32"}),
        ("geomspace", (1, 1000, 4), {}),
        ("geomspace", (2.0, 32.0, 4), {"endpoint": False}),
        ("geomspace", (-1.0, -100.0, 3), {}),
        ("array", ([1, 2, 3],), {}),
        ("array", ([1.0, 2.0],), {}),
        ("array", (F,), {"dtype": "float16"}),
        ("copy", (I,), {}),
        ("imag", (F,), {}) if False else ("real", (F,), {}),
        ("fmod", (F, 0.7), {}),
        ("heaviside", (np.array([-1.0, 0.0, 2.0], "float32"), 0.5), {}),
        ("vdot", (VEC, VEC[::-1]), {}),
        ("vdot", (I[0, 0], J[0, 0]), {}),
        ("vdot", (VEC.astype("float16"), VEC), {}),
        ("vdot", (I[0, 0], VEC[:4]), {}),
        ("histogram", (VEC,), {}),
        ("histogram", (F.ravel(),), {"bins": 4}),
        ("histogram", (F.ravel(),), {"bins": 5, "range": (-1.0, 1.0)}),
        ("histogram", (D.ravel(),), {"bins": 3}),
    ]
)


def _as_numpy_list(value):
    if isinstance(value, (list, tuple)):
        return [np.asarray(v.cpu().detach() if isinstance(v, torch.Tensor) else v) for v in value]
    if isinstance(value, torch.Tensor):
        return [value.detach().cpu().numpy()]
    return [np.asarray(value)]


def _call(module, name, args, kwargs):
    if name == "inner_self":
        return module.inner(args[0], args[0])
    return getattr(module, name)(*args, **kwargs)


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype}{list(value.shape)}"
    if isinstance(value, list):
        return "[" + ",".join(_describe(v) for v in value) + "]"
    return repr(value)


def _ids(case):
    name, args, kwargs = case
    return f"{name}({','.join(_describe(a) for a in args)})-{','.join(f'{k}={v}' for k, v in kwargs.items() if k != 'weights')}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    expected = _as_numpy_list(_call(keras.ops, name, args, kwargs))
    received = _as_numpy_list(_call(kerasish.ops, name, args, kwargs))
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        assert r.dtype == e.dtype, f"{name}: dtype {r.dtype} != Keras' {e.dtype}"
        assert r.shape == e.shape, f"{name}: shape {r.shape} != Keras' {e.shape}"
        tolerance = 1e-3 if r.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(r, e, atol=tolerance, rtol=tolerance)


def test_empty_and_empty_like_shape_and_dtype_match_keras():
    import keras

    for ours, theirs in [
        (kerasish.ops.empty((2, 3)), keras.ops.empty((2, 3))),
        (kerasish.ops.empty((4,), dtype="int32"), keras.ops.empty((4,), dtype="int32")),
        (kerasish.ops.empty_like(I), keras.ops.empty_like(I)),
        (kerasish.ops.empty_like(F, dtype="float16"), keras.ops.empty_like(F, dtype="float16")),
    ]:
        assert ours.dtype == theirs.dtype and tuple(ours.shape) == tuple(theirs.shape)


def test_new_ops_build_graph_nodes_like_keras():
    import keras

    x = RNG.standard_normal((2, 6)).astype("float32")

    def build(lib):
        inputs = lib.Input((6,))
        parts = lib.ops.array_split(inputs, 3, axis=1)
        out = lib.ops.hstack([lib.ops.cbrt(parts[0]), lib.ops.logaddexp(parts[1], parts[2])])
        return lib.Model(inputs, lib.ops.divide_no_nan(out, lib.ops.hypot(out, lib.ops.flipud(out))))

    expected = np.asarray(build(keras)(x).detach())
    received = np.asarray(build(kerasish)(x).detach())
    np.testing.assert_allclose(received, expected, atol=1e-5)


def test_reads_keras3_configs_with_the_new_operations():
    import keras

    ops = keras.ops
    a = keras.Input((3, 4))
    h = keras.layers.Dense(4)(a)
    y = ops.layer_normalization(ops.cbrt(h), axis=-1, epsilon=1e-4)
    y = ops.hstack([ops.logaddexp(y, h), ops.fliplr(y)])
    y = ops.where(ops.isin(ops.argmax(y, axis=-1), ops.argmax(h, axis=-1)), 1.0, 0.0)[..., None] * y
    z = ops.sparse_plus(ops.max_pool(h, 2, padding="same"))
    reference = keras.Model(a, [y, z, ops.norm(h, axis=-1)])
    ours = kerasish.Model.from_config(reference.get_config())
    ours.set_weights(reference.get_weights())
    for r, e in zip(ours.predict(F[:, :, :4], verbose=0), reference.predict(F[:, :, :4], verbose=0)):
        np.testing.assert_allclose(np.asarray(r), np.asarray(e), atol=1e-5)
