"""Lamb against Keras' formula written out in float64 NumPy, its trust ratio's edge cases,
state layout and config."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import optimizers

STEPS = 4


def _lamb(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, wd=None):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if wd:
            w = w - w * wd * lr
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        update = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(update)
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        w = w - ratio * lr * update
    return w, m, v


@pytest.mark.parametrize("shape", [(3, 4), (5,), ()])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate": 0.05, "beta_1": 0.7, "beta_2": 0.9, "epsilon": 1e-3}],
)
def test_update_matches_the_keras_formula(rng, shape, kwargs):
    w0 = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(STEPS)]
    names = {"learning_rate": "lr", "beta_1": "b1", "beta_2": "b2", "epsilon": "eps"}
    w, m, v = _lamb(w0, grads, **{names[k]: value for k, value in kwargs.items()})
    param = torch.tensor(w0, dtype=torch.float32)
    opt = optimizers.Lamb(**kwargs)
    for g in grads:
        opt.apply([torch.tensor(g, dtype=torch.float32)], [param])
    np.testing.assert_allclose(param.numpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.variables[2].numpy(), m, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(opt.variables[3].numpy(), v, rtol=1e-5, atol=1e-7)


def test_trust_ratio_is_one_for_a_zero_weight_or_a_zero_update(rng):
    """A zero weight (a fresh bias) moves by the plain Adam-like step; a zero gradient moves
    nothing; a nonzero weight is rescaled, each by its own ratio in the same step."""
    w0 = [np.zeros(4), rng.standard_normal(3), rng.standard_normal((2, 3))]
    grads = [[rng.standard_normal(4), np.zeros(3), rng.standard_normal((2, 3))] for _ in range(3)]
    params = [torch.tensor(w, dtype=torch.float32) for w in w0]
    opt = optimizers.Lamb(learning_rate=0.1, weight_decay=0.2)
    for step in grads:
        opt.apply([torch.tensor(g, dtype=torch.float32) for g in step], params)
    for k in range(len(w0)):
        expected, _, _ = _lamb(w0[k], [step[k] for step in grads], lr=0.1, wd=0.2)
        np.testing.assert_allclose(params[k].numpy(), expected, rtol=1e-5, atol=1e-6)
    assert np.all(params[0].numpy() != 0)


def test_state_is_momentum_then_velocity_per_weight():
    opt = optimizers.Lamb()
    opt.build([torch.zeros(3, 4), torch.zeros(4)])
    assert [tuple(v.shape) for v in opt.variables] == [(), (), (3, 4), (3, 4), (4,), (4,)]
    assert opt.variable_slots()[2:] == [
        ("momentum", 0), ("velocity", 0), ("momentum", 1), ("velocity", 1)
    ]


def test_config_defaults_and_round_trip():
    config = optimizers.Lamb().get_config()
    assert {k: config[k] for k in ("beta_1", "beta_2", "epsilon")} == {
        "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7
    }
    opt = optimizers.Lamb(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6, clipvalue=1.0)
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert type(restored) is optimizers.Lamb
    assert restored.get_config() == opt.get_config()


@pytest.mark.parametrize("identifier", ["lamb", "Lamb", {"class_name": "Lamb", "config": {}}])
def test_get_by_name_and_config(identifier):
    assert type(optimizers.get(identifier)) is optimizers.Lamb
    assert kerasish.optimizers.Lamb is optimizers.Lamb


def test_apply_never_reads_a_device_value_on_the_host():
    params = [torch.zeros(3, 4, device="meta"), torch.zeros(4, device="meta")]
    opt = optimizers.Lamb(weight_decay=0.1, global_clipnorm=1.0)
    for _ in range(3):
        opt.apply([torch.ones(3, 4, device="meta"), torch.ones(4, device="meta")], params)
    assert all(v.device.type == "meta" for v in opt.variables)
