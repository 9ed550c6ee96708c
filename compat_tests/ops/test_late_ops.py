"""The ``keras.ops`` Keras 3 added late (argpartition, unique, cdist, stft/istft, CTC, fold/unfold,
rearrange, associative_scan, custom_gradient, jvp, vectorize) side by side with Keras 3 on its
torch backend: same values, same dtypes, eagerly and in functional models."""

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


RNG = np.random.default_rng(7)
INTS = RNG.integers(0, 9, (3, 7)).astype("int32")
WHOLE = RNG.integers(-20, 20, (4, 6)).astype("float32")
DUPS = np.array([3, 1, 2, 1, 3, 2, 7], "int32")
ROWS = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 2]], "int64")
FDUPS = np.array([0.5, -1.0, 0.5, 2.0, -1.0], "float32")
XA = RNG.standard_normal((4, 3)).astype("float32")
XB = RNG.standard_normal((5, 3)).astype("float32")
XBA = RNG.standard_normal((2, 4, 3)).astype("float64")
XBB = RNG.standard_normal((1, 5, 3)).astype("float64")
SIGNAL = RNG.standard_normal((2, 40)).astype("float32")
SIGNAL3 = RNG.standard_normal((2, 2, 33)).astype("float64")
SIGNAL1 = RNG.standard_normal((50,)).astype("float32")
WIN = np.hanning(10).astype("float32")
# Keras 3.15 passes unfold's input to torch unconverted: give it a tensor.
IMAGES = torch.tensor(RNG.standard_normal((2, 3, 6, 5)).astype("float32"))
BLOCKS = torch.tensor(RNG.standard_normal((2, 12, 20)).astype("float32"))
BLOCKS21 = torch.tensor(RNG.standard_normal((2, 12, 21)).astype("float32"))
LOGITS = RNG.standard_normal((3, 8, 5)).astype("float32")
LABELS = np.array([[1, 2, 2, 0], [3, 4, 0, 0], [1, 1, 1, 3]], "int32")
LABEL_LENGTHS = np.array([3, 2, 4], "int32")
LOGIT_LENGTHS = np.array([8, 6, 8], "int32")
BHWC = RNG.standard_normal((2, 4, 6, 3)).astype("float32")

CASES = [
    ("argpartition", (INTS, 3), {}),
    ("argpartition", (INTS, 0), {"axis": 0}),
    ("argpartition", (INTS, 5), {"axis": None}),
    ("argpartition", (WHOLE, 2), {}),
    ("argpartition", (WHOLE, 3), {"axis": 0}),
    ("unique", (DUPS,), {}),
    ("unique", (DUPS,), {"return_index": True, "return_inverse": True, "return_counts": True}),
    ("unique", (DUPS,), {"return_counts": True, "size": 6, "fill_value": -1}),
    ("unique", (DUPS,), {"return_index": True, "size": 6}),
    ("unique", (DUPS,), {"return_index": True, "return_counts": True, "size": 2}),
    ("unique", (ROWS,), {"axis": 0, "return_inverse": True}),
    ("unique", (ROWS,), {"axis": 1, "return_counts": True}),
    ("unique", (ROWS,), {"return_inverse": True}),
    ("unique", (FDUPS,), {"sorted": True, "return_index": True}),
    ("cdist", (XA, XB), {}),
    ("cdist", (XBA, XBB), {}),
    ("cdist", (INTS[:, :3], INTS[:2, :3]), {}),
    ("stft", (SIGNAL, 10, 4, 16), {}),
    ("stft", (SIGNAL, 16, 5, 16), {"window": "hamming", "center": False}),
    ("stft", (SIGNAL3, 8, 3, 8), {"window": None}),
    ("stft", (SIGNAL1, 10, 5, 12), {"window": WIN}),
    ("ctc_loss", (LABELS, LOGITS, LABEL_LENGTHS, LOGIT_LENGTHS), {}),
    ("ctc_loss", (LABELS, LOGITS, LABEL_LENGTHS, LOGIT_LENGTHS), {"mask_index": 4}),
    ("ctc_decode", (LOGITS, LOGIT_LENGTHS), {}),
    ("ctc_decode", (LOGITS, LOGIT_LENGTHS), {"merge_repeated": False, "mask_index": 2}),
    ("ctc_decode", (LOGITS.astype("float64"), LOGIT_LENGTHS), {"mask_index": None}),
    ("ctc_decode", (LOGITS[:1, :5], LOGIT_LENGTHS[:1] - 3), {"strategy": "beam_search"}),
    ("ctc_decode", (LOGITS, LOGIT_LENGTHS), {"strategy": "beam_search", "beam_width": 3, "top_paths": 3}),
    ("ctc_decode", (LOGITS[:2, :6], LOGIT_LENGTHS[:2] - 2), {"strategy": "beam_search", "beam_width": 4, "top_paths": 2,
                                                           "mask_index": None}),
    ("unfold", (IMAGES, 2), {}),
    ("unfold", (IMAGES, (3, 2)), {"dilation": (1, 2), "padding": 1, "stride": 2}),
    ("fold", (BLOCKS, (5, 6), 2), {}),
    ("fold", (BLOCKS21, 6, (2, 2)), {"stride": (1, 2), "padding": (1, 0)}),
    ("rearrange", (BHWC, "b h w c -> b c h w"), {}),
    ("rearrange", (BHWC, "b h w c -> (b h) w c"), {}),
    ("rearrange", (BHWC, "b (h1 h) (w1 w) c -> (b h1 w1) h w c"), {"h1": 2, "w1": 3}),
    ("rearrange", (BHWC, "b (h h1) (w w1) c -> b h w (c h1 w1)"), {"h1": 2, "w1": 2}),
]


