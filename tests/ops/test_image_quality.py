"""``ops.image.ssim``: identical images score 1, symmetry, dtypes, layouts and shapes."""

import numpy as np
import pytest
import torch

from kerasish.ops import image


def test_identical_images_score_one_and_noise_lowers_it(rng):
    a = rng.uniform(0, 1, (2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(image.ssim(a, a).numpy(), 1.0, atol=1e-5)
    b = np.clip(a + rng.normal(0, 0.2, a.shape), 0, 1).astype("float32")
    score = image.ssim(a, b)
    assert score.shape == (2,) and torch.all(score < 0.9)
    np.testing.assert_allclose(image.ssim(b, a).numpy(), score.numpy(), atol=1e-6)


def test_layouts_single_images_and_dtypes(rng):
    a = rng.uniform(0, 255, (2, 12, 13, 3)).astype("float32")
    b = rng.uniform(0, 255, (2, 12, 13, 3)).astype("float32")
    reference = image.ssim(a, b, max_val=255.0, filter_size=5)
    first = [np.ascontiguousarray(t.transpose(0, 3, 1, 2)) for t in (a, b)]
    np.testing.assert_allclose(
        image.ssim(*first, max_val=255.0, filter_size=5, data_format="channels_first").numpy(),
        reference.numpy(), atol=1e-6)
    single = image.ssim(a[0], b[0], max_val=255.0, filter_size=5)
    assert single.shape == () and abs(float(single) - float(reference[0])) < 1e-6
    assert image.ssim(a.astype("uint8"), b.astype("uint8"), max_val=255.0).dtype == torch.uint8
    with pytest.raises(ValueError, match="image2 rank"):
        image.ssim(a, b[0, 0])
