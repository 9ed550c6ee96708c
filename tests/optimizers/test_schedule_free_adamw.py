"""ScheduleFreeAdamW: the first steps by hand, warmup, the momentum's initial copy, configs and
no host sync."""

import pytest
import torch

from kerasish import optimizers


def _reference_steps(y, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup=0):
    """The Keras torch-backend arithmetic (the average is recovered with the updated z)."""
    z, v = y.clone(), torch.zeros_like(y)
    for t, g in enumerate(grads, 1):
        step_lr = lr * min(t / warmup, 1.0) if warmup else lr
        v = v + (g * g - v) * (1 - beta_2)
        z = z - step_lr * g / (torch.sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1
        x = (1 - 1 / t) * x + (1 / t) * z
        y = (1 - beta_1) * z + beta_1 * x
    return y, z, v


@pytest.mark.parametrize("warmup", [0, 3])
def test_steps_follow_the_schedule_free_update(warmup):
    torch.manual_seed(0)
    initial = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(4)]
    variable = initial.clone()
    opt = optimizers.ScheduleFreeAdamW(learning_rate=0.1, warmup_steps=warmup)
    opt.build([variable])
    torch.testing.assert_close(opt.variables[2], initial)  # momentum starts as the weight
    for g in grads:
        opt.apply([g], [variable])
    y, z, v = _reference_steps(initial, grads, 0.1, warmup=warmup)
    torch.testing.assert_close(variable, y, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(opt.variables[2], z, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(opt.variables[3], v, atol=1e-6, rtol=1e-5)


def test_defaults_and_config_round_trip():
    opt = optimizers.ScheduleFreeAdamW()
    config = opt.get_config()
    assert config["learning_rate"] == pytest.approx(0.0025)
    assert (config["beta_1"], config["beta_2"], config["epsilon"], config["warmup_steps"]) == (0.9, 0.999, 1e-8, 0)
    assert config["weight_decay"] is None
    again = optimizers.deserialize(optimizers.serialize(optimizers.ScheduleFreeAdamW(warmup_steps=5)))
    assert isinstance(again, optimizers.ScheduleFreeAdamW) and again.warmup_steps == 5
    assert isinstance(optimizers.get("schedulefreeadamw"), optimizers.ScheduleFreeAdamW)


def test_apply_never_reads_a_device_value_on_the_host():
    params = [torch.zeros(3, 4, device="meta"), torch.zeros(4, device="meta")]
    opt = optimizers.ScheduleFreeAdamW(warmup_steps=2, weight_decay=0.1, use_ema=True)
    for _ in range(3):
        opt.apply([torch.ones(3, 4, device="meta"), torch.ones(4, device="meta")], params)
    assert all(v.device.type == "meta" for v in opt.variables)