def _as_list(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _describe(value):
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return f"{str(value.dtype).replace('torch.', '')}{list(value.shape)}"
    return repr(value)


def _ids(case):
    name, args, kwargs = case
    return f"{name}({','.join(_describe(a) for a in args)})-{','.join(f'{k}={_describe(v)}' for k, v in kwargs.items())}"


def _assert_same(received, expected, atol=1e-5):
    received, expected = _as_list(received), _as_list(expected)
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        assert isinstance(r, torch.Tensor)
        assert r.dtype == e.dtype, f"dtype {r.dtype} != Keras' {e.dtype}"
        assert tuple(r.shape) == tuple(e.shape)
        np.testing.assert_allclose(r.detach().numpy(), e.detach().cpu().numpy(), atol=atol, rtol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    _assert_same(getattr(kerasish.ops, name)(*args, **kwargs), getattr(keras.ops, name)(*args, **kwargs))


ISTFT_CASES = [
    ((SIGNAL, 16, 4, 16), {}),  # torch.istft's path
    ((SIGNAL, 16, 4, 16), {"length": 36}),
    ((SIGNAL, 10, 4, 16), {}),  # Keras' own overlap-add path
    ((SIGNAL, 10, 5, 16), {"window": "hamming", "center": False}),
    ((SIGNAL3, 8, 3, 8), {"window": None}),
    ((SIGNAL1, 10, 5, 12), {"window": WIN, "length": 45}),
]


@pytest.mark.parametrize("case", ISTFT_CASES, ids=[str(i) for i in range(len(ISTFT_CASES))])
def test_istft_of_keras_stft_matches_keras(case):
    import keras

    (x, length, stride, fft_length), kwargs = case
    window = kwargs.get("window", "hann")
    spectrum = keras.ops.stft(x, length, stride, fft_length, window=window, center=kwargs.get("center", True))
    spectrum = tuple(part.numpy() for part in spectrum)
    expected = keras.ops.istft(spectrum, length, stride, fft_length, **kwargs)
    _assert_same(kerasish.ops.istft(spectrum, length, stride, fft_length, **kwargs), expected)


def test_associative_scan_matches_keras_values():
    import keras

    elems = RNG.standard_normal((7, 3)).astype("float32")
    for reverse in (False, True):
        for axis in (0, 1, -1):
            expected = keras.ops.associative_scan(lambda a, b: a + b, elems, reverse=reverse, axis=axis)
            received = kerasish.ops.associative_scan(lambda a, b: a + b, elems, reverse=reverse, axis=axis)
            _assert_same(received, expected)
    pairs = (elems[:, 0], np.abs(elems[:, 1]) + 0.5)

    def affine(a, b):  # (x -> a1 x + a0) composed: associative but not commutative
        return (b[1] * a[0] + b[0], a[1] * b[1])

    expected = keras.ops.associative_scan(affine, pairs)
    received = kerasish.ops.associative_scan(affine, pairs)
    _assert_same(list(received), list(expected))


def test_associative_scan_keeps_integer_dtype_where_keras_gives_float32():
    """Keras 3.15's torch backend interleaves through float32 zeros; the values agree."""
    import keras

    ints = np.arange(9, dtype="int32")
    expected = keras.ops.associative_scan(lambda a, b: a + b, ints)
    received = kerasish.ops.associative_scan(lambda a, b: a + b, ints)
    assert expected.dtype == torch.float32 and received.dtype == torch.int32
    np.testing.assert_array_equal(received.numpy(), expected.numpy())


def test_jvp_matches_keras():
    import keras

    x = torch.tensor(RNG.standard_normal(4).astype("float32"))
    t = torch.ones(4)
    for has_aux in (False, True):
        def fun(v, has_aux=has_aux):
            out = torch.sin(v) * v
            return (out, v.sum()) if has_aux else out

        _assert_same(list(kerasish.ops.jvp(fun, (x,), (t,), has_aux=has_aux)),
                     list(keras.ops.jvp(fun, (x,), (t,), has_aux=has_aux)))


def test_custom_gradient_matches_keras():
    import keras

    def make(ops):
        @ops.custom_gradient
        def log1pexp(x):
            e = ops.exp(x)

            def grad(*args, upstream):
                return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

            return ops.log(1 + e), grad

        return log1pexp

    values = RNG.standard_normal(5).astype("float32") * 30
    results = []
    for ops in (keras.ops, kerasish.ops):
        x = torch.tensor(values, requires_grad=True)
        y = make(ops)(x)
        y.sum().backward()
        results.append((y.detach(), x.grad))
    _assert_same(list(results[1]), list(results[0]))


def test_vectorize_matches_keras():
    import keras

    a = RNG.standard_normal((3, 4, 2)).astype("float32")
    b = RNG.standard_normal((4, 2)).astype("float32")
    for ops in (keras.ops, kerasish.ops):
        assert callable(ops.vectorize(lambda x: x))

    def elementwise(x, y):
        return x * 2 + y

    matvec_sig = "(m,n),(n)->(m)"

    def matvec(m, v):
        return m @ v

    cases = [
        (elementwise, None, (a, b)),
        (elementwise, None, (a, b[:1])),
        (matvec, matvec_sig, (a, b[0])),
        (matvec, matvec_sig, (a[None], b[:3])),
    ]
    for fn, signature, args in cases:
        expected = keras.ops.vectorize(fn, signature=signature)(*args)
        received = kerasish.ops.vectorize(fn, signature=signature)(*args)
        _assert_same(received, expected)


SYMBOLIC = [
    ("argpartition", (3, 7), "int32", (2,), {}),
    ("unique", (7,), "int32", (), {"size": 4, "return_counts": True}),
    ("cdist", (4, 3), "float32", (), {}),
    ("stft", (2, 40), "float32", (10, 4, 16), {}),
    ("ctc_decode", (3, 8, 5), "float32", (), {}),
    ("ctc_decode", (3, 8, 5), "float32", (), {"strategy": "beam_search", "beam_width": 4, "top_paths": 2}),
    ("unfold", (2, 3, 6, 5), "float32", (2,), {"stride": 1}),
    ("fold", (2, 12, 20), "float32", ((5, 6), 2), {}),
    ("rearrange", (2, 4, 6, 3), "float32", ("b (h1 h) w c -> b h (h1 w c)",), {"h1": 2}),
]

EAGER_INPUTS = {
    "argpartition": INTS, "unique": DUPS, "cdist": [XA, XB], "stft": SIGNAL, "ctc_decode": [LOGITS, LOGIT_LENGTHS],
    "unfold": IMAGES, "fold": BLOCKS, "rearrange": BHWC,
}


@pytest.mark.parametrize("case", SYMBOLIC, ids=[c[0] + str(i) for i, c in enumerate(SYMBOLIC)])
def test_functional_model_with_op_matches_keras(case, tmp_path):
    """The op on KerasTensors: same symbolic shapes as Keras, same model outputs, and the
    `.keras` file round-trips through kerasish."""
    import keras

    name, shape, dtype, rest, kwargs = case
    outs = []
    for lib in (keras, kerasish):
        inputs = lib.Input(batch_shape=shape, dtype=dtype)
        if name == "cdist":
            inputs = [inputs, lib.Input(batch_shape=(5, 3))]
            outputs = lib.ops.cdist(*inputs)
        elif name == "ctc_decode":
            inputs = [inputs, lib.Input(batch_shape=(3,), dtype="int32")]
            outputs = lib.ops.ctc_decode(*inputs, **kwargs)
        else:
            outputs = getattr(lib.ops, name)(inputs, *rest, **kwargs)
        outs.append((lib.Model(inputs, outputs), outputs))
    (keras_model, keras_out), (model, out) = outs
    assert [tuple(t.shape) for t in _as_list(out)] == [tuple(t.shape) for t in _as_list(keras_out)]
    x = EAGER_INPUTS[name]
    expected = keras_model(x)
    _assert_same(model(x), expected)
    path = tmp_path / "op.keras"
    model.save(path)
    _assert_same(kerasish.models.load_model(path)(x), expected)


def test_unique_without_size_has_an_unknown_length_as_in_keras():
    import keras

    for lib in (keras, kerasish):
        inputs = lib.Input((5,), dtype="int32")
        values, inverse, counts = lib.ops.unique(inputs, return_inverse=True, return_counts=True)
        assert tuple(values.shape) == (None,) and tuple(counts.shape) == (None,)
        assert tuple(inverse.shape) == (None, 5)
    model = kerasish.Model(inputs, [values, counts])
    got_values, got_counts = model(np.array([[4, 4, 1, 9, 1]], "int32"))
    np.testing.assert_array_equal(got_values.numpy(), [1, 4, 9])
    np.testing.assert_array_equal(got_counts.numpy(), [2, 2, 1])
