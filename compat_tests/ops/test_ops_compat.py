"""kerasish.ops side by side with keras.ops (Keras 3, torch backend): same inputs, same values
and dtypes; and functional models built from ops and Python operators on KerasTensors."""

import numpy as np
import pytest
import torch

import kerasish


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """conftest's fixture without Keras' per-test ``gc.collect()`` (0.4 s each)."""
    import keras

    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield

RNG = np.random.default_rng(7)
F32 = RNG.standard_normal((2, 3, 4)).astype("float32")
G32 = RNG.standard_normal((2, 3, 4)).astype("float32")
POS = (RNG.random((2, 3, 4)) + 0.1).astype("float32")
I32 = RNG.integers(-5, 6, (2, 3, 4)).astype("int32")
J32 = RNG.integers(1, 6, (2, 3, 4)).astype("int32")
B = RNG.random((2, 3, 4)) > 0.5
M34 = RNG.standard_normal((4, 5)).astype("float32")
PROBS = np.abs(RNG.standard_normal((3, 5))).astype("float32")
ONE_HOT = np.eye(5, dtype="float32")[[0, 3, 4]]
UNIT = (RNG.random((2, 3, 4)) * 1.8 - 0.9).astype("float32")

# (op name, positional args, keyword args)
CASES = [
    ("add", (F32, G32), {}),
    ("add", (I32, 2), {}),
    ("add", (I32, 1.5), {}),
    ("add", (F32, 2), {}),
    ("subtract", (F32, G32), {}),
    ("multiply", (F32, 3.0), {}),
    ("multiply", (B, B), {}),
    ("divide", (F32, POS), {}),
    ("divide", (I32, J32), {}),
    ("true_divide", (I32, 2), {}),
    ("floor_divide", (I32, J32), {}),
    ("floor_divide", (F32, 0.5), {}),
    ("mod", (I32, J32), {}),
    ("power", (POS, G32), {}),
    ("power", (I32, 2), {}),
    ("negative", (I32,), {}),
    ("abs", (F32,), {}),
    ("absolute", (I32,), {}),
    ("sign", (F32,), {}),
    ("square", (F32,), {}),
    ("square", (I32,), {}),
    ("sqrt", (POS,), {}),
    ("sqrt", (J32,), {}),
    ("exp", (F32,), {}),
    ("exp", (I32,), {}),
    ("expm1", (F32,), {}),
    ("log", (POS,), {}),
    ("log1p", (POS,), {}),
    ("log2", (POS,), {}),
    ("log10", (POS,), {}),
    ("reciprocal", (POS,), {}),
    ("sin", (F32,), {}),
    ("cos", (F32,), {}),
    ("tan", (UNIT,), {}),
    ("tanh", (F32,), {}),
    ("arcsin", (UNIT,), {}),
    ("arctan", (F32,), {}),
    ("arctan2", (F32, G32), {}),
    ("sinh", (F32,), {}),
    ("arctanh", (UNIT,), {}),
    ("floor", (F32,), {}),
    ("ceil", (F32,), {}),
    ("round", (F32 * 10,), {}),
    ("round", (F32 * 10,), {"decimals": 1}),
    ("maximum", (F32, G32), {}),
    ("minimum", (F32, 0.0), {}),
    ("maximum", (I32, 1.5), {}),
    ("clip", (F32, -0.5, 0.5), {}),
    ("clip", (I32, 0, 3), {}),
    ("clip", (I32, 0.5, 3.0), {}),
    ("equal", (I32, J32), {}),
    ("not_equal", (F32, G32), {}),
    ("greater", (F32, G32), {}),
    ("greater_equal", (I32, 0), {}),
    ("less", (F32, 0.0), {}),
    ("less_equal", (F32, G32), {}),
    ("logical_and", (B, F32 > 0), {}),
    ("logical_or", (B, F32 > 0), {}),
    ("logical_xor", (B, F32 > 0), {}),
    ("logical_not", (B,), {}),
    ("isnan", (F32,), {}),
    ("isfinite", (F32,), {}),
    ("where", (B, F32, G32), {}),
    ("where", (B, 1, 0), {}),
    ("where", (B, F32, 0.0), {}),
    ("matmul", (F32, M34), {}),
    ("matmul", (F32[0], F32[1].T), {}),
    ("dot", (F32, M34), {}),
    ("dot", (M34[0], M34[0]), {}),
    ("tensordot", (F32, M34), {"axes": 1}),
    ("tensordot", (F32, F32), {"axes": [[1, 2], [1, 2]]}),
    ("outer", (M34[0], M34[1]), {}),
    ("sum", (F32,), {}),
    ("sum", (F32,), {"axis": 1}),
    ("sum", (F32,), {"axis": (0, 2), "keepdims": True}),
    ("sum", (I32,), {"axis": -1}),
    ("sum", (B,), {}),
    ("mean", (F32,), {"axis": -1}),
    ("mean", (I32,), {"axis": [0, 1]}),
    ("max", (F32,), {"axis": 1}),
    ("max", (I32,), {}),
    ("min", (F32,), {"axis": 2, "keepdims": True}),
    ("min", (F32,), {"axis": 1, "initial": -0.5}),
    ("amax", (F32,), {"axis": 0}),
    ("amin", (F32,), {}),
    ("prod", (POS,), {"axis": 1}),
    ("prod", (J32,), {"axis": (1, 2)}),
    ("std", (F32,), {"axis": 1}),
    ("var", (F32,), {}),
    ("any", (B,), {"axis": 1}),
    ("all", (B,), {}),
    ("argmax", (F32,), {}),
    ("argmax", (F32,), {"axis": 1}),
    ("argmin", (F32,), {"axis": -1, "keepdims": True}),
    ("argsort", (F32,), {}),
    ("argsort", (F32,), {"axis": 1}),
    ("sort", (F32,), {"axis": 0}),
    ("cumsum", (F32,), {"axis": 1}),
    ("cumsum", (I32,), {}),
    ("cumprod", (POS,), {"axis": -1}),
    ("count_nonzero", (I32,), {}),  # with `axis`, Keras 3's torch backend transposes (a bug)
    ("logsumexp", (F32,), {"axis": -1}),
    ("logsumexp", (F32,), {}),
    ("top_k", (F32, 2), {}),
    ("erf", (F32,), {}),
    ("erfinv", (UNIT,), {}),
    ("rsqrt", (POS,), {}),
    ("reshape", (F32, (2, 12)), {}),
    ("reshape", (F32, (-1, 4)), {}),
    ("transpose", (F32,), {}),
    ("transpose", (F32, (0, 2, 1)), {}),
    ("expand_dims", (F32, 1), {}),
    ("expand_dims", (F32, -1), {}),
    ("squeeze", (F32[:, :1],), {}),
    ("squeeze", (F32[:, :1],), {"axis": 1}),
    ("swapaxes", (F32, 0, 2), {}),
    ("moveaxis", (F32, 0, -1), {}),
    ("flip", (F32,), {"axis": 1}),
    ("roll", (F32, 2), {"axis": -1}),
    ("roll", (F32, 1), {}),
    ("tile", (F32, (1, 2, 1)), {}),
    ("tile", (F32, 2), {}),
    ("repeat", (F32, 2), {"axis": 1}),
    ("repeat", (F32, 2), {}),
    ("broadcast_to", (M34[0], (3, 5)), {}),
    ("ravel", (F32,), {}),
    ("take", (F32, np.array([2, 0])), {"axis": 1}),
    ("take", (F32, np.array([[1, 5], [23, 0]])), {}),
    ("take_along_axis", (F32, np.argsort(F32, axis=-1)), {"axis": -1}),
    ("concatenate", ([F32, G32],), {"axis": 1}),
    ("concatenate", ([F32, G32],), {}),
    ("concatenate", ([I32, F32],), {"axis": -1}),
    ("stack", ([F32, G32],), {"axis": 1}),
    ("split", (F32, 2), {"axis": 2}),
    ("split", (F32, [1, 3]), {"axis": -1}),
    ("unstack", (torch.from_numpy(F32),), {"axis": 1}),
    ("pad", (F32, ((0, 0), (1, 2), (0, 1))), {}),
    ("pad", (F32, ((1, 0), (0, 0), (2, 1))), {"constant_values": 2.0}),
    ("pad", (F32, ((0, 0), (1, 1), (2, 2))), {"mode": "reflect"}),
    ("tril", (M34,), {}),
    ("triu", (M34,), {"k": 1}),
    ("diagonal", (F32,), {"axis1": 1, "axis2": 2}),
    ("trace", (M34,), {}),
    ("diag", (M34[0],), {}),
    ("ones_like", (F32,), {}),
    ("zeros_like", (I32,), {"dtype": "float32"}),
    ("full_like", (F32, 3), {}),
    ("cast", (F32, "int32"), {}),
    ("cast", (I32, "float16"), {}),
    ("convert_to_tensor", ([1, 2, 3],), {}),
    ("convert_to_tensor", ([1.0, 2.0],), {}),
    ("convert_to_tensor", (3,), {}),
    ("stop_gradient", (torch.from_numpy(F32),), {}),
    ("slice", (F32, (0, 1, 1), (2, 2, 2)), {}),
    ("slice_update", (F32, (0, 1, 1), np.ones((1, 1, 2), "float32")), {}),
    ("scatter", (np.array([[0, 1], [1, 2], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"), (2, 3)), {}),
    ("scatter_update", (M34, np.array([[0, 1], [2, 2]]), np.array([7.0, 8.0], "float32")), {}),
    ("relu", (F32,), {}),
    ("relu", (I32,), {}),
    ("relu6", (F32 * 5,), {}),
    ("sigmoid", (F32,), {}),
    ("softmax", (F32,), {}),
    ("softmax", (F32,), {"axis": 1}),
    ("softmax", (F32,), {"axis": (1, 2)}),
    ("log_softmax", (F32,), {"axis": 0}),
    ("gelu", (F32,), {}),
    ("gelu", (F32,), {"approximate": False}),
    ("silu", (F32,), {}),
    ("swish", (F32,), {}),
    ("elu", (F32,), {"alpha": 0.5}),
    ("selu", (F32,), {}),
    ("celu", (F32,), {}),
    ("softplus", (F32,), {}),
    ("softsign", (F32,), {}),
    ("leaky_relu", (F32,), {}),
    ("leaky_relu", (F32,), {"negative_slope": 0.1}),
    ("hard_sigmoid", (F32 * 4,), {}),
    ("hard_silu", (F32 * 4,), {}),
    ("hard_swish", (F32 * 4,), {}),
    ("log_sigmoid", (F32,), {}),
    ("glu", (F32,), {}),
    ("one_hot", (np.array([0, 2, 1, -1]), 3), {}),
    ("one_hot", (np.array([[0, 2], [1, 1]]), 3), {"axis": 0, "dtype": "int32"}),
    ("binary_crossentropy", ((POS > 0.5).astype("float32"), POS / 1.2), {}),
    ("binary_crossentropy", ((F32 > 0).astype("float32"), G32), {"from_logits": True}),
    ("categorical_crossentropy", (ONE_HOT, PROBS), {}),
    ("categorical_crossentropy", (ONE_HOT, PROBS - 1), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (np.array([0, 3, 4]), PROBS), {}),
    ("sparse_categorical_crossentropy", (np.array([[0], [3], [4]]), PROBS - 1), {"from_logits": True}),
    ("moments", (F32, (0, 1)), {}),
    ("moments", (F32, [2]), {"keepdims": True}),
    ("normalize", (F32,), {}),
    ("normalize", (F32,), {"axis": 1, "order": 1}),
    ("arange", (5,), {}),
    ("arange", (1.0, 4.0, 0.5), {}),
    ("arange", (2, 9, 3), {"dtype": "float32"}),
    ("ones", ((2, 3),), {}),
    ("zeros", ((3,),), {"dtype": "int32"}),
    ("full", ((2, 2), 7), {}),
    ("full", ((2, 2), 0.5), {"dtype": "float32"}),
    ("eye", (3,), {}),
    ("eye", (3, 4), {"k": 1}),
    ("identity", (3,), {}),
    ("linspace", (0.0, 1.0, 5), {}),
    ("linspace", (0, 10, 4), {"endpoint": False}),
]


def _as_numpy_list(value):
    if isinstance(value, (list, tuple)):
        return [np.asarray(v.cpu().detach() if isinstance(v, torch.Tensor) else v) for v in value]
    if isinstance(value, torch.Tensor):
        return [value.detach().cpu().numpy()]
    return [np.asarray(value)]


def _ids(case):
    name, args, kwargs = case
    return f"{name}-{','.join(f'{k}={v}' for k, v in kwargs.items())}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    expected = _as_numpy_list(getattr(keras.ops, name)(*args, **kwargs))
    received = _as_numpy_list(getattr(kerasish.ops, name)(*args, **kwargs))
    assert len(received) == len(expected)
    for r, e in zip(received, expected):
        assert r.dtype == e.dtype, f"{name}: dtype {r.dtype} != Keras' {e.dtype}"
        assert r.shape == e.shape, f"{name}: shape {r.shape} != Keras' {e.shape}"
        np.testing.assert_allclose(r, e, atol=1e-5, rtol=1e-5)


def test_einsum_and_dot_product_attention_match_keras():
    import keras

    np.testing.assert_allclose(
        kerasish.ops.einsum("bij,jk->bik", F32, M34).numpy(),
        keras.ops.convert_to_numpy(keras.ops.einsum("bij,jk->bik", F32, M34)),
        atol=1e-5,
    )
    q, k, v = (RNG.standard_normal((2, 5, 3, 4)).astype("float32") for _ in range(3))
    mask = RNG.random((2, 3, 5, 5)) > 0.3
    for kwargs in ({}, {"is_causal": True}, {"mask": mask}, {"mask": mask, "is_causal": True}, {"scale": 0.3}):
        expected = keras.ops.convert_to_numpy(keras.ops.dot_product_attention(q, k, v, **kwargs))
        received = kerasish.ops.dot_product_attention(q, k, v, **kwargs).numpy()
        np.testing.assert_allclose(received, expected, atol=1e-5)


def _ops_model(lib):
    ops = lib.ops
    a = lib.Input((3, 4))
    b = lib.Input((3, 4))
    x = lib.layers.Dense(4)(a)
    y = (x + b) * 2.0 - 1.0
    y = -y / 3.0 + x ** 2
    y = ops.concatenate([y, ops.abs(b)], axis=-1)
    y = ops.sum(y, axis=1, keepdims=True) + ops.mean(y, axis=1, keepdims=True)
    y = ops.softmax(y[:, 0, 1:7]) * ops.max(x, axis=(1, 2))[:, None]
    z = 1.0 - ops.tanh(y @ ops.ones((6, 2)))
    z = ops.where(z > 0.5, z, ops.zeros_like(z))
    return lib.Model([a, b], [y, ops.reshape(z, (-1, 1, 2))])


def test_functional_model_of_ops_and_operators_matches_keras():
    import keras

    reference, ours = _ops_model(keras), _ops_model(kerasish)
    ours.set_weights(reference.get_weights())
    assert [tuple(s) for s in ours.output_shape] == [tuple(s) for s in reference.output_shape]
    inputs = [F32, G32]
    expected = reference.predict(inputs, verbose=0)
    received = ours.predict(inputs, verbose=0)
    for r, e in zip(received, expected):
        np.testing.assert_allclose(r, e, atol=1e-5, rtol=0)
    # The saved config rebuilds the same computation.
    rebuilt = kerasish.Model.from_config(ours.get_config())
    rebuilt.set_weights(ours.get_weights())
    for r, e in zip(rebuilt.predict(inputs, verbose=0), expected):
        np.testing.assert_allclose(r, e, atol=1e-5, rtol=0)


def _lambda_model(lib, K):
    inp = lib.Input((3, 4))
    x = lib.layers.Dense(5)(inp)
    summed = lib.layers.Lambda(lambda t: K.sum(t, axis=1))(x)
    normed = lib.layers.Lambda(lambda t: t / K.sqrt(K.sum(K.square(t), axis=-1, keepdims=True)))(summed)
    scaled = lib.layers.Lambda(lambda t, factor: t * factor, arguments={"factor": 3.0})(normed)
    pair = lib.layers.Lambda(lambda ts: K.concatenate([ts[0], ts[1]], axis=-1), output_shape=(10,))(
        [scaled, summed]
    )
    return lib.Model(inp, pair)


def test_lambda_model_matches_keras():
    import keras

    reference = _lambda_model(keras, keras.ops)
    ours = _lambda_model(kerasish, kerasish.backend)
    ours.set_weights(reference.get_weights())
    assert tuple(ours.output_shape) == tuple(reference.output_shape)
    np.testing.assert_allclose(
        ours.predict(F32, verbose=0), reference.predict(F32, verbose=0), atol=1e-5, rtol=0
    )


def test_reads_keras3_configs_with_operations():
    """A Keras 3 functional config records ops as nodes; kerasish rebuilds and runs them."""
    import keras

    ops = keras.ops
    a, b = keras.Input((3, 4)), keras.Input((3, 4))
    h = keras.layers.Dense(4)(a)
    y = ops.einsum("bij,bkj->bik", h, b) * 0.5 - 1.0
    y = ops.clip(ops.expand_dims(y, -1), -1.0, 1.0)[:, 1:, ..., 0]
    y = ops.concatenate([ops.softmax(y, axis=-1), ops.abs(y)], axis=-1)
    picked = ops.one_hot(ops.argmax(y, axis=-1), 6)
    values, _ = ops.top_k(h, 2)
    reference = keras.Model([a, b], [y, picked, ops.mean(values, axis=1), ops.logical_not(a > 0)])
    ours = kerasish.Model.from_config(reference.get_config())
    ours.set_weights(reference.get_weights())
    inputs = [F32, G32]
    for r, e in zip(ours.predict(inputs, verbose=0), reference.predict(inputs, verbose=0)):
        np.testing.assert_allclose(np.asarray(r, dtype="float32"), np.asarray(e, dtype="float32"), atol=1e-5)
