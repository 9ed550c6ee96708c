"""Activation layers side by side with Keras 3 (ThresholdedReLU, gone from Keras 3, against
tf.keras' formula): outputs in models, PReLU weights, Softmax masks, configs both ways."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

CASES = [
    ("ReLU", {}),
    ("ReLU", {"max_value": 6.0}),
    ("ReLU", {"max_value": 1.5}),
    ("ReLU", {"negative_slope": 0.2}),
    ("ReLU", {"threshold": 0.5}),
    ("ReLU", {"max_value": 1.2, "negative_slope": 0.1, "threshold": 0.3}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.05}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.4}),
    ("Softmax", {}),
    ("Softmax", {"axis": 1}),
    ("Softmax", {"axis": [1, 2]}),
    ("PReLU", {}),
    ("PReLU", {"shared_axes": [1]}),
    ("PReLU", {"shared_axes": 2, "alpha_initializer": "ones"}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_layer_matches_keras(rng, name, kwargs):
    """Outputs inside a model (same weights), weight shapes, and configs both ways."""
    import keras

    def build(lib, layer):
        inputs = lib.Input((3, 4))
        return lib.Model(inputs, layer(inputs))

    reference_layer = getattr(keras.layers, name)(**kwargs)
    ours_layer = getattr(kerasish.layers, name).from_config(reference_layer.get_config())
    reference, ours = build(keras, reference_layer), build(kerasish, ours_layer)
    if reference.weights:
        reference.set_weights([rng.uniform(0.1, 0.9, w.shape).astype("float32") for w in reference.weights])
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in reference.weights]
    x = (rng.standard_normal((5, 3, 4)) * 3).astype("float32")
    assert_same_outputs(reference, ours, x)
    back = getattr(keras.layers, name).from_config(ours_layer.get_config())
    back.build((None, 3, 4))
    back.set_weights(reference_layer.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(back(x)), ours_layer(torch.from_numpy(x)).detach().numpy(), atol=1e-6
    )


def test_leaky_relu_reads_the_keras2_alpha_and_writes_it():
    import keras

    ours = kerasish.layers.LeakyReLU(alpha=0.1)
    assert ours.negative_slope == 0.1
    assert ours.get_config()["alpha"] == 0.1  # the key tf.keras and Keras 3 both read
    with pytest.warns(UserWarning):
        assert keras.layers.LeakyReLU.from_config(ours.get_config()).negative_slope == 0.1
    assert kerasish.layers.LeakyReLU().negative_slope == keras.layers.LeakyReLU().negative_slope


@pytest.mark.parametrize(
    "mask_shape",
    [(2, 3, 4), (2, 1, 4), (4,)],
)
def test_softmax_mask_matches_keras(rng, mask_shape):
    import keras

    x = rng.standard_normal((2, 3, 4)).astype("float32")
    mask = rng.random(mask_shape) > 0.3
    expected = keras.ops.convert_to_numpy(keras.layers.Softmax()(x, mask=mask))
    received = kerasish.layers.Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask))
    np.testing.assert_allclose(received.numpy(), expected, atol=1e-6)
    float_mask = mask.astype("float32")
    received = kerasish.layers.Softmax()(torch.from_numpy(x), mask=torch.from_numpy(float_mask))
    np.testing.assert_allclose(received.numpy(), expected, atol=1e-6)


def test_softmax_rejects_a_mask_that_does_not_broadcast():
    import keras

    x = np.zeros((2, 3, 4), "float32")
    mask = np.ones((2, 3), bool)
    with pytest.raises(ValueError, match="broadcastable"):
        keras.layers.Softmax()(x, mask=mask)
    with pytest.raises(ValueError, match=r"broadcastable.*inputs.shape=\(2, 3, 4\), mask.shape=\(2, 3\)"):
        kerasish.layers.Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask))


def test_thresholded_relu_is_tf_keras_formula(rng):
    x = rng.standard_normal((4, 5)).astype("float32") * 2
    received = kerasish.layers.ThresholdedReLU(theta=0.7)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(received, x * (x > 0.7))
    # Keras 3's closest layer agrees above and below the threshold.
    import keras

    np.testing.assert_array_equal(
        received, keras.ops.convert_to_numpy(keras.layers.ReLU(threshold=0.7)(x))
    )


def test_prelu_defaults_and_training_gradient(rng):
    import keras

    reference = keras.layers.PReLU()
    reference.build((None, 3, 4))
    ours = kerasish.layers.PReLU()
    ours.build((None, 3, 4))
    np.testing.assert_array_equal(ours.get_weights()[0], reference.get_weights()[0])  # zeros
    ours.set_weights([rng.uniform(0.1, 0.5, (3, 4)).astype("float32")])
    x = torch.from_numpy(rng.standard_normal((2, 3, 4)).astype("float32"))
    ours(x).sum().backward()
    np.testing.assert_allclose(ours.alpha.grad.numpy(), np.minimum(x.numpy(), 0).sum(0))


def test_prelu_error_names_layer_and_shapes():
    import keras

    layer = kerasish.layers.PReLU(shared_axes=[1])
    layer.build((None, 3, 4))
    with pytest.raises(ValueError, match=r'"p_re_lu".*expected axis 2 of input shape to have value 4'):
        layer(kerasish.Input((3, 5)))
    assert keras.layers.PReLU().name == "p_re_lu"
