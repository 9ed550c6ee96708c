"""``keras.ops`` nn additions (nn_extra) side by side with Keras 3 on its torch backend:
activations, sparsemax, PSNR, multi-hot, functional convolutions and pooling in both data
formats with "valid" and "same" padding, and batch/layer normalization."""

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


RNG = np.random.default_rng(5)
F = (RNG.standard_normal((2, 3, 4)) * 1.5).astype("float32")
G = RNG.standard_normal((2, 3, 4)).astype("float32")
H = F.astype("float16")
D = F.astype("float64")
X1 = RNG.standard_normal((2, 7, 3)).astype("float32")
X2 = RNG.standard_normal((2, 7, 6, 4)).astype("float32")
X3 = RNG.standard_normal((1, 5, 4, 6, 2)).astype("float32")
K1 = RNG.standard_normal((3, 3, 5)).astype("float32")
K2 = RNG.standard_normal((3, 2, 4, 5)).astype("float32")
K2G = RNG.standard_normal((3, 3, 2, 6)).astype("float32")
K3 = RNG.standard_normal((2, 3, 2, 2, 3)).astype("float32")
DW2 = RNG.standard_normal((3, 3, 4, 2)).astype("float32")
PW2 = RNG.standard_normal((1, 1, 8, 5)).astype("float32")
KT2 = RNG.standard_normal((3, 3, 5, 4)).astype("float32")
KT1 = RNG.standard_normal((4, 2, 3)).astype("float32")
IDS = np.array([[0, 2, 2], [1, 3, 0]], "int32")
MEAN4 = RNG.standard_normal((4,)).astype("float32")
VAR4 = RNG.random((4,)).astype("float32") + 0.5

