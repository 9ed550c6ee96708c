"""TensorFlow functions named by tf.keras TFOpLambda configs: TensorFlow's semantics."""

import torch

from kerasish.ops.dispatch import lookup_symbol
from kerasish.ops.op_layer import SlicingOpLambda


def test_tf_defaults_differ_from_keras_ops():
    x = torch.tensor([[1.0, 5.0], [7.0, 2.0]])
    argmax = lookup_symbol("math.argmax")(x)
    assert argmax.tolist() == [1, 0] and argmax.dtype == torch.int64  # axis 0, int64
    torch.testing.assert_close(lookup_symbol("nn.softmax")(x), torch.softmax(x, -1))
    torch.testing.assert_close(lookup_symbol("math.reduce_sum")(x, axis=[0, 1]), torch.tensor(15.0))
    assert lookup_symbol("math.reduce_mean")(x, axis=1, keepdims=True).shape == (2, 1)


def test_tf_structure_functions():
    a, b = torch.ones(2, 3), torch.zeros(2, 1)
    assert lookup_symbol("concat")([a, b], axis=-1, name="concat").shape == (2, 4)
    assert lookup_symbol("expand_dims")(a, axis=1).shape == (2, 1, 3)
    assert lookup_symbol("reshape")(a, shape=[-1]).shape == (6,)
    assert lookup_symbol("transpose")(a).shape == (3, 2)
    assert lookup_symbol("split")(torch.arange(6), 3)[1].tolist() == [2, 3]
    sliced = SlicingOpLambda("__operators__.getitem")(a, [{"start": None, "stop": None, "step": None}, 0])
    torch.testing.assert_close(sliced, a[:, 0])
    torch.testing.assert_close(lookup_symbol("__operators__.getitem")(a, [slice(None), 0]), a[:, 0])
    values, indices = lookup_symbol("math.top_k")(torch.tensor([3.0, 1.0, 2.0]), k=2)
    assert values.tolist() == [3.0, 2.0] and indices.dtype == torch.int32
    one_hot = lookup_symbol("one_hot")(torch.tensor([1, 0]), depth=2, on_value=5.0, off_value=-1.0)
    assert one_hot.tolist() == [[-1.0, 5.0], [5.0, -1.0]]


def test_tf_math_functions():
    x = torch.tensor([[3.0, 4.0]])
    torch.testing.assert_close(lookup_symbol("math.l2_normalize")(x, axis=-1), torch.tensor([[0.6, 0.8]]))
    torch.testing.assert_close(lookup_symbol("math.squared_difference")(x, 1.0), torch.tensor([[4.0, 9.0]]))
    torch.testing.assert_close(lookup_symbol("clip_by_value")(x, 0.0, 3.5), torch.tensor([[3.0, 3.5]]))
    torch.testing.assert_close(
        lookup_symbol("math.cumsum")(torch.tensor([1.0, 2.0, 3.0]), exclusive=True, reverse=True),
        torch.tensor([5.0, 3.0, 0.0]),
    )
    torch.testing.assert_close(lookup_symbol("linalg.matmul")(x, x, transpose_b=True), torch.tensor([[25.0]]))
    torch.testing.assert_close(lookup_symbol("nn.bias_add")(torch.zeros(1, 2, 3), torch.tensor([1.0, 2.0]), data_format="NCW"), torch.tensor([[[1.0] * 3, [2.0] * 3]]))
