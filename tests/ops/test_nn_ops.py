"""nn ops: Keras 3's formulas, written out here in plain torch."""

import math

import numpy as np
import pytest
import torch

from kerasish import backend, ops


def test_gelu_defaults_to_the_tanh_approximation():
    x = torch.linspace(-3, 3, 13)
    tanh_form = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    torch.testing.assert_close(ops.gelu(x), tanh_form)
    torch.testing.assert_close(ops.gelu(x, approximate=False), 0.5 * x * (1 + torch.erf(x / math.sqrt(2))))


def test_softmax_over_several_axes_and_integer_inputs():
    x = torch.randn(2, 3, 4)
    joint = ops.softmax(x, axis=(1, 2))
    torch.testing.assert_close(joint.sum(dim=(1, 2)), torch.ones(2))
    assert ops.softmax(torch.tensor([1, 2, 3])).dtype == torch.float32


def test_one_hot_gives_zero_rows_for_out_of_range_indices():
    result = ops.one_hot(torch.tensor([0, 2, -1, 7]), 3)
    assert result.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    assert ops.one_hot(torch.tensor([[1]]), 2, axis=0).shape == (2, 1, 1)


def test_probability_cross_entropies_renormalize_and_clip():
    target = torch.tensor([[0.0, 1.0, 0.0]])
    output = torch.tensor([[0.2, 0.0, 0.6]])  # not normalized, and a zero on the target
    eps = backend.epsilon()
    expected = -math.log(eps)
    torch.testing.assert_close(ops.categorical_crossentropy(target, output), torch.tensor([expected]))
    torch.testing.assert_close(ops.sparse_categorical_crossentropy(torch.tensor([1]), output), torch.tensor([expected]))
    logits = torch.randn(4, 5)
    labels = torch.tensor([0, 3, 4, 1])
    torch.testing.assert_close(
        ops.sparse_categorical_crossentropy(labels, logits, from_logits=True),
        torch.nn.functional.cross_entropy(logits, labels, reduction="none"),
    )
    probs = torch.tensor([0.0, 1.0, 0.3])
    bce = ops.binary_crossentropy(torch.tensor([1.0, 1.0, 0.0]), probs)
    assert torch.isfinite(bce).all()
    torch.testing.assert_close(bce[2], torch.tensor(-math.log(0.7)))


def test_cross_entropies_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_crossentropy(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="up until the last dimension"):
        ops.sparse_categorical_crossentropy(torch.zeros(3, dtype=torch.long), torch.zeros(2, 4))


def test_dot_product_attention_matches_the_explicit_formula():
    q, k, v = (torch.randn(2, 4, 3, 5) for _ in range(3))
    mask = torch.rand(2, 3, 4, 4) > 0.3
    mask[..., 0] = True
    scores = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(5)
    scores = scores.masked_fill(~mask, -1e9)
    expected = torch.einsum("bhts,bshd->bthd", scores.softmax(-1), v)
    torch.testing.assert_close(ops.dot_product_attention(q, k, v, mask=mask), expected, atol=1e-5, rtol=1e-5)
    causal = ops.dot_product_attention(q, k, v, is_causal=True)
    first = torch.einsum("bhts,bshd->bthd", torch.ones(2, 3, 1, 1), v[:, :1])
    torch.testing.assert_close(causal[:, :1], first)
    with pytest.raises(ValueError, match="only supports 4D"):
        ops.dot_product_attention(q[0], k[0], v[0])


def test_moments_and_normalize():
    x = torch.randn(4, 6)
    mean, variance = ops.moments(x, axes=[0])
    torch.testing.assert_close(mean, x.mean(0))
    torch.testing.assert_close(variance, x.var(0, correction=0), atol=1e-6, rtol=1e-5)
    normalized = ops.normalize(x, axis=-1)
    torch.testing.assert_close(normalized.norm(dim=-1), torch.ones(4))
    np.testing.assert_allclose(ops.normalize(x, order=1).abs().sum(-1).numpy(), np.ones(4), rtol=1e-5)
