"""Each optimizer against its Keras formula written out in float64 NumPy, over a few steps."""

import numpy as np
import pytest
import torch

from kerasish import optimizers

STEPS = 4


def _run(opt, w0, grads):
    params = [torch.tensor(w0, dtype=torch.float32)]
    for g in grads:
        opt.apply([torch.tensor(g, dtype=torch.float32)], params)
    return params[0].numpy()


@pytest.fixture
def problem(rng):
    w0 = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(STEPS)]
    return w0, grads


def _sgd(w, grads, lr=0.01, momentum=0.0, nesterov=False):
    m = np.zeros_like(w)
    for g in grads:
        if momentum:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
        else:
            w = w - lr * g
    return w


def _rmsprop(w, grads, lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    v, mg, mom = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        den = v + eps
        if centered:
            mg = rho * mg + (1 - rho) * g
            den = v - mg * mg + eps
        inc = lr * g / np.sqrt(den)
        if momentum:
            mom = momentum * mom + inc
            w = w - mom
        else:
            w = w - inc
    return w


def _adam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if wd:
            w = w - w * wd * lr
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        if amsgrad:
            vhat = np.maximum(vhat, v)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(vhat if amsgrad else v) + eps)
    return w


def _adagrad(w, grads, lr=0.001, init=0.1, eps=1e-7):
    acc = np.full_like(w, init)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def _adadelta(w, grads, lr=0.001, rho=0.95, eps=1e-7):
    ag, ad = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        ag = rho * ag + (1 - rho) * g * g
        delta = -np.sqrt(ad + eps) * g / np.sqrt(ag + eps)
        ad = rho * ad + (1 - rho) * delta * delta
        w = w + lr * delta
    return w


def _adamax(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1**t) * (u + eps))
    return w


def _nadam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, schedule_decay=1.0):
    m, v, u_product = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, start=1):
        u_t = b1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))
        u_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * schedule_decay))
        u_product = u_product * u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def _ftrl(w, grads, lr=0.001, power=-0.5, init=0.1, l1=0.0, l2=0.0, l2s=0.0, beta=0.0):
    acc, lin = np.full_like(w, init), np.zeros_like(w)
    for g in grads:
        l2_reg = l2 + beta / (2 * lr)
        g_use = g + 2 * l2s * w
        new_acc = acc + g * g
        lin = lin + g_use - (new_acc ** (-power) - acc ** (-power)) / lr * w
        quad = new_acc ** (-power) / lr + 2 * l2_reg
        w = (np.clip(lin, -l1, l1) - lin) / quad
        acc = new_acc
    return w


def _lion(w, grads, lr=0.001, b1=0.9, b2=0.99):
    m = np.zeros_like(w)
    for g in grads:
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    return w


CASES = [
    (optimizers.SGD, {}, _sgd, {}),
    (optimizers.SGD, {"momentum": 0.9}, _sgd, {"momentum": 0.9}),
    (
        optimizers.SGD,
        {"momentum": 0.9, "nesterov": True},
        _sgd,
        {"momentum": 0.9, "nesterov": True},
    ),
    (optimizers.RMSprop, {}, _rmsprop, {}),
    (
        optimizers.RMSprop,
        {"momentum": 0.5, "centered": True},
        _rmsprop,
        {"momentum": 0.5, "centered": True},
    ),
    (optimizers.Adam, {}, _adam, {}),
    (optimizers.Adam, {"amsgrad": True}, _adam, {"amsgrad": True}),
    (optimizers.AdamW, {}, _adam, {"wd": 0.004}),
    (optimizers.Adagrad, {}, _adagrad, {}),
    (optimizers.Adadelta, {"learning_rate": 1.0}, _adadelta, {"lr": 1.0}),
    (optimizers.Adamax, {}, _adamax, {}),
    (optimizers.Nadam, {}, _nadam, {}),
    (optimizers.Nadam, {"schedule_decay": 0.004}, _nadam, {"schedule_decay": 0.004}),
    (optimizers.Nadam, {"decay": 0.004}, _nadam, {"schedule_decay": 0.004}),
    (optimizers.Ftrl, {}, _ftrl, {}),
    (
        optimizers.Ftrl,
        {
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.03,
            "beta": 0.1,
        },
        _ftrl,
        {"l1": 0.01, "l2": 0.02, "l2s": 0.03, "beta": 0.1},
    ),
    (optimizers.Lion, {}, _lion, {}),
]


@pytest.mark.parametrize("cls,kwargs,reference,ref_kwargs", CASES)
def test_update_rule_matches_the_keras_formula(problem, cls, kwargs, reference, ref_kwargs):
    w0, grads = problem
    received = _run(cls(**kwargs), w0, grads)
    expected = reference(w0.copy(), grads, **ref_kwargs)
    np.testing.assert_allclose(received, expected, rtol=2e-5, atol=2e-6)


def test_keras_defaults_differ_from_torch_optim():
    assert optimizers.SGD().get_config()["learning_rate"] == pytest.approx(0.01)
    rms = optimizers.RMSprop().get_config()
    assert (rms["learning_rate"], rms["rho"], rms["epsilon"]) == (
        pytest.approx(1e-3),
        0.9,
        1e-7,
    )
    assert optimizers.Adam().epsilon == 1e-7
    assert optimizers.AdamW().weight_decay == 0.004
    assert optimizers.Adadelta().get_config()["learning_rate"] == pytest.approx(1e-3)
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Lion().beta_2 == 0.99


def test_rmsprop_epsilon_is_inside_the_square_root():
    w = _run(optimizers.RMSprop(learning_rate=1.0, rho=0.0, epsilon=1.0), np.zeros(1), [[1.0]])
    np.testing.assert_allclose(w, [-1 / np.sqrt(2.0)], rtol=1e-6)


def test_epsilon_none_means_the_keras_default():
    for cls in (optimizers.Adam, optimizers.RMSprop, optimizers.Adagrad, optimizers.Nadam):
        assert cls(epsilon=None).epsilon == 1e-7


def test_argument_validation_messages():
    with pytest.raises(ValueError, match=r"`momentum` must be a float between \[0, 1\]"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="Argument `weight_decay` must be a float"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="`learning_rate_power` needs to be negative or zero"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="`initial_accumulator_value` needs to be positive"):
        optimizers.Ftrl(initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="Argument `beta_1` must be in the"):
        optimizers.Lion(beta_1=0.0)


def test_nadam_state_includes_the_momentum_product():
    opt = optimizers.Nadam()
    opt.build([torch.zeros(2)])
    assert opt.variable_slots()[-1] == ("u_product", None)
    assert float(opt.variables[-1]) == 1.0


def test_keras2_nadam_schedule_decay_round_trips():
    opt = optimizers.Nadam(schedule_decay=0.004)
    restored = optimizers.Nadam.from_config(opt.get_config())
    assert restored.schedule_decay == 0.004
    assert "schedule_decay" not in optimizers.Nadam().get_config()


@pytest.mark.parametrize("cls", [optimizers.Adam, optimizers.SGD, optimizers.Lion])
def test_float64_parameters_update_in_float64(cls, problem):
    w0, grads = problem
    params = [torch.tensor(w0)]
    opt = cls(learning_rate=0.1)
    for g in grads:
        opt.apply([torch.tensor(g)], params)
    assert params[0].dtype == torch.float64
    assert not np.allclose(params[0].numpy(), w0)
