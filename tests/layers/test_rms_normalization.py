"""RMSNormalization and ops.rms_normalization without real Keras."""

import numpy as np
import pytest
import torch

import kerasish


def _reference(x, axes, scale, epsilon):
    x = x.astype("float64")
    return x / np.sqrt(np.mean(x**2, axis=tuple(axes), keepdims=True) + epsilon) * scale


def test_formula_on_the_last_axis():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype("float32")
    layer = kerasish.layers.RMSNormalization(epsilon=1e-3)
    layer.build(x.shape)
    scale = rng.uniform(0.5, 1.5, (4,)).astype("float32")
    layer.set_weights([scale])
    np.testing.assert_allclose(layer(x).detach().numpy(), _reference(x, [-1], scale, 1e-3), atol=1e-6)


def test_a_middle_axis_is_reduced_in_place_and_scaled_along_it():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    layer = kerasish.layers.RMSNormalization(axis=1)
    layer.build(x.shape)
    scale = rng.uniform(0.5, 1.5, (3,)).astype("float32")
    layer.set_weights([scale])
    expected = _reference(x, [1], scale.reshape(1, 3, 1), 1e-6)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, atol=1e-6)


def test_weight_is_torch_rms_norm_weight_and_named_scale_in_keras_terms():
    layer = kerasish.layers.RMSNormalization()
    assert layer.scale is None
    layer.build((None, 5))
    assert [(w.path, w.shape) for w in layer.weights] == [("rms_normalization/scale", (5,))]
    assert layer.scale is layer.weight
    np.testing.assert_array_equal(layer.weights[0].numpy(), np.ones(5, "float32"))
    module = torch.nn.RMSNorm(5, eps=1e-6)
    with torch.no_grad():
        layer.weight.mul_(torch.arange(1.0, 6.0))
    module.load_state_dict(layer.state_dict())
    x = torch.randn(2, 5)
    torch.testing.assert_close(module(x), layer(x), atol=1e-6, rtol=0)


def test_config_after_build_holds_the_sorted_axis_list():
    layer = kerasish.layers.RMSNormalization(axis=(2, 1), epsilon=1e-4)
    assert layer.get_config()["axis"] == (2, 1)
    layer.build((2, 3, 4))
    config = layer.get_config()
    assert (config["axis"], config["epsilon"]) == ([1, 2], 1e-4)
    assert kerasish.layers.RMSNormalization.from_config(config).axis == [1, 2]


def test_errors_name_the_axis_and_shape():
    with pytest.raises(ValueError, match=r"Axis 2 is out of bounds for input shape \(3, 4\)"):
        kerasish.layers.RMSNormalization(axis=2).build((3, 4))
    with pytest.raises(ValueError, match="normalized axes .* must be known"):
        kerasish.layers.RMSNormalization().build((3, None))


def test_output_dtype_is_the_inputs_and_compute_is_float32():
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    out = kerasish.ops.rms_normalization(x)
    assert out.dtype == torch.float64
    ints = kerasish.ops.rms_normalization(torch.tensor([1, 2, 3]))
    assert ints.dtype == torch.int64 and ints.tolist() == [0, 0, 1]
    half = kerasish.ops.rms_normalization(torch.tensor([1.0, 2.0], dtype=torch.bfloat16))
    assert half.dtype == torch.bfloat16


def test_op_on_a_scalar_and_with_a_broadcast_scale():
    np.testing.assert_allclose(kerasish.ops.rms_normalization(2.0).numpy(), [1.0], atol=1e-6)
    x = np.array([[3.0, 4.0], [1.0, 1.0]], "float32")
    out = kerasish.ops.rms_normalization(x, scale=2.0, axis=0, epsilon=0.0).numpy()
    np.testing.assert_allclose(out, 2 * x / np.sqrt(np.mean(x**2, axis=0, keepdims=True)), atol=1e-6)


def test_in_a_functional_model_and_as_an_op_node():
    inputs = kerasish.Input((3, 4))
    normalized = kerasish.layers.RMSNormalization(axis=[-2, -1])(inputs)
    as_op = kerasish.ops.rms_normalization(inputs, axis=-1)
    model = kerasish.Model(inputs, [normalized, as_op])
    assert normalized.shape == (None, 3, 4)
    x = np.random.default_rng(2).standard_normal((2, 3, 4)).astype("float32")
    first, second = model.predict(x, verbose=0)
    np.testing.assert_allclose(first, _reference(x, [1, 2], 1.0, 1e-6), atol=1e-6)
    np.testing.assert_allclose(second, _reference(x, [2], 1.0, 1e-7), atol=1e-6)
