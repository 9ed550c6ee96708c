import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers


def test_rescaling_scalar_and_per_channel():
    x = torch.arange(6, dtype=torch.uint8).reshape(1, 2, 3)
    out = layers.Rescaling(0.5, offset=-1.0)(x)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), x.numpy() * 0.5 - 1)
    per_channel = layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 0.0, 1.0])
    np.testing.assert_allclose(per_channel(x).numpy(), x.numpy() * [1, 2, 3] + [0, 0, 1])
    assert list(per_channel.state_dict()) == []  # constants are not weights
    config = per_channel.get_config()
    assert config["scale"] == [1.0, 2.0, 3.0]
    assert layers.Rescaling.from_config(config).get_config() == config


def test_rescaling_channels_first_scale_broadcasts_over_pixels():
    keras.backend.set_image_data_format("channels_first")
    try:
        layer = layers.Rescaling([1.0, 10.0])
    finally:
        keras.backend.set_image_data_format("channels_last")
    x = torch.ones(1, 2, 3, 3)
    out = layer(x)
    assert torch.all(out[0, 0] == 1) and torch.all(out[0, 1] == 10)


def test_normalization_with_given_statistics():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    x = torch.tensor([[3.0, 2.0], [1.0, 3.0]])
    out = layer(x)
    # variance 0 divides by epsilon, as Keras does
    np.testing.assert_allclose(out.numpy(), [[1.0, 0.0], [0.0, 1e7]], rtol=1e-6)
    assert layer.weights == [] and layer.mean.shape == (1, 2)
    inverse = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 1.0], invert=True)
    np.testing.assert_allclose(inverse(torch.tensor([[1.0, 1.0]])).numpy(), [[3.0, 3.0]])


def test_normalization_adapt_arrays_tensors_and_batches():
    data = np.random.default_rng(0).standard_normal((40, 3)).astype("float32") * [1, 2, 3] + [0, 5, -5]
    for source in (data, torch.from_numpy(data), [data[:10], data[10:25], data[25:]]):
        layer = layers.Normalization()
        layer.adapt(source)
        mean, variance, count = layer.get_weights()
        np.testing.assert_allclose(mean, data.mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(variance, data.var(0), rtol=1e-5)
        assert count.dtype == np.int32 and count.shape == ()
        out = layer(torch.from_numpy(data)).numpy()
        np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(out.std(0), 1, atol=1e-4)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert sorted(layer.state_dict()) == ["adapt_mean", "adapt_variance", "count"]


def test_normalization_axes_and_errors():
    layer = layers.Normalization(axis=(1, 2))
    layer.build((None, 4, 3))
    assert [w.shape for w in layer.weights] == [(4, 3), (4, 3), ()]
    assert layers.Normalization(axis=None).axis == ()
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="known shape"):
        layers.Normalization()(keras.Input((None,)))
    adapted = layers.Normalization()
    adapted.adapt(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match="incompatible shape"):
        adapted.adapt(np.zeros((4, 5), "float32"))
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])


def test_normalization_in_a_model_and_config():
    layer = layers.Normalization(mean=[0.5, 1.5], variance=[0.25, 4.0])
    config = layer.get_config()
    assert config["mean"] == [0.5, 1.5] and config["axis"] == (-1,)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layers.Normalization.from_config(config)(inputs))
    np.testing.assert_allclose(model.predict(np.array([[1.0, 1.5]]), verbose=0), [[1.0, 0.0]])


def test_center_crop_is_a_centred_slice_and_resizes_small_images():
    x = torch.arange(2 * 6 * 7 * 1, dtype=torch.float32).reshape(2, 6, 7, 1)
    out = layers.CenterCrop(2, 3)(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, 2:4, 2:5])
    up = layers.CenterCrop(8, 8)(x)
    assert up.shape == (2, 8, 8, 1)
    assert layers.CenterCrop(2, 3)(keras.Input((None, None, 3))).shape == (None, 2, 3, 3)
    assert layers.CenterCrop(2, 3)(x[0]).shape == (2, 3, 1)
    with pytest.raises(ValueError, match=r"center_crop.*rank 3 .* or 4"):
        layers.CenterCrop(2, 3).compute_output_shape((None, 4))


def test_resizing_shapes_modes_and_config():
    x = torch.rand(2, 5, 6, 3)
    assert layers.Resizing(3, 4)(x).shape == (2, 3, 4, 3)
    cf = layers.Resizing(3, 4, data_format="channels_first")
    assert cf(x.permute(0, 3, 1, 2)).shape == (2, 3, 3, 4)
    nearest = layers.Resizing(10, 12, interpolation="nearest")(x)
    np.testing.assert_array_equal(nearest[:, ::2, ::2].numpy(), x.numpy())
    assert layers.Resizing(3, 4)(keras.Input((None, None, 3))).shape == (None, 3, 4, 3)
    config = layers.Resizing(3, 4, crop_to_aspect_ratio=True).get_config()
    assert "pad_to_aspect_ratio" not in config and "data_format" not in config  # tf.keras keys
    assert layers.Resizing.from_config(config).crop_to_aspect_ratio is True
    with pytest.raises(ValueError, match="Only one of"):
        layers.Resizing(3, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="fill_mode"):
        layers.Resizing(3, 4, fill_mode="reflect")
    with pytest.raises(NotImplementedError, match="area"):
        layers.Resizing(3, 4, interpolation="area")


def test_resizing_crop_to_aspect_ratio_keeps_the_centre():
    x = torch.zeros(1, 4, 8, 1)
    x[:, :, 2:6] = 1.0  # a centred 4x4 square of ones
    out = layers.Resizing(2, 2, crop_to_aspect_ratio=True)(x)
    np.testing.assert_allclose(out.numpy(), 1.0)


def test_tf_keras_experimental_paths():
    from kerasish.layers.experimental import preprocessing

    assert preprocessing.Rescaling is layers.Rescaling
    assert preprocessing.Normalization is layers.Normalization
    assert preprocessing.CategoryEncoding is layers.CategoryEncoding
    assert preprocessing.Discretization is layers.Discretization
    assert preprocessing.RandomFlip is layers.RandomFlip
    assert preprocessing.RandomRotation is layers.RandomRotation
    assert keras.layers.experimental.EinsumDense is layers.EinsumDense
