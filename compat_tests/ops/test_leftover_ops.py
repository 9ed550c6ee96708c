"""The leftover ``keras.ops`` (numpy_more) side by side with Keras 3 on its torch backend:
same inputs, same values, same dtypes."""

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


RNG = np.random.default_rng(23)
F = RNG.standard_normal((3, 5)).astype("float32")
G = RNG.standard_normal((3, 4)).astype("float32")
D = F.astype("float64")
H = F.astype("float16")
I = RNG.integers(-5, 6, (3, 5)).astype("int32")  # noqa: E741
L = I.astype("int64")
B = RNG.random((3, 5)) > 0.5
NANS = np.where(RNG.random((3, 5)) > 0.6, np.nan, F).astype("float32")
NANS[1] = np.nan
INFS = np.array([[1.0, np.nan, np.inf, 2.0], [-np.inf, 0.5, np.nan, 3.0]], "float32")
BLOCKS = RNG.standard_normal((2, 36, 6, 36)).astype("float32")
PAIRS = RNG.standard_normal((3, 4, 2)).astype("float32") * 3
COMPLEX = (PAIRS[..., 0] + 1j * PAIRS[..., 1]).astype("complex64")
VEC = RNG.standard_normal((7,)).astype("float32")
SHORT = RNG.standard_normal((3,)).astype("float32")
WIDE = np.array([-1e10, -3.5, 0.4, 200.7, 300.0, 3e9, np.inf, -np.inf], "float32")
WIDE_INT = np.array([-70000, -200, -1, 0, 127, 128, 255, 256, 70000], "int32")

