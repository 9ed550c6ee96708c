"""kerasish.ops.ctc (ctc_loss, greedy ctc_decode) without real Keras."""

import itertools

import numpy as np
import pytest
import torch

from kerasish import ops


def _collapse(path, blank):
    out = [k for k, _ in itertools.groupby(path)]
    return [k for k in out if k != blank]


def test_ctc_loss_is_the_negative_log_of_all_alignments(rng):
    logits = rng.standard_normal((1, 4, 3)).astype("float32")
    target = [1, 2]
    probs = torch.softmax(torch.tensor(logits[0], dtype=torch.float64), -1).numpy()
    total = sum(
        np.prod([probs[t, k] for t, k in enumerate(path)])
        for path in itertools.product(range(3), repeat=4)
        if _collapse(path, 0) == target
    )
    loss = ops.ctc_loss(np.array([target], "int32"), logits, np.array([2]), np.array([4]))
    assert loss.shape == (1,) and loss.dtype == torch.float32
    np.testing.assert_allclose(loss.numpy(), [-np.log(total)], rtol=1e-5)


def test_ctc_loss_blank_index_and_batch_checks(rng):
    logits = rng.standard_normal((2, 5, 4))
    loss = ops.ctc_loss(np.array([[0, 1], [2, 2]]), logits, np.array([2, 2]), np.array([5, 4]), mask_index=3)
    assert loss.dtype == torch.float32 and torch.isfinite(loss).all()
    with pytest.raises(ValueError, match="`target` and `output` must have the same first dimension"):
        ops.ctc_loss(np.array([[1]]), logits, np.array([1]), np.array([5, 5]))


def test_greedy_decode_merges_repeats_drops_blanks_and_pads():
    classes = [[1, 1, 0, 1, 2, 2], [2, 0, 0, 2, 1, 1]]
    logits = np.full((2, 6, 3), -5.0, "float32")
    for b, row in enumerate(classes):
        for t, k in enumerate(row):
            logits[b, t, k] = 5.0
    paths, scores = ops.ctc_decode(logits, np.array([6, 4]))
    assert paths.dtype == torch.int32 and paths.shape == (1, 2, 6)
    assert paths[0].tolist() == [[1, 1, 2, -1, -1, -1], [2, 2, -1, -1, -1, -1]]
    np.testing.assert_allclose(scores.numpy(), [[-30.0], [-20.0]])
    unmerged, _ = ops.ctc_decode(logits, np.array([6, 6]), merge_repeated=False, mask_index=None)
    assert unmerged[0, 0].tolist() == [1, 1, 0, 1, -1, -1]


def test_beam_search_finds_the_most_probable_labelling_over_alignments():
    """Here the best single path (greedy) decodes to [] but the labelling [1] has more mass."""
    probs = np.stack([[[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]]])
    logits = np.log(probs).astype("float32")
    greedy, _ = ops.ctc_decode(logits, np.array([3]))
    assert greedy[0, 0].tolist() == [-1, -1, -1]
    paths, scores = ops.ctc_decode(logits, np.array([3]), strategy="beam_search", beam_width=4, top_paths=2)
    assert paths.shape == (2, 1, 3) and scores.shape == (1, 2)
    assert paths[0, 0].tolist() == [1, -1, -1] and paths[1, 0].tolist() == [-1, -1, -1]
    p_one = 1 - 0.6**3 - (0.4 * 0.6 * 0.4)  # every path but blank-only and 1,blank,1
    np.testing.assert_allclose(scores.exp().numpy(), [[p_one, 0.6**3]], rtol=1e-5)


def test_decode_symbolic_shapes_and_bad_strategy():
    import kerasish

    inputs, lengths = kerasish.Input((8, 5)), kerasish.Input((), dtype="int32")
    paths, scores = ops.ctc_decode(inputs, lengths, strategy="beam_search", top_paths=3)
    assert paths.shape == (3, None, 8) and paths.dtype == "int32" and scores.shape == (None, 3)
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(np.zeros((1, 2, 3), "float32"), np.array([2]), strategy="best")
