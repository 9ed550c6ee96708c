"""RandomCrop: Keras 3.15's window rules, views, dtypes, seeding and config."""

import numpy as np
import pytest
import torch

import kerasish


def _images(shape, dtype=torch.float32):
    return torch.arange(int(np.prod(shape))).reshape(shape).to(dtype)


def test_random_window_is_a_view_shared_by_the_batch():
    x = _images((3, 8, 9, 2))
    crop = kerasish.layers.RandomCrop(4, 5, seed=1)(x, training=True)
    assert crop.shape == (3, 4, 5, 2)
    assert crop.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    top = int(crop[0, 0, 0, 0]) // (9 * 2)
    left = int(crop[0, 0, 0, 0]) % (9 * 2) // 2
    torch.testing.assert_close(crop, x[:, top:top + 4, left:left + 5])


def test_same_seed_same_windows_and_offsets_cover_the_range():
    x = _images((1, 6, 6, 1))
    a = kerasish.layers.RandomCrop(3, 3, seed=4)
    b = kerasish.layers.RandomCrop(3, 3, seed=4)
    corners = set()
    for _ in range(300):
        out = a(x, training=True)
        torch.testing.assert_close(out, b(x, training=True))
        corners.add(int(out[0, 0, 0, 0]))
    assert corners == {r * 6 + c for r in range(4) for c in range(4)}


def test_not_larger_input_is_centred_then_resized():
    x = _images((1, 4, 10, 1))
    out = kerasish.layers.RandomCrop(4, 6)(x, training=True)
    torch.testing.assert_close(out, x[:, :, 2:8])  # centred window, no resize needed
    small = kerasish.layers.RandomCrop(6, 8, data_format="channels_first")(
        _images((2, 3, 4, 5), torch.uint8), training=True
    )
    assert small.shape == (2, 3, 6, 8) and small.dtype == torch.float32


def test_inference_is_identity_in_the_input_dtype():
    x = _images((2, 5, 6, 3), torch.uint8)
    layer = kerasish.layers.RandomCrop(3, 4)
    assert layer(x) is x
    assert layer.compute_output_shape((None, 5, 6, 3)) == (None, 3, 4, 3)
    first = kerasish.layers.RandomCrop(3, 4, data_format="channels_first")
    assert first.compute_output_shape((7, 3, 5, 6)) == (7, 3, 3, 4)


def test_config_and_errors():
    layer = kerasish.layers.RandomCrop(3, 4, seed=9, name="c")
    config = layer.get_config()
    assert {k: config[k] for k in ("height", "width", "seed", "data_format")} == {
        "height": 3, "width": 4, "seed": 9, "data_format": "channels_last"
    }
    assert kerasish.layers.RandomCrop.from_config(config).get_config() == config
    with pytest.raises(NotImplementedError, match="dict inputs"):
        layer({"images": _images((1, 5, 5, 1))}, training=True)
    with pytest.raises(ValueError, match="rank 3"):
        layer(_images((5, 5)), training=True)
