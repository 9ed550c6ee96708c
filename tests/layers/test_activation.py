import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers

X = torch.linspace(-3, 3, 13)


def test_relu_variants():
    x = X.numpy()
    np.testing.assert_array_equal(layers.ReLU()(X).numpy(), np.maximum(x, 0))
    np.testing.assert_array_equal(layers.ReLU(max_value=1.0)(X).numpy(), np.clip(x, 0, 1))
    np.testing.assert_allclose(layers.ReLU(negative_slope=0.1)(X).numpy(), np.where(x > 0, x, 0.1 * x))
    thresholded = layers.ReLU(threshold=1.0, negative_slope=0.5, max_value=2.0)(X).numpy()
    np.testing.assert_allclose(
        thresholded, np.where(x > 1, np.minimum(x, 2), 0.5 * (x - 1)), atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_value": -1.0}, "max_value"),
        ({"negative_slope": -0.1}, "negative_slope"),
        ({"threshold": -1.0}, "threshold"),
    ],
)
def test_relu_rejects_negative_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.ReLU(**kwargs)


def test_leaky_relu_defaults_and_keras2_alias():
    assert layers.LeakyReLU().negative_slope == 0.3
    layer = layers.LeakyReLU(alpha=0.1)
    assert layer.alpha == layer.negative_slope == 0.1
    np.testing.assert_allclose(layer(X).numpy(), np.where(X > 0, X, 0.1 * X))
    assert layers.LeakyReLU.from_config(layer.get_config()).negative_slope == 0.1
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(-1)


def test_elu_and_thresholded_relu():
    x = X.numpy()
    np.testing.assert_allclose(layers.ELU(0.5)(X).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)), atol=1e-6)
    np.testing.assert_array_equal(layers.ThresholdedReLU(1.0)(X).numpy(), np.where(x > 1, x, 0))
    with pytest.raises(ValueError, match=">=0"):
        layers.ThresholdedReLU(-1.0)
    assert layers.ThresholdedReLU().theta == 1.0


def test_softmax_axes_and_mask():
    x = torch.randn(2, 3, 4)
    np.testing.assert_allclose(layers.Softmax()(x).sum(-1).numpy(), 1, atol=1e-6)
    np.testing.assert_allclose(layers.Softmax(axis=1)(x).sum(1).numpy(), 1, atol=1e-6)
    both = layers.Softmax(axis=[1, 2])(x)
    np.testing.assert_allclose(both.sum((1, 2)).numpy(), 1, atol=1e-6)
    mask = torch.tensor([True, False, True, True])
    out = layers.Softmax()(x, mask=mask)
    assert torch.all(out[..., 1] == 0)
    np.testing.assert_allclose(out.sum(-1).numpy(), 1, atol=1e-6)
    with pytest.raises(ValueError, match=r"softmax.*mask.shape=\(3,\)"):
        layers.Softmax()(x, mask=torch.ones(3, dtype=torch.bool))


def test_softmax_mask_as_a_graph_input():
    scores = keras.Input((4,))
    mask = keras.Input((4,), dtype="bool")
    model = keras.Model([scores, mask], layers.Softmax()(scores, mask=mask))
    out = model.predict(
        [np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[True, False, True, False]])], verbose=0
    )
    expected = np.exp([1.0, 3.0]) / np.exp([1.0, 3.0]).sum()
    np.testing.assert_allclose(out[0], [expected[0], 0, expected[1], 0], atol=1e-6)


def test_prelu_weights_and_shared_axes():
    layer = layers.PReLU(shared_axes=[1, 2])
    out = layer(keras.Input((5, 6, 3)))
    assert out.shape == (None, 5, 6, 3)
    assert [w.shape for w in layer.weights] == [(1, 1, 3)]
    assert layer.get_weights()[0].sum() == 0  # Keras' zeros, not torch's 0.25
    layer.set_weights([np.array([[[0.1, 0.2, 0.3]]], "float32")])
    x = -torch.ones(2, 5, 6, 3)
    np.testing.assert_allclose(layer(x)[0, 0, 0].detach().numpy(), [-0.1, -0.2, -0.3], atol=1e-7)
    assert list(dict(layer.named_parameters())) == ["alpha"]
    with pytest.raises(ValueError, match=r"expected axis 3 of input shape to have value 3"):
        layer(keras.Input((5, 6, 4)))


def test_prelu_needs_known_axes_unless_shared():
    with pytest.raises(ValueError, match="p_re_lu.*shared_axes"):
        layers.PReLU()(keras.Input((None, 3)))
    assert layers.PReLU(shared_axes=1)(keras.Input((None, 3))).shape == (None, None, 3)


def test_configs_round_trip():
    for layer in [
        layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
        layers.LeakyReLU(0.2),
        layers.ELU(0.3),
        layers.Softmax(axis=[1, 2]),
        layers.ThresholdedReLU(0.5),
        layers.PReLU(alpha_initializer="ones", shared_axes=[1]),
    ]:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert layers.Softmax.from_config({"axis": -1, "robust_masking": True}).axis == -1


def test_activation_layers_pass_masks_through():
    tokens = keras.Input((4,), dtype="int32")
    x = layers.Embedding(5, 2, mask_zero=True)(tokens)
    for layer in (layers.ReLU(), layers.LeakyReLU(), layers.ELU(), layers.PReLU()):
        x = layer(x)
        assert x._keras_mask is not None
