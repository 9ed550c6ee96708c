"""Mixed precision side by side with Keras 3 (CPU, bfloat16): policies, output dtypes, values
within bfloat16 tolerance, and the LossScaleOptimizer's dynamic scale."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

import kerasish

# bfloat16 keeps 8 significant bits: two roundings of values near 1 differ by up to 2**-7.
BF16_ATOL = 2.0**-6


@pytest.fixture(autouse=True)
def _float32_afterwards():
    yield
    keras.mixed_precision.set_global_policy("float32")
    kerasish.mixed_precision.set_global_policy(None)


def _both(policy: str) -> None:
    keras.mixed_precision.set_global_policy(policy)
    kerasish.mixed_precision.set_global_policy(policy)


def _mlp(lib, head_dtype=None):
    inputs = lib.Input((8,))
    x = lib.layers.Dense(16, activation="relu")(inputs)
    x = lib.layers.Dense(16, activation="tanh")(x)
    outputs = lib.layers.Dense(3, activation="softmax", dtype=head_dtype)(x)
    return lib.Model(inputs, outputs)


@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16", "float32", "float64", "bfloat16"])
def test_policies_match(name):
    k, m = keras.mixed_precision.Policy(name), kerasish.mixed_precision.Policy(name)
    assert (m.name, m.compute_dtype, m.variable_dtype) == (k.name, k.compute_dtype, k.variable_dtype)
    assert repr(m) == repr(k)
    k_layer, m_layer = keras.layers.Dense(2, dtype=name), kerasish.layers.Dense(2, dtype=name)
    assert (m_layer.dtype, m_layer.compute_dtype, m_layer.variable_dtype) == (
        k_layer.dtype,
        k_layer.compute_dtype,
        k_layer.variable_dtype,
    )


def test_invalid_policy_message_matches():
    with pytest.raises(ValueError) as k_error:
        keras.mixed_precision.Policy("mixed_half")
    with pytest.raises(ValueError) as m_error:
        kerasish.mixed_precision.Policy("mixed_half")
    assert str(m_error.value) == str(k_error.value)


@pytest.mark.parametrize("head_dtype", [None, "float32"])
def test_mixed_bfloat16_mlp_matches_keras(rng, head_dtype):
    _both("mixed_bfloat16")
    k_model, m_model = _mlp(keras, head_dtype), _mlp(kerasish, head_dtype)
    m_model.set_weights(k_model.get_weights())
    assert m_model.output.dtype == k_model.output.dtype
    assert [v.dtype for v in m_model.weights] == [str(v.dtype) for v in k_model.weights]
    x = rng.random((16, 8), dtype=np.float32)
    expected, received = k_model.predict(x, verbose=0), m_model.predict(x, verbose=0)
    assert received.dtype == expected.dtype
    np.testing.assert_allclose(
        received.astype(np.float32), expected.astype(np.float32), atol=BF16_ATOL, rtol=0
    )
    k_out, m_out = k_model(torch.from_numpy(x)), m_model(torch.from_numpy(x))
    assert m_out.dtype == k_out.dtype


def test_mixed_bfloat16_conv_and_lstm_match_keras(rng):
    _both("mixed_bfloat16")

    def build(lib):
        images = lib.Input((6, 6, 2))
        x = lib.layers.Conv2D(3, 3, activation="relu")(images)
        x = lib.layers.BatchNormalization()(x)
        x = lib.layers.Reshape((4, 12))(x)
        x = lib.layers.LSTM(4)(x)
        return lib.Model(images, lib.layers.Dense(2)(x))

    k_model, m_model = build(keras), build(kerasish)
    weights = [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in k_model.get_weights()]
    weights[5] = np.abs(weights[5]) + 0.5  # moving variance
    k_model.set_weights(weights)
    m_model.set_weights(weights)
    x = rng.random((8, 6, 6, 2), dtype=np.float32)
    expected, received = k_model.predict(x, verbose=0), m_model.predict(x, verbose=0)
    assert received.dtype == expected.dtype
    np.testing.assert_allclose(
        received.astype(np.float32), expected.astype(np.float32), atol=BF16_ATOL, rtol=0
    )


def test_compile_wraps_in_loss_scale_optimizer_like_keras():
    _both("mixed_float16")
    k_model, m_model = _mlp(keras, "float32"), _mlp(kerasish, "float32")
    k_model.compile("sgd", "mse")
    m_model.compile("sgd", "mse")
    assert type(m_model.optimizer).__name__ == type(k_model.optimizer).__name__
    assert m_model.optimizer.name == k_model.optimizer.name
    _both("mixed_bfloat16")
    k_model, m_model = _mlp(keras), _mlp(kerasish)
    k_model.compile("sgd", "mse")
    m_model.compile("sgd", "mse")
    assert type(m_model.optimizer).__name__ == type(k_model.optimizer).__name__ == "SGD"


def test_loss_scale_optimizer_matches_keras():
    k_var = keras.Variable(np.ones(3, np.float32))
    m_var = torch.nn.Parameter(torch.ones(3))
    k_opt = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1, momentum=0.5), initial_scale=4.0, dynamic_growth_steps=2
    )
    m_opt = kerasish.mixed_precision.LossScaleOptimizer(
        kerasish.optimizers.SGD(0.1, momentum=0.5), initial_scale=4.0, dynamic_growth_steps=2
    )
    steps = [[2.0, 4.0, 8.0], [1.0, 1.0, 1.0], [np.inf, 1.0, 1.0], [3.0, -2.0, 0.5], [np.nan, 0, 0]]
    for values in steps:
        grad = np.asarray(values, np.float32)
        k_opt.apply([keras.ops.convert_to_tensor(grad)], [k_var])
        m_opt.apply([torch.from_numpy(grad.copy())], [m_var])
        np.testing.assert_allclose(m_var.detach().numpy(), keras.ops.convert_to_numpy(k_var), atol=1e-6)
        assert float(m_opt.dynamic_scale) == float(keras.ops.convert_to_numpy(k_opt.dynamic_scale))
        assert int(m_opt.step_counter) == int(keras.ops.convert_to_numpy(k_opt.step_counter))
        assert int(m_opt.iterations) == int(keras.ops.convert_to_numpy(k_opt.iterations))
    loss = torch.tensor(1.5)
    assert float(m_opt.scale_loss(loss)) == float(keras.ops.convert_to_numpy(k_opt.scale_loss(loss)))


def test_a_kerasish_mixed_model_file_loads_in_keras(rng, tmp_path):
    kerasish.mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp(kerasish, head_dtype="float32")
    kerasish.mixed_precision.set_global_policy(None)
    path = str(tmp_path / "mixed.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [layer.dtype_policy.name for layer in loaded.layers[1:]] == [
        layer.dtype_policy.name for layer in model.layers[1:]
    ]
    x = rng.random((6, 8), dtype=np.float32)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=BF16_ATOL, rtol=0
    )


def test_a_keras_mixed_model_file_loads_in_kerasish(rng, tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp(keras, head_dtype="float32")
    keras.mixed_precision.set_global_policy("float32")
    path = str(tmp_path / "mixed.keras")
    model.save(path)
    loaded = kerasish.models.load_model(path)
    assert [layer.dtype_policy.name for layer in loaded.layers[1:]] == [
        layer.dtype_policy.name for layer in model.layers[1:]
    ]
    assert loaded.output.dtype == "float32" and loaded.layers[1].compute_dtype == "bfloat16"
    x = rng.random((6, 8), dtype=np.float32)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=BF16_ATOL, rtol=0
    )
