"""kerasish.ops' nn_extra ops against NumPy references, where kerasish follows TF/Keras-main
semantics that Keras 3.15's torch backend misses, and for their own error paths."""

import numpy as np
import pytest
import torch

from kerasish import ops

RNG = np.random.default_rng(9)
X2 = RNG.standard_normal((2, 7, 6, 3)).astype("float32")


def _tf_same_average_pool_2d(x, pool, strides):
    """Channels-last "same" average pooling that averages only the real cells, as TF does."""
    n, h, w, c = x.shape
    out_h, out_w = -(-h // strides[0]), -(-w // strides[1])
    pad_h = max((out_h - 1) * strides[0] + pool[0] - h, 0) // 2
    pad_w = max((out_w - 1) * strides[1] + pool[1] - w, 0) // 2
    out = np.zeros((n, out_h, out_w, c), "float32")
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * strides[0] - pad_h, j * strides[1] - pad_w
            window = x[:, max(top, 0): top + pool[0], max(left, 0): left + pool[1]]
            out[:, i, j] = window.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("pool, strides", [((3, 2), (2, 1)), ((2, 2), (2, 2)), ((3, 3), (1, 1)), ((2, 3), (3, 2))])
def test_same_average_pool_averages_only_real_cells(pool, strides):
    received = ops.average_pool(X2, pool, strides, padding="same").numpy()
    np.testing.assert_allclose(received, _tf_same_average_pool_2d(X2, pool, strides), atol=1e-6)


def test_same_max_pool_of_integers_pads_with_the_minimum():
    x = -np.arange(10, dtype="int32").reshape(1, 10, 1)
    received = ops.max_pool(x, 3, 2, padding="same")
    assert received.dtype == torch.int32
    np.testing.assert_array_equal(received.numpy().ravel(), [0, -2, -4, -6, -8])


def test_layer_normalization_over_a_middle_axis_matches_numpy():
    gamma = RNG.random(7).astype("float32")
    received = ops.layer_normalization(X2, gamma=gamma, axis=1, epsilon=1e-3).numpy()
    mean, var = X2.mean(axis=1, keepdims=True), X2.var(axis=1, keepdims=True)
    expected = (X2 - mean) / np.sqrt(var + 1e-3) * gamma.reshape(1, 7, 1, 1)
    np.testing.assert_allclose(received, expected, atol=1e-5)


def test_layer_normalization_rms_scaling_is_not_implemented():
    with pytest.raises(NotImplementedError, match="rms_scaling"):
        ops.layer_normalization(X2, rms_scaling=True)


def test_grouped_conv_is_per_group():
    x = RNG.standard_normal((1, 5, 4)).astype("float32")
    kernel = RNG.standard_normal((3, 2, 6)).astype("float32")  # 2 groups of 2 channels -> 3 each
    received = ops.conv(x, kernel).numpy()
    halves = [ops.conv(x[..., 2 * g: 2 * g + 2], kernel[..., 3 * g: 3 * g + 3]).numpy() for g in range(2)]
    np.testing.assert_allclose(received, np.concatenate(halves, axis=-1), atol=1e-5)
    with pytest.raises(ValueError, match="divisible"):
        ops.conv(x, RNG.standard_normal((3, 3, 6)).astype("float32"))


def test_conv_rejects_unknown_padding():
    with pytest.raises(ValueError, match="padding"):
        ops.conv(X2, np.ones((1, 1, 3, 2), "float32"), padding="causal")


def test_sparsemax_uses_keras_threshold():
    """One logit in the support gives a one-hot row; a support of three uses Keras' threshold
    (sum of cumulative sums - 1) / 3 = (0.6 - 1) / 3, not the paper's (0.3 - 1) / 3."""
    out = ops.sparsemax(np.array([[2.0, 1.0, -1.0], [0.1, 0.1, 0.1]], "float32"))
    np.testing.assert_allclose(out[0].numpy(), [1.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[1].numpy(), [0.1 + 0.4 / 3] * 3, atol=1e-6)


def test_multi_hot_takes_keras_2_num_tokens_and_requires_a_count():
    out = ops.multi_hot(np.array([[0, 2]]), num_tokens=3)
    np.testing.assert_array_equal(out.numpy(), [[1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="num_classes"):
        ops.multi_hot(np.array([0]))


def test_psnr_rejects_different_shapes():
    with pytest.raises(ValueError, match="must match"):
        ops.psnr(np.ones((2, 2)), np.ones((2, 3)), 1.0)
