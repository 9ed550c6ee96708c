"""kerasish.ops.rearrange without real Keras."""

import pytest
import torch

import kerasish
from kerasish import ops


def test_rearrange_permutes_merges_and_splits():
    x = torch.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3)
    assert torch.equal(ops.rearrange(x, "b h w c -> b c h w"), x.permute(0, 3, 1, 2))
    assert torch.equal(ops.rearrange(x, "b h w c -> (b h) w c"), x.reshape(8, 6, 3))
    patches = ops.rearrange(x, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=3)
    assert patches.shape == (12, 2, 2, 3)
    assert torch.equal(patches[1], x[0, 0:2, 2:4])  # h1=0, w1=1
    back = ops.rearrange(patches, "(b h1 w1) h w c -> b (h1 h) (w1 w) c", b=2, h1=2)
    assert torch.equal(back, x)


def test_rearrange_errors_name_the_pattern():
    x = torch.zeros(2, 4, 6)
    with pytest.raises(ValueError, match="names 4 input axes but the tensor has rank 3"):
        ops.rearrange(x, "a b c d -> a b c d")
    with pytest.raises(ValueError, match=r"leaves \['h1', 'h'\] unknown"):
        ops.rearrange(x, "b (h1 h) w -> b h1 h w")
    with pytest.raises(ValueError, match="same axes on both sides"):
        ops.rearrange(x, "a b c -> a b")


def test_rearrange_on_keras_tensors():
    inputs = kerasish.Input((4, 6))
    out = ops.rearrange(inputs, "b (h p) w -> b h (p w)", p=2)
    assert out.shape == (None, 2, 12)
    x = torch.randn(3, 4, 6)
    torch.testing.assert_close(kerasish.Model(inputs, out)(x), x.reshape(3, 2, 12))