CASES = (
    [(name, (n,), {}) for name in ("bartlett", "blackman", "hamming", "hanning")
     for n in (1, 2, 7, 10)]
    + [("kaiser", (n, beta), {}) for n in (1, 6, 9) for beta in (0.0, 5.0, 14.0)]
    + [(name, (x,), kw) for name in ("nanargmax", "nanargmin") for x in (NANS, F, I, H, D, B)
       for kw in ({}, {"axis": 1}, {"axis": 0, "keepdims": True}, {"axis": -1, "keepdims": True})]
    + [(name, (x,), kw) for name in ("nancumsum", "nancumprod") for x in (NANS, INFS, I, B, H, D, L)
       for kw in ({}, {"axis": 1}, {"axis": 0, "dtype": "float64"})]
    + [(name, (x, q), kw) for name, q in (("nanquantile", 0.3), ("nanquantile", [0.1, 0.9]), ("nanpercentile", 40))
       for x in (NANS, F, I, H, D, L, B)
       for kw in ({}, {"axis": 1}, {"axis": (0, 1), "keepdims": True}, {"axis": 0, "keepdims": True, "method": "nearest"},
                  {"keepdims": True, "method": "midpoint"})]
    + [("nanmedian", (x,), kw) for x in (NANS, I, H, L) for kw in ({}, {"axis": 1, "keepdims": True}, {"axis": ()})]
    + [(name, (x, 2), kw) for name in ("depth_to_space", "space_to_depth")
       for x in (BLOCKS, BLOCKS.astype("int32"))
       for kw in ({}, {"data_format": "channels_first"})]
    + [("depth_to_space", (BLOCKS, 3), {})]
    + [("view", (x, dtype), {}) for x, dtype in ((F, "int32"), (I, "float32"), (F, "int8"), (I, "uint8"),
                                                 (H, "int16"), (D, "float32"), (L, "int32"), (B, "uint8"))]
    + [("ifft2", ((F, G[:, :1] * np.ones_like(F)),), {}), ("ifft2", ((D, D[::-1].copy()),), {})]
    + [("view_as_complex", (x,), {}) for x in (PAIRS, PAIRS.astype("float64"), PAIRS.astype("int32"))]
    + [("view_as_real", (x,), {}) for x in (COMPLEX, COMPLEX.astype("complex128"))]
    + [("polar", (a, b), {}) for a, b in ((np.abs(F), G[:, :1] * np.ones_like(F)), (np.abs(D), D), (np.abs(H), H))]
    # Keras' eager get_item indexes its input as given, so both sides get tensors.
    + [("get_item", (torch.from_numpy(x), key), {}) for x in (F, I, B)
       for key in (1, (0, 2), (slice(None), slice(1, 4, 2)), (Ellipsis, None, -1))]
    + [("extract_sequences", (x, n, step), {}) for x in (VEC, F, I) for n, step in ((2, 1), (3, 2), (4, 4))]
    + [("corrcoef", (x,), {}) for x in (F, I, B, D, L, H, F[0])]
    + [("correlate", (a, b), {"mode": mode})
       for a, b in ((VEC, SHORT), (SHORT, VEC), (VEC, VEC), (VEC.astype("int32"), SHORT),
                    (I[0], I[1]), (L[0], I[1]), (H[0], H[1]), (D[0], F[1]))
       for mode in ("valid", "same", "full")]
    + [("saturate_cast", (x, dtype), {})
       for x in (WIDE, WIDE.astype("float64")[:5])
       for dtype in ("uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "bool")]
    + [("saturate_cast", (x, dtype), {})
       for x in (WIDE_INT, WIDE_INT.astype("int64"), WIDE_INT.astype("int16"), B)
       for dtype in ("uint8", "int8", "int16", "int32", "bool")]
    + [("saturate_cast", (B, dtype), {}) for dtype in ("float16", "float32")]
)


def _describe(value):
    if isinstance(value, torch.Tensor):
        return f"tensor{list(value.shape)}"
    return f"{value.dtype}{list(value.shape)}" if isinstance(value, np.ndarray) else repr(value)


def _ids(case):
    name, args, kwargs = case
    return f"{name}({','.join(_describe(a) for a in args)})-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def _numpy(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype == torch.complex32:  # numpy has no complex32
            return value.to(torch.complex64).numpy()
        return value.float().numpy() if value.dtype == torch.bfloat16 else value.numpy()
    return np.asarray(value)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    ours = getattr(kerasish.ops, name)(*args, **kwargs)
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for r, e in zip(ours, theirs):
            assert r.dtype == e.dtype
            np.testing.assert_allclose(_numpy(r), _numpy(e), atol=1e-5, rtol=1e-5)
        return
    assert ours.dtype == theirs.dtype, f"{name}: dtype {ours.dtype} != Keras' {theirs.dtype}"
    received, expected = _numpy(ours), _numpy(theirs)
    assert received.shape == expected.shape, f"{name}: shape {received.shape} != Keras' {expected.shape}"
    tolerance = 1e-3 if ours.dtype in (torch.float16, torch.bfloat16, torch.complex32) else 1e-5
    np.testing.assert_allclose(received, expected, atol=tolerance, rtol=tolerance)


def test_switch_matches_keras():
    import keras

    branches = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]
    for index in (-2, 0, 1, 2, 7, np.int32(1), torch.tensor(2)):
        theirs = keras.ops.switch(index, branches, F, G[:, :1])
        ours = kerasish.ops.switch(index, branches, F, G[:, :1])
        np.testing.assert_allclose(_numpy(ours), _numpy(theirs))


def test_scan_matches_keras():
    import keras

    def cumulative(carry, x):
        return carry + x, carry * 2.0

    def nested(carry, x):
        total, count = carry["total"], carry["count"]
        return {"total": total + x[0] * x[1], "count": count + 1}, (total, x[0])

    xs = torch.from_numpy(F)
    for reverse in (False, True):
        for ours, theirs in [
            (kerasish.ops.scan(cumulative, torch.zeros(5), xs, reverse=reverse),
             keras.ops.scan(cumulative, torch.zeros(5), xs, reverse=reverse)),
            (kerasish.ops.scan(nested, {"total": torch.zeros(5), "count": torch.tensor(0)}, (xs, xs + 1)),
             keras.ops.scan(nested, {"total": torch.zeros(5), "count": torch.tensor(0)}, (xs, xs + 1))),
            (kerasish.ops.scan(lambda c, _: (c + 1, None), torch.ones(2), length=3),
             keras.ops.scan(lambda c, _: (c + 1, None), torch.ones(2), length=3)),
        ]:
            flat_ours, flat_theirs = kerasish.utils.tree.flatten(ours), kerasish.utils.tree.flatten(theirs)
            assert len(flat_ours) == len(flat_theirs)
            for r, e in zip(flat_ours, flat_theirs):
                assert r.dtype == e.dtype and r.shape == e.shape
                np.testing.assert_allclose(_numpy(r), _numpy(e), atol=1e-6)
