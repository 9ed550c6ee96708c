"""SpectralNormalization: sigma of the Keras-layout kernel, in-place update, weights and config."""

import numpy as np
import pytest
import torch

import kerasish


def _wrapped(layer, shape, iterations=1):
    sn = kerasish.layers.SpectralNormalization(layer, power_iterations=iterations)
    sn.build(shape)
    return sn


def test_many_iterations_make_the_spectral_norm_one(rng):
    sn = _wrapped(kerasish.layers.Conv2D(4, 3), (None, 6, 6, 2), iterations=200)
    weight = sn.layer.weight
    x = torch.from_numpy(rng.standard_normal((1, 6, 6, 2)).astype("float32"))
    sn(x, training=True)
    kernel = sn.layer.kernel.detach().numpy().reshape(-1, 4)
    assert np.linalg.norm(kernel, 2) == pytest.approx(1.0, abs=1e-4)
    assert sn.layer.weight is weight  # the wrapped layer's parameter was written in place


def test_inference_leaves_the_kernel_and_u_alone(rng):
    sn = _wrapped(kerasish.layers.Dense(3), (None, 4))
    before = [w.copy() for w in sn.get_weights()]
    out = sn(torch.from_numpy(rng.standard_normal((2, 4)).astype("float32")))
    assert out.shape == (2, 3)
    for got, want in zip(sn.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_training_updates_u_and_kernel_without_grad_through_sigma(rng):
    sn = _wrapped(kerasish.layers.Dense(3), (None, 4))
    u_before = sn.vector_u.clone()
    x = torch.from_numpy(rng.standard_normal((2, 4)).astype("float32"))
    sn(x, training=True).sum().backward()
    assert not torch.equal(sn.vector_u, u_before)
    np.testing.assert_allclose(sn.layer.weight.grad.numpy(), np.tile(x.sum(0).numpy(), (3, 1)))


def test_weights_order_and_trainability():
    sn = _wrapped(kerasish.layers.Dense(3), (None, 4))
    assert [(w.name, w.shape) for w in sn.weights] == [
        ("kernel", (4, 3)), ("vector_u", (1, 3)), ("bias", (3,))
    ]
    assert [w.name for w in sn.trainable_weights] == ["kernel", "bias"]
    assert [w.name for w in sn.non_trainable_weights] == ["vector_u"]
    assert len(list(sn.parameters())) == 2


def test_config_round_trip_and_errors():
    sn = kerasish.layers.SpectralNormalization(kerasish.layers.Dense(2), power_iterations=4)
    clone = kerasish.layers.SpectralNormalization.from_config(sn.get_config())
    assert clone.power_iterations == 4 and clone.layer.units == 2
    with pytest.raises(ValueError, match="power_iterations"):
        kerasish.layers.SpectralNormalization(kerasish.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        _wrapped(kerasish.layers.Flatten(), (None, 3))


def test_lora_layer_is_refused():
    dense = kerasish.layers.Dense(3, lora_rank=2)
    with pytest.raises(NotImplementedError, match="LoRA-enabled"):
        _wrapped(dense, (None, 4))
