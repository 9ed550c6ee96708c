"""Adaptive pooling: torch's bins, Keras' argument rules, shapes and config."""

import numpy as np
import pytest
import torch

import kerasish


def _reference_bins(n, out):
    """torch's (and Keras' torch backend's) bins: floor(i*n/out) .. ceil((i+1)*n/out)."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


@pytest.mark.parametrize("n, out", [(7, 3), (5, 5), (4, 6), (9, 2)])
def test_1d_bins_are_torch_bins(n, out, rng):
    x = rng.standard_normal((2, n, 3)).astype("float32")
    avg = kerasish.layers.AdaptiveAveragePooling1D(out)(torch.from_numpy(x)).numpy()
    mx = kerasish.layers.AdaptiveMaxPooling1D(out)(torch.from_numpy(x)).numpy()
    for i, (a, b) in enumerate(_reference_bins(n, out)):
        np.testing.assert_allclose(avg[:, i], x[:, a:b].mean(1), atol=1e-6)
        np.testing.assert_allclose(mx[:, i], x[:, a:b].max(1), atol=0)


def test_channels_first_equals_transposed_channels_last(rng):
    x = torch.from_numpy(rng.standard_normal((2, 6, 5, 3)).astype("float32"))
    last = kerasish.layers.AdaptiveAveragePooling2D((4, 2))(x)
    first = kerasish.layers.AdaptiveAveragePooling2D((4, 2), data_format="channels_first")(
        x.permute(0, 3, 1, 2)
    )
    torch.testing.assert_close(first, last.permute(0, 3, 1, 2))


def test_output_size_normalised_and_config_round_trips():
    layer = kerasish.layers.AdaptiveMaxPooling3D([1, 2, 3], name="p")
    assert layer.output_size == (1, 2, 3)
    config = layer.get_config()
    assert config["output_size"] == (1, 2, 3) and config["data_format"] == "channels_last"
    clone = kerasish.layers.AdaptiveMaxPooling3D.from_config(config)
    assert clone.get_config() == config
    assert layer.compute_output_shape((None, 9, 9, 9, 4)) == (None, 1, 2, 3, 4)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="length 1"):
        kerasish.layers.AdaptiveAveragePooling1D((1, 2))
    with pytest.raises(TypeError, match=r"\(height, width\)"):
        kerasish.layers.AdaptiveAveragePooling2D(2.5)
    with pytest.raises(ValueError, match="Invalid data_format"):
        kerasish.layers.AdaptiveMaxPooling1D(2, data_format="nchw")
    with pytest.raises(ValueError, match="ndim=3, 4 or 5"):
        kerasish.ops.adaptive_max_pool(torch.zeros(2, 3), 2)


def test_gradient_flows_through_max(rng):
    x = torch.from_numpy(rng.standard_normal((1, 4, 4, 1)).astype("float32")).requires_grad_()
    kerasish.layers.AdaptiveMaxPooling2D(2)(x).sum().backward()
    assert x.grad.sum().item() == 4.0
