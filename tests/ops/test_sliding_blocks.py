"""kerasish.ops.sliding_blocks (unfold, fold) without real Keras."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import ops


def test_fold_undoes_unfold_for_disjoint_blocks_and_sums_overlaps():
    x = torch.randn(2, 3, 4, 6)
    columns = ops.unfold(x, 2, stride=2)
    assert columns.shape == (2, 12, 6)
    torch.testing.assert_close(ops.fold(columns, (4, 6), 2, stride=2), x)
    counts = ops.fold(ops.unfold(torch.ones(1, 1, 3, 3), 2), 3, 2)
    assert counts[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def test_rank_errors_and_symbolic_shapes():
    with pytest.raises(ValueError, match=r"unfold: input must be a 4D tensor. Received: input.shape=\(3, 4, 5\)"):
        ops.unfold(np.ones((3, 4, 5), "float32"), 2)
    with pytest.raises(ValueError, match="fold: input must be a 3D tensor"):
        ops.fold(np.ones((3, 4), "float32"), 2, 2)
    inputs = kerasish.Input((3, 6, 5))
    out = ops.unfold(inputs, (3, 2), padding=1)
    assert out.shape == (None, 18, 36)