CASES = [
    *[(name, (x,), {}) for name in ("hard_tanh", "tanh_shrink", "hard_shrink", "soft_shrink",
                                    "squareplus", "sparse_plus", "sparse_sigmoid", "sparsemax")
      for x in (F, H, D)],
    ("hard_shrink", (F,), {"threshold": 1.0}),
    ("soft_shrink", (F,), {"threshold": 0.2}),
    ("threshold", (F, 0.3, -2.0), {}),
    ("threshold", (D, 0.0, 5.0), {}),
    ("squareplus", (F,), {"b": 1}),
    ("sparsemax", (F,), {"axis": 1}),
    ("psnr", (F, G, 1.0), {}),
    ("psnr", (D, D * 0.9, 2.0), {}),
    ("multi_hot", (IDS,), {"num_classes": 5}),
    ("multi_hot", (IDS[0],), {"num_classes": 4, "dtype": "int32"}),
    ("multi_hot", (IDS,), {"num_classes": 4, "axis": 0}),
    ("batch_normalization", (X2, MEAN4, VAR4, -1), {}),
    ("batch_normalization", (X2, MEAN4, VAR4, 3), {"offset": MEAN4 * 2, "scale": VAR4, "epsilon": 0.1}),
    ("batch_normalization", (np.moveaxis(X2, -1, 1), MEAN4, VAR4, 1), {"scale": VAR4}),
    ("layer_normalization", (X2,), {}),
    ("layer_normalization", (X2,), {"gamma": VAR4, "beta": MEAN4, "epsilon": 1e-5}),
    ("layer_normalization", (X2,), {"axis": (2, 3)}),
    ("layer_normalization", (X2,), {"axis": (-2, -1), "gamma": RNG.random((6, 4)).astype("float32")}),
    ("layer_normalization", (X2.astype("float16"),), {}),
]
for padding in ("valid", "same"):
    CASES += [
        ("max_pool", (X1, 2), {"padding": padding}),
        ("max_pool", (X1, 3), {"strides": 2, "padding": padding}),
        ("max_pool", (X2, (2, 3)), {"strides": (1, 2), "padding": padding}),
        ("max_pool", (X2, 2), {"padding": padding, "data_format": "channels_first"}),
        ("max_pool", (X3, 2), {"strides": 1, "padding": padding}),
        ("average_pool", (X1, 2), {"padding": padding}),
        ("average_pool", (X1, 3), {"strides": 2, "padding": padding}),
        # Keras 3.15.1 counts the padding of some asymmetric "same" windows (fixed upstream):
        # kerasish averages over the real cells only, as TF does; see tests/ops/test_nn_extra_ops.py.
        ("average_pool", (X2, (3, 2)), {"strides": (2, 1), "padding": "valid"}),
        ("average_pool", (X2, 3), {"strides": 1, "padding": padding}),
        ("average_pool", (X2, 2), {"padding": padding, "data_format": "channels_first"}),
        ("average_pool", (X3, (2, 2, 3)), {"padding": padding}),
        ("conv", (X1, K1), {"padding": padding}),
        ("conv", (X1, K1), {"strides": 2, "padding": padding}),
        ("conv", (X1, K1), {"dilation_rate": 2, "padding": padding}),
        ("conv", (X2, K2), {"padding": padding}),
        ("conv", (X2, K2), {"strides": (2, 3), "padding": padding}),
        ("conv", (X2, K2G), {"padding": padding}),
        ("conv", (np.moveaxis(X2, -1, 1), K2), {"padding": padding, "data_format": "channels_first"}),
        ("conv", (X3, K3), {"strides": 2, "padding": padding}),
        ("depthwise_conv", (X2, DW2), {"padding": padding}),
        ("depthwise_conv", (X2, DW2), {"strides": 2, "padding": padding}),
        ("depthwise_conv", (X2, DW2), {"dilation_rate": 2, "padding": padding}),
        ("separable_conv", (X2, DW2, PW2), {"padding": padding}),
        ("separable_conv", (X2, DW2, PW2), {"strides": (1, 2), "padding": padding}),
        ("conv_transpose", (X2, KT2), {"padding": padding}),
        ("conv_transpose", (X2, KT2), {"strides": 2, "padding": padding}),
        ("conv_transpose", (X2, KT2), {"strides": (2, 3), "padding": padding, "output_padding": 1}),
        ("conv_transpose", (X2, KT2), {"strides": 2, "dilation_rate": 1, "padding": padding,
                                       "output_padding": (0, 1)}),
        ("conv_transpose", (X1, KT1), {"strides": 3, "padding": padding}),
        ("conv_transpose", (np.moveaxis(X2, -1, 1), KT2), {"strides": 2, "padding": padding,
                                                          "data_format": "channels_first"}),
    ]


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype}{list(value.shape)}"
    return repr(value)


def _ids(case):
    name, args, kwargs = case
    return f"{name}({','.join(_describe(a) for a in args)})-{','.join(f'{k}={_describe(v)}' for k, v in kwargs.items())}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(case):
    import keras

    name, args, kwargs = case
    expected = getattr(keras.ops, name)(*args, **kwargs)
    received = getattr(kerasish.ops, name)(*args, **kwargs)
    assert isinstance(received, torch.Tensor)
    assert received.dtype == expected.dtype, f"{name}: dtype {received.dtype} != Keras' {expected.dtype}"
    assert tuple(received.shape) == tuple(expected.shape)
    tolerance = 2e-3 if received.dtype == torch.float16 else 1e-4
    np.testing.assert_allclose(received.detach().cpu().numpy(), expected.detach().cpu().numpy(),
                               atol=tolerance, rtol=tolerance)


def test_functional_conv_model_matches_keras():
    import keras

    def build(lib):
        inputs = lib.Input((7, 6, 4))
        y = lib.ops.conv(inputs, K2, padding="same")
        y = lib.ops.max_pool(lib.ops.hard_tanh(y), 2, padding="same")
        return lib.Model(inputs, lib.ops.layer_normalization(y))

    np.testing.assert_allclose(build(kerasish)(X2).detach().numpy(), build(keras)(X2).detach().numpy(),
                               atol=1e-5)
