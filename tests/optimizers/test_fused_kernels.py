"""Adam on torch's fused kernel gives Keras' update, and the layouts the kernel would misread
go through the foreach path instead."""

import numpy as np
import pytest
import torch

from kerasish import optimizers
from kerasish.optimizers import adam as adam_module
from kerasish.optimizers import fused_kernels

STEPS = 5


def _keras_adam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        vhat = np.maximum(vhat, v)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(vhat if amsgrad else v) + eps)
    return w


def _train(opt, params, grads_per_step):
    for grads in grads_per_step:
        opt.apply([g.clone() for g in grads], params)
    return [p.detach().clone() for p in params]


def _problem(rng, dtype=torch.float32):
    params = [
        torch.tensor(rng.standard_normal((6, 4)), dtype=dtype),
        torch.tensor(rng.standard_normal(4), dtype=dtype),
    ]
    grads = [
        [torch.tensor(rng.standard_normal(tuple(p.shape)), dtype=dtype) for p in params]
        for _ in range(STEPS)
    ]
    return params, grads


def _force_foreach(monkeypatch):
    monkeypatch.setattr(adam_module.fused_kernels, "fused_adam_supported", lambda tensor: False)


def test_fused_kernel_is_available_on_cpu():
    assert fused_kernels.fused_adam_supported(torch.zeros(2))
    assert not fused_kernels.fused_adam_supported(torch.zeros(2, dtype=torch.int64))


@pytest.mark.parametrize("amsgrad", [False, True])
def test_fused_adam_matches_keras_formula(rng, amsgrad):
    params, grads = _problem(rng)
    reference = [
        _keras_adam(p.double().numpy(), [g[i].double().numpy() for g in grads], amsgrad=amsgrad)
        for i, p in enumerate(params)
    ]
    calls = []
    original = torch._fused_adam_

    def spy(*args, **kwargs):
        calls.append(kwargs["eps"])
        return original(*args, **kwargs)

    torch._fused_adam_ = spy
    try:
        result = _train(optimizers.Adam(amsgrad=amsgrad), [p.clone() for p in params], grads)
    finally:
        torch._fused_adam_ = original
    assert len(calls) == STEPS
    # Keras' epsilon hat: torch's eps shrinks as the bias correction of v grows.
    assert calls[0] == pytest.approx(1e-7 / np.sqrt(1 - 0.999))
    assert calls[-1] == pytest.approx(1e-7 / np.sqrt(1 - 0.999**STEPS))
    for got, want in zip(result, reference):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.Adam(learning_rate=0.01),
        lambda: optimizers.Adam(amsgrad=True, beta_1=0.5),
        lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
        lambda: optimizers.Adam(gradient_accumulation_steps=2),
        lambda: optimizers.Adam(
            learning_rate=optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)
        ),
    ],
)
def test_fused_and_foreach_paths_agree(rng, monkeypatch, make):
    params, grads = _problem(rng)
    fused = _train(make(), [p.clone() for p in params], grads)
    _force_foreach(monkeypatch)
    foreach = _train(make(), [p.clone() for p in params], grads)
    for a, b in zip(fused, foreach):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_bfloat16_parameters_use_the_fused_kernel(rng):
    """The fused kernel does its arithmetic in float32 and rounds once per step, so bfloat16
    weights stay within bfloat16's resolution of the float64 result."""
    params, grads = _problem(rng, torch.bfloat16)
    want = [
        _keras_adam(p.double().numpy(), [g[i].double().numpy() for g in grads], lr=0.01)
        for i, p in enumerate(params)
    ]
    got = _train(optimizers.Adam(learning_rate=0.01), [p.clone() for p in params], grads)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.double().numpy(), b, rtol=1e-2, atol=1e-2)


def test_gradient_with_other_strides_than_its_parameter_is_not_misread(rng):
    """A transposed parameter and a contiguous gradient: the fused kernel would pair the wrong
    elements, so this step must take the foreach path and still be Keras' update."""
    base = torch.tensor(rng.standard_normal((4, 6)), dtype=torch.float32)
    param = base.t()  # (6, 4), not contiguous
    grads = [torch.tensor(rng.standard_normal((6, 4)), dtype=torch.float32) for _ in range(3)]
    want = _keras_adam(param.double().numpy(), [g.double().numpy() for g in grads], lr=0.1)
    opt = optimizers.Adam(learning_rate=0.1)
    for g in grads:
        opt.apply([g], [param])
    np.testing.assert_allclose(param.numpy(), want, rtol=1e-5, atol=1e-5)


def test_channels_last_parameter_changed_after_build_is_not_misread(rng):
    param = torch.tensor(rng.standard_normal((3, 2, 4, 4)), dtype=torch.float32)
    grads = [torch.tensor(rng.standard_normal((3, 2, 4, 4)), dtype=torch.float32) for _ in range(3)]
    want = _keras_adam(param.double().numpy(), [g.double().numpy() for g in grads], lr=0.1)
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build([param])
    param.data = param.data.contiguous(memory_format=torch.channels_last)  # slots stay contiguous
    for g in grads:
        opt.apply([g.contiguous(memory_format=torch.channels_last)], [param])
    np.testing.assert_allclose(param.numpy(), want, rtol=1e-5, atol=1e-5)


def test_share_dense_layout():
    a = torch.zeros(3, 4)
    assert fused_kernels.share_dense_layout([a], [torch.ones(3, 4)])
    assert not fused_kernels.share_dense_layout([a], [torch.zeros(4, 3).t()])
    assert fused_kernels.share_dense_layout([a.t()], [torch.zeros(3, 4).t()])  # dense, permuted
    strided = torch.zeros(3, 8)[:, ::2]  # gaps in the storage
    assert not fused_kernels.share_dense_layout([strided], [strided])
    cl = torch.zeros(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    assert fused_kernels.share_dense_layout([cl], [torch.zeros_like(cl)])
