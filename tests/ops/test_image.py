"""kerasish.ops.image logic that needs no real Keras: validation, views, no-op paths."""

import pytest
import torch

from kerasish.ops import image


def test_crop_images_is_a_view_of_the_region():
    x = torch.arange(2 * 5 * 4 * 3, dtype=torch.float32).reshape(2, 5, 4, 3)
    out = image.crop_images(x, top_cropping=1, bottom_cropping=2, left_cropping=1, target_width=2)
    assert out.shape == (2, 2, 2, 3)
    assert out.data_ptr() == x[:, 1:3, 1:3].data_ptr()
    torch.testing.assert_close(out, x[:, 1:3, 1:3])


def test_pad_images_infers_the_missing_side():
    x = torch.ones(3, 2, 2)
    out = image.pad_images(x, top_padding=1, target_height=5, left_padding=2, right_padding=0,
                           data_format="channels_first")
    assert out.shape == (3, 5, 4)
    assert out[:, 1:3, 2:].eq(1).all() and out.sum() == 12


@pytest.mark.parametrize("kwargs, message", [
    ({"top_padding": 1, "left_padding": 1, "right_padding": 1}, "exactly two of top_padding"),
    ({"top_padding": 1, "bottom_padding": 1, "target_height": 4, "left_padding": 0,
      "right_padding": 0}, "exactly two of top_padding"),
    ({"top_padding": -1, "bottom_padding": 0, "left_padding": 0, "right_padding": 0},
     "top_padding must be >= 0"),
    ({"top_padding": 3, "target_height": 4, "left_padding": 0, "right_padding": 0},
     "bottom_padding must be >= 0"),
])
def test_pad_images_rejects_bad_paddings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        image.pad_images(torch.ones(2, 2, 3), **kwargs)


def test_crop_images_rejects_crops_larger_than_the_image():
    with pytest.raises(ValueError, match="target_height must be >= 0"):
        image.crop_images(torch.ones(2, 2, 3), top_cropping=2, bottom_cropping=1, left_cropping=0,
                          right_cropping=0)


def test_rank_and_dtype_errors_name_the_received_input():
    with pytest.raises(ValueError, match=r"images.shape=\(2, 3\)"):
        image.rgb_to_grayscale(torch.ones(2, 3))
    with pytest.raises(ValueError, match="expected float dtype. Received: images.dtype=int32"):
        image.rgb_to_hsv(torch.ones(2, 2, 3, dtype=torch.int32))
    with pytest.raises(ValueError, match="expected 3 \\(RGB\\) or 1"):
        image.rgb_to_grayscale(torch.ones(2, 2, 2))


def test_resize_unsupported_and_invalid_arguments():
    x = torch.ones(4, 4, 3)
    with pytest.raises(NotImplementedError, match="lanczos3"):
        image.resize(x, (2, 2), interpolation="lanczos3")
    with pytest.raises(ValueError, match="interpolation=area"):
        image.resize(x, (2, 2), interpolation="area")
    with pytest.raises(ValueError, match="Only one of"):
        image.resize(x, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="size=\\(2,\\)"):
        image.resize(x, (2,))
    with pytest.raises(ValueError, match="fill_mode=reflect"):
        image.resize(x, (2, 2), fill_mode="reflect")


def test_pad_to_aspect_ratio_pads_both_sides_with_the_fill_value():
    x = torch.zeros(1, 2, 4, 1)
    out = image.resize(x, (4, 4), pad_to_aspect_ratio=True, fill_value=1.0, interpolation="nearest")
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[1.0] * 4, [0.0] * 4, [0.0] * 4, [1.0] * 4]))


def test_map_coordinates_identity_and_order_limit():
    x = torch.arange(12.0).reshape(3, 4)
    grid = torch.meshgrid(torch.arange(3.0), torch.arange(4.0), indexing="ij")
    torch.testing.assert_close(image.map_coordinates(x, grid, 1), x)
    with pytest.raises(NotImplementedError, match="order=3"):
        image.map_coordinates(x, grid, 3)
    with pytest.raises(ValueError, match="rank of `inputs`"):
        image.map_coordinates(x, grid[:1], 1)


def test_hsv_round_trip():
    x = torch.rand(2, 3, 4, 3)
    torch.testing.assert_close(image.hsv_to_rgb(image.rgb_to_hsv(x)), x, atol=1e-5, rtol=1e-5)


def test_extract_patches_orders_offsets_then_channels():
    x = torch.arange(16.0).reshape(1, 4, 4, 1).expand(1, 4, 4, 2) * torch.tensor([1.0, -1.0])
    out = image.extract_patches(x, 2)
    assert out.shape == (1, 2, 2, 8)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([0.0, -0.0, 1, -1, 4, -4, 5, -5]))
    with pytest.raises(ValueError, match="length 2 or 3"):
        image.extract_patches(x, (1, 2, 3, 4))
    with pytest.raises(TypeError, match="Expected an int or a tuple"):
        image.extract_patches(x, "2")


def test_gaussian_blur_keeps_a_constant_interior_and_sobel_sees_a_ramp():
    flat = torch.full((1, 7, 7, 2), 3.0)
    blurred = image.gaussian_blur(flat, (5, 5), (1.0, 2.0), data_format="channels_last")
    torch.testing.assert_close(blurred[0, 2:-2, 2:-2], flat[0, 2:-2, 2:-2])
    ramp = torch.arange(5.0).repeat(5, 1).reshape(1, 1, 5, 5)  # grows along the width
    edges = image.sobel_edges(ramp, data_format="channels_first")
    assert edges.shape == (1, 1, 5, 5, 2)
    assert edges[0, 0, 2, 2].tolist() == [0.0, 8.0]  # (vertical, horizontal) responses
    with pytest.raises(ValueError, match="rank 4"):
        image.sobel_edges(ramp[0])
