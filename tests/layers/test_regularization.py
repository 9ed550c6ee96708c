import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers

NOISE_LAYERS = [
    lambda: layers.SpatialDropout1D(0.5),
    lambda: layers.SpatialDropout2D(0.5),
    lambda: layers.SpatialDropout3D(0.5, data_format="channels_first"),
    lambda: layers.GaussianNoise(0.3),
    lambda: layers.GaussianDropout(0.3),
    lambda: layers.AlphaDropout(0.3),
]
SHAPES = [(4, 5, 6), (4, 3, 5, 6), (4, 6, 2, 3, 4), (4, 6), (4, 6), (4, 6)]


@pytest.mark.parametrize("make, shape", list(zip(NOISE_LAYERS, SHAPES)))
def test_identity_at_inference_random_in_training(make, shape):
    layer = make()
    x = torch.randn(shape)
    assert layer(x) is x  # eval mode by default
    assert layer(x, training=False) is x
    noisy = layer(x, training=True)
    assert noisy.shape == x.shape and not torch.equal(noisy, x)
    layer.train()
    assert not torch.equal(layer(x), x)
    assert layer(x, training=False) is x


def test_noise_layers_pass_through_in_a_model_and_train_in_fit_mode():
    inputs = keras.Input((8,))
    x = layers.GaussianNoise(0.5)(inputs)
    x = layers.AlphaDropout(0.5)(x)
    model = keras.Model(inputs, x)
    data = np.ones((3, 8), "float32")
    np.testing.assert_array_equal(model.predict(data, verbose=0), data)
    model.train()
    assert not np.allclose(model(torch.from_numpy(data)).detach().numpy(), data)


def test_spatial_dropout_noise_is_per_channel():
    torch.manual_seed(1)
    out = layers.SpatialDropout2D(0.5, data_format="channels_first")(
        torch.ones(8, 16, 3, 3), training=True
    )
    per_map = out.reshape(8, 16, 9)
    assert torch.all(per_map.amin(-1) == per_map.amax(-1))
    assert set(per_map.unique().tolist()) == {0.0, 2.0}
    assert layers.SpatialDropout1D(1.0)(torch.ones(2, 3, 4), training=True).abs().sum() == 0


def test_argument_checks_and_specs():
    with pytest.raises(ValueError, match=r"`rate`.*between 0 and 1. Received: rate=1.5"):
        layers.GaussianDropout(1.5)
    with pytest.raises(ValueError, match=r"`stddev`.*Received: stddev=-1"):
        layers.GaussianNoise(-1)
    with pytest.raises(ValueError, match='"spatial_dropout2d.*expected ndim=4, found ndim=3'):
        layers.SpatialDropout2D(0.2)(keras.Input((3, 4)))
    with pytest.raises(ValueError, match="noise shape"):
        layers.SpatialDropout1D(0.2, noise_shape=(None, 1, 3))


def test_configs_round_trip():
    for layer in [
        layers.SpatialDropout1D(0.2, seed=3),
        layers.SpatialDropout2D(0.2, data_format="channels_first"),
        layers.GaussianNoise(0.1, seed=1),
        layers.GaussianDropout(0.4),
        layers.AlphaDropout(0.1, noise_shape=(None, 1)),
        layers.ActivityRegularization(l1=0.1, l2=0.2),
    ]:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    # Keras 3's SpatialDropout constructors take no `trainable`, so the config omits it.
    assert set(layers.SpatialDropout1D(0.2).get_config()) == {"rate", "seed", "name", "dtype"}


def test_activity_regularization_adds_per_sample_penalty():
    layer = layers.ActivityRegularization(l1=0.5, l2=0.25)
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    assert layer(x) is x
    (loss,) = layer.losses
    expected = (0.5 * x.abs().sum() + 0.25 * x.square().sum()) / 2
    torch.testing.assert_close(loss, expected)
    layer(x[:1])
    assert len(layer.losses) == 1  # replaced, not accumulated
    torch.testing.assert_close(layer.losses[0], torch.tensor(0.5 * 3 + 0.25 * 5))
