import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers
from kerasish.layers.einsum_dense import analyze_equation


@pytest.mark.parametrize(
    "equation, output_shape, bias_axes, input_shape, kernel, bias, output",
    [
        ("ab,bc->ac", 64, "c", (None, 32), (32, 64), (64,), (None, 64)),
        # Keras leaves an output axis given as None unknown, even when the input knows it.
        ("abc,cd->abd", (None, 64), "d", (None, 32, 128), (128, 64), (64,), (None, None, 64)),
        ("abc,cd->abd", (32, 64), "d", (None, 32, 128), (128, 64), (64,), (None, 32, 64)),
        ("...b,bc->...c", 64, "c", (None, 32, 128), (128, 64), (64,), (None, 32, 64)),
        ("abc,cde->abde", (5, 2, 8), "de", (None, 5, 16), (16, 2, 8), (2, 8), (None, 5, 2, 8)),
        ("abc,cde->abde", (None, 2, 8), "e", (None, 5, 16), (16, 2, 8), (8,), (None, None, 2, 8)),
        ("ab...,bc->ac...", 4, "c", (None, 6, 2, 3), (6, 4), (4, 1, 1), (None, 4, 2, 3)),
        ("abcd,cde->abe", (3, 7), None, (None, 3, 4, 5), (4, 5, 7), None, (None, 3, 7)),
    ],
)
def test_shapes_follow_the_equation(equation, output_shape, bias_axes, input_shape, kernel, bias, output):
    analysis = analyze_equation(equation, bias_axes, input_shape, output_shape)
    assert analysis.kernel_shape == kernel
    assert analysis.bias_shape == bias
    assert analysis.output_shape == output
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    assert layer(keras.Input(input_shape[1:])).shape == output
    assert [w.shape for w in layer.weights] == [kernel] + ([bias] if bias else [])


def test_values_are_the_einsum():
    layer = layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", activation="relu")
    layer.build((None, 4, 5))
    kernel = np.random.default_rng(0).standard_normal((5, 2, 3)).astype("float32")
    bias = np.random.default_rng(1).standard_normal((2, 3)).astype("float32")
    layer.set_weights([kernel, bias])
    x = np.random.default_rng(2).standard_normal((3, 4, 5)).astype("float32")
    expected = np.maximum(np.einsum("abc,cde->abde", x, kernel) + bias, 0)
    np.testing.assert_allclose(layer(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5)
    assert sorted(layer.state_dict()) == ["bias", "kernel"]  # Keras layout, Keras names


def test_variance_scaling_fans_are_einsum_axes():
    torch.manual_seed(0)
    layer = layers.EinsumDense("ab,bcd->acd", (64, 32), kernel_initializer="he_uniform")
    layer.build((None, 16))
    kernel = layer.get_weights()[0]
    limit = np.sqrt(6 / 16)  # fan_in = 16 (the input axis), not 64 * 16 as a conv kernel
    assert kernel.shape == (16, 64, 32)
    assert limit * 0.95 < np.abs(kernel).max() <= limit


@pytest.mark.parametrize(
    "equation, output_shape, bias_axes, message",
    [
        ("ab,bc->ad", 4, None, "Dimension 'd' was specified in the output"),
        ("ab,bcx->ac", 4, None, "Weight dimension 'x' did not have a match"),
        ("ab,bc->ac", 4, "x", "Bias dimension 'x' was requested"),
        ("abc,cd->abd", (5, 4), None, "do not match at shared dimension 'b'"),
        ("ab,bc", 4, None, "Invalid einsum equation"),
    ],
)
def test_errors(equation, output_shape, bias_axes, message):
    with pytest.raises(ValueError, match=message):
        layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)(keras.Input((3, 6)[: 2 if "abc" in equation else 1]))


def test_config_round_trip_and_unsupported_options():
    layer = layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", activation="relu", kernel_regularizer="l2")
    config = layer.get_config()
    assert config["output_shape"] == (4,) and config["equation"] == "ab,bc->ac"
    assert "quantization_config" not in config  # tf.keras' EinsumDense refuses the key
    # (written once the layer is quantized: tests/layers/test_quantization.py)
    assert layers.EinsumDense.from_config(config).get_config() == config
    assert "lora_rank" not in config  # written only when LoRA is on (tests/layers/test_lora.py)
    with pytest.raises(ValueError, match="quantizer identifier"):
        layers.EinsumDense("ab,bc->ac", 4, quantization_config={"mode": "int8"})
    assert layers.EinsumDense("ab,bc->ac", 4, lora_rank=None, quantization_config=None).equation
