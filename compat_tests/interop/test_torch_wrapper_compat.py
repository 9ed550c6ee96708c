"""TorchModuleWrapper side by side with Keras 3's, wrapping copies of the same torch module."""

from __future__ import annotations

import copy

import keras
import numpy as np
import torch

import kerasish


def _module() -> torch.nn.Module:
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Tanh())
    module[0].bias.requires_grad_(False)
    with torch.no_grad():
        module[1].running_mean.uniform_(-0.5, 0.5)
        module[1].running_var.uniform_(0.5, 1.5)
    return module


def _pair():
    module = _module()
    k_in = keras.Input((4,))
    k_wrapped = keras.layers.TorchModuleWrapper(copy.deepcopy(module), output_shape=(None, 3))
    k_model = keras.Model(k_in, keras.layers.Dense(2)(k_wrapped(k_in)))
    m_in = kerasish.Input((4,))
    m_wrapped = kerasish.layers.TorchModuleWrapper(copy.deepcopy(module))
    m_model = kerasish.Model(m_in, kerasish.layers.Dense(2)(m_wrapped(m_in)))
    m_model.set_weights(k_model.get_weights())
    return k_model, m_model, k_wrapped, m_wrapped


def test_weights_order_counts_and_outputs_match(rng):
    k_model, m_model, k_wrapped, m_wrapped = _pair()
    assert m_model.count_params() == k_model.count_params()
    assert m_wrapped.count_params() == k_wrapped.count_params()
    assert len(m_model.trainable_weights) == len(k_model.trainable_weights)
    assert len(m_model.non_trainable_weights) == len(k_model.non_trainable_weights)
    for got, want in zip(m_wrapped.get_weights(), k_wrapped.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert m_wrapped.compute_output_shape((None, 4)) == tuple(k_wrapped.compute_output_shape((None, 4)))
    x = rng.random((6, 4), dtype=np.float32)
    np.testing.assert_allclose(
        m_model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5, rtol=0
    )


def test_set_weights_in_keras_order_reaches_the_module():
    k_model, m_model, k_wrapped, m_wrapped = _pair()
    new = [w + 1.0 for w in k_wrapped.get_weights()]
    k_wrapped.set_weights(new)
    m_wrapped.set_weights(new)
    for k_param, m_param in zip(k_wrapped.module.parameters(), m_wrapped.module.parameters()):
        torch.testing.assert_close(m_param, k_param.detach().cpu())


def test_fit_updates_the_module_like_keras(rng):
    k_model, m_model, _, m_wrapped = _pair()
    x = rng.random((32, 4), dtype=np.float32)
    y = rng.random((32, 2), dtype=np.float32)
    k_model.compile(keras.optimizers.SGD(0.1), "mse")
    m_model.compile(kerasish.optimizers.SGD(0.1), "mse")
    k_history = k_model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    m_history = m_model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(m_history.history["loss"], k_history.history["loss"], atol=1e-5)
    for got, want in zip(m_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    # BatchNorm ran in training mode in both (its running statistics moved the same way).
    k_bn = k_model.layers[1].module[1]
    torch.testing.assert_close(m_wrapped.module[1].running_mean, k_bn.running_mean.cpu(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(
        m_model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5, rtol=0
    )


def test_config_keys_match_keras():
    _, _, k_wrapped, m_wrapped = _pair()
    k_config, m_config = k_wrapped.get_config(), m_wrapped.get_config()
    assert set(m_config) == set(k_config)
    # Both pickle the module with torch.save; Keras' string unpickles into kerasish's layer.
    restored = kerasish.layers.TorchModuleWrapper.from_config(
        {**k_config, "dtype": "float32"}, safe_mode=False
    )
    for got, want in zip(restored.module.state_dict().values(), k_wrapped.module.state_dict().values()):
        torch.testing.assert_close(got, want.cpu())


def test_per_layer_stores_are_interchangeable_with_keras():
    _, _, k_wrapped, m_wrapped = _pair()
    with torch.no_grad():
        for param in k_wrapped.module.parameters():
            param.add_(0.5)
    k_store: dict = {}
    k_wrapped.save_own_variables(k_store)
    m_wrapped.load_own_variables(k_store)
    m_store: dict = {}
    m_wrapped.save_own_variables(m_store)
    assert sorted(m_store) == sorted(k_store)
    for key in k_store:
        np.testing.assert_array_equal(m_store[key], np.asarray(k_store[key]))
