import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers


def _x(shape):
    return torch.arange(int(np.prod(shape)), dtype=torch.float32).reshape(shape)


def test_permute_is_a_view_with_keras_shapes():
    x = _x((2, 3, 4, 5))
    out = layers.Permute((3, 1, 2))(x)
    assert out.shape == (2, 5, 3, 4) and out.data_ptr() == x.data_ptr()
    np.testing.assert_array_equal(out.numpy(), x.numpy().transpose(0, 3, 1, 2))
    assert layers.Permute((2, 1))(keras.Input((None, 4))).shape == (None, 4, None)
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        layers.Permute((0, 1))


def test_repeat_vector():
    x = _x((2, 3))
    out = layers.RepeatVector(4)(x)
    assert out.shape == (2, 4, 3)
    np.testing.assert_array_equal(out.numpy(), np.repeat(x.numpy()[:, None], 4, axis=1))
    assert layers.RepeatVector(4)(keras.Input((3,))).shape == (None, 4, 3)
    with pytest.raises(TypeError):
        layers.RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match='"repeat_vector.*expected ndim=2, found ndim=3'):
        layers.RepeatVector(2)(keras.Input((3, 4)))


@pytest.mark.parametrize(
    "layer, shape, numpy_pads",
    [
        (layers.ZeroPadding1D(), (2, 3, 2), ((0, 0), (1, 1), (0, 0))),
        (layers.ZeroPadding1D((2, 0), data_format="channels_first"), (2, 3, 2), ((0, 0), (0, 0), (2, 0))),
        (layers.ZeroPadding2D(((1, 2), (0, 3))), (1, 2, 3, 2), ((0, 0), (1, 2), (0, 3), (0, 0))),
        (layers.ZeroPadding2D(1, data_format="channels_first"), (1, 2, 3, 2), ((0, 0), (0, 0), (1, 1), (1, 1))),
        (layers.ZeroPadding3D((1, 0, 2)), (1, 2, 2, 2, 1), ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0))),
    ],
)
def test_zero_padding(layer, shape, numpy_pads):
    x = _x(shape) + 1
    expected = np.pad(x.numpy(), numpy_pads)
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    assert layer.compute_output_shape(shape) == expected.shape
    unknown = (None,) * len(shape)
    assert layer.compute_output_shape(unknown) == unknown


def test_padding_arguments_are_validated():
    with pytest.raises(ValueError, match="two elements"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="1st entry of padding"):
        layers.ZeroPadding2D(((1, 2, 3), (1, 1)))
    with pytest.raises(ValueError, match="cannot be negative"):
        layers.Cropping2D(-1)
    assert layers.ZeroPadding3D(2).padding == ((2, 2),) * 3
    assert layers.Cropping1D(2).cropping == (2, 2)


@pytest.mark.parametrize(
    "layer, shape, index",
    [
        (layers.Cropping1D((1, 2)), (2, 6, 3), np.s_[:, 1:4]),
        (layers.Cropping2D(((1, 0), (2, 1))), (2, 4, 5, 3), np.s_[:, 1:, 2:4]),
        (layers.Cropping2D(1, data_format="channels_first"), (2, 3, 4, 5), np.s_[:, :, 1:3, 1:4]),
        (layers.Cropping3D(((0, 1), (1, 1), (2, 0))), (1, 3, 4, 5, 2), np.s_[:, :2, 1:3, 2:]),
    ],
)
def test_cropping_is_a_view(layer, shape, index):
    x = _x(shape)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy()[index])
    assert out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert layer.compute_output_shape(shape) == out.shape


def test_cropping_too_much_names_shapes():
    with pytest.raises(ValueError, match=r"input_shape=\(None, 3, 2\), cropping=\(2, 1\)"):
        layers.Cropping1D((2, 1))(keras.Input((3, 2)))
    layer = layers.Cropping2D(((2, 2), (0, 0)))
    assert layer.compute_output_shape((None, None, 5, 2)) == (None, None, 5, 2)
    with pytest.raises(ValueError, match=r"inputs.shape=\(1, 4, 5, 2\)"):
        layer(torch.zeros(1, 4, 5, 2))


@pytest.mark.parametrize(
    "layer, shape, repeats",
    [
        (layers.UpSampling1D(3), (2, 4, 3), {1: 3}),
        (layers.UpSampling2D((2, 3)), (2, 3, 4, 2), {1: 2, 2: 3}),
        (layers.UpSampling2D(2, data_format="channels_first"), (2, 2, 3, 4), {2: 2, 3: 2}),
        (layers.UpSampling3D((1, 2, 3)), (1, 2, 3, 2, 2), {1: 1, 2: 2, 3: 3}),
    ],
)
def test_nearest_upsampling_repeats_each_element(layer, shape, repeats):
    x = _x(shape)
    expected = x.numpy()
    for axis, count in repeats.items():
        expected = np.repeat(expected, count, axis=axis)
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    assert layer.compute_output_shape(shape) == expected.shape
    assert layer(keras.Input(shape[1:])).shape == (None,) + expected.shape[1:]


def test_bilinear_upsampling_uses_half_pixel_centres():
    x = torch.tensor([[[[0.0], [4.0]]]])  # (1, 1, 2, 1): one row, two columns
    out = layers.UpSampling2D((1, 2), interpolation="bilinear")(x)
    np.testing.assert_allclose(out[0, 0, :, 0].numpy(), [0.0, 1.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="area")


def test_configs_round_trip():
    for layer in [
        layers.Permute((2, 1)),
        layers.RepeatVector(3),
        layers.ZeroPadding2D(((1, 2), (3, 4)), data_format="channels_first"),
        layers.Cropping3D(((1, 0), (0, 1), (2, 2))),
        layers.UpSampling2D((2, 3), interpolation="bilinear"),
        layers.UpSampling1D(4),
    ]:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert "data_format" not in layers.ZeroPadding1D().get_config()  # tf.keras' schema
    assert "data_format" not in layers.Cropping1D().get_config()


def test_integer_inputs_stay_integer():
    x = torch.arange(12, dtype=torch.int64).reshape(1, 6, 2)
    for layer in (layers.ZeroPadding1D(), layers.Cropping1D(), layers.UpSampling1D()):
        assert layer(x).dtype == torch.int64
        assert layer(keras.Input((6, 2), dtype="int64")).dtype == "int64"


def test_layers_in_a_functional_model():
    inputs = keras.Input((4, 5, 2))
    x = layers.ZeroPadding2D(1)(inputs)
    x = layers.UpSampling2D()(x)
    x = layers.Cropping2D(((2, 2), (1, 1)))(x)
    out = layers.Permute((3, 1, 2))(x)
    model = keras.Model(inputs, out)
    assert model.output_shape == (None, 2, 8, 12)
    data = np.random.default_rng(0).standard_normal((3, 4, 5, 2)).astype("float32")
    expected = np.pad(data, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = expected.repeat(2, 1).repeat(2, 2)[:, 2:-2, 1:-1].transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(model.predict(data, verbose=0), expected)
