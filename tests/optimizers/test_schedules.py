"""Learning-rate schedules: Keras' formulas, tensor steps, configs."""

import math

import numpy as np
import pytest
import torch

from kerasish import optimizers
from kerasish.optimizers import schedules


def _values(schedule, steps):
    return np.array([float(schedule(torch.tensor(s))) for s in steps])


STEPS = range(0, 30)


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    np.testing.assert_allclose(_values(s, STEPS), [0.1 * 0.5 ** (t / 4) for t in STEPS], rtol=1e-6)
    s = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose(_values(s, STEPS), [0.1 * 0.5 ** (t // 4) for t in STEPS], rtol=1e-6)


def test_piecewise_constant_decay_boundaries_are_inclusive_on_the_left_piece():
    s = schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    expected = [1.0 if t <= 5 else 0.5 if t <= 10 else 0.1 for t in STEPS]
    np.testing.assert_allclose(_values(s, STEPS), expected, rtol=1e-6)


def test_piecewise_constant_decay_length_check():
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less"):
        schedules.PiecewiseConstantDecay([1], [1.0, 2.0, 3.0])


def test_polynomial_decay():
    s = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)
    expected = [(0.1 - 0.01) * (1 - min(t, 10) / 10) ** 2 + 0.01 for t in STEPS]
    np.testing.assert_allclose(_values(s, STEPS), expected, rtol=1e-5)


def test_polynomial_decay_cycle():
    s = schedules.PolynomialDecay(0.1, decay_steps=10, cycle=True)

    def expected(t):
        horizon = 10 * (1 if t == 0 else math.ceil(t / 10))
        return (0.1 - 0.0001) * (1 - t / horizon) + 0.0001

    np.testing.assert_allclose(_values(s, STEPS), [expected(t) for t in STEPS], rtol=1e-5)


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.5)
    np.testing.assert_allclose(
        _values(s, STEPS), [0.1 / (1 + 0.5 * t / 3) for t in STEPS], rtol=1e-6
    )
    s = schedules.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose(
        _values(s, STEPS), [0.1 / (1 + 0.5 * (t // 3)) for t in STEPS], rtol=1e-6
    )


def test_cosine_decay():
    s = schedules.CosineDecay(0.1, decay_steps=20, alpha=0.1)

    def expected(t):
        cosine = 0.5 * (1 + math.cos(math.pi * min(t, 20) / 20))
        return 0.1 * ((1 - 0.1) * cosine + 0.1)

    np.testing.assert_allclose(_values(s, STEPS), [expected(t) for t in STEPS], rtol=1e-5)


def test_cosine_decay_with_warmup():
    s = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)

    def expected(t):
        t = min(t, 15)
        if t < 5:
            return 0.1 * t / 5
        return 0.1 * 0.5 * (1 + math.cos(math.pi * (t - 5) / 10))

    np.testing.assert_allclose(
        _values(s, STEPS), [expected(t) for t in STEPS], rtol=1e-5, atol=1e-8
    )


def test_cosine_decay_restarts():
    s = schedules.CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=2.0, m_mul=0.5)
    # Periods of 4, 8, 16 steps, each half as high as the one before.
    starts = [0, 4, 12, 28]

    def expected(t):
        i = max(k for k, start in enumerate(starts) if start <= t)
        fraction = (t - starts[i]) / (4 * 2**i)
        return 0.1 * 0.5**i * 0.5 * (1 + math.cos(math.pi * fraction))

    np.testing.assert_allclose(
        _values(s, STEPS), [expected(t) for t in STEPS], rtol=1e-4, atol=1e-7
    )


def test_cosine_decay_restarts_constant_periods():
    s = schedules.CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=1.0)
    expected = [0.1 * 0.5 * (1 + math.cos(math.pi * (t % 4) / 4)) for t in STEPS]
    np.testing.assert_allclose(_values(s, STEPS), expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(
    "cls,kwargs,argument",
    [
        (schedules.ExponentialDecay, {"decay_rate": 0.5}, "decay_steps"),
        (schedules.InverseTimeDecay, {"decay_rate": 0.5}, "decay_steps"),
        (schedules.PolynomialDecay, {}, "decay_steps"),
        (schedules.CosineDecay, {}, "decay_steps"),
        (schedules.CosineDecayRestarts, {}, "first_decay_steps"),
    ],
)
def test_steps_must_be_positive(cls, kwargs, argument):
    with pytest.raises(ValueError, match=f"Argument `{argument}` must be > 0"):
        cls(0.1, 0, **kwargs)


def test_works_on_python_ints_and_keeps_the_step_device():
    s = schedules.ExponentialDecay(0.1, 2, 0.5)
    assert float(s(2)) == pytest.approx(0.05)
    assert s(torch.tensor(3, device="meta")).device.type == "meta"
    assert s(torch.tensor(3)).dtype == torch.float32


SCHEDULES = [
    schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True, name="e"),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 10, 0.001, power=0.5, cycle=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    assert config["class_name"] == type(schedule).__name__
    restored = schedules.deserialize(config)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    np.testing.assert_array_equal(_values(restored, STEPS), _values(schedule, STEPS))


def test_deserialize_tf_keras_form_and_unknown_names():
    restored = schedules.deserialize(
        {
            "class_name": "ExponentialDecay",
            "config": {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5},
        }
    )
    assert isinstance(restored, schedules.ExponentialDecay)
    with pytest.raises(ValueError, match="Unknown decay: 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


def test_base_class_must_be_overridden():
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(1)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedules.LearningRateSchedule().get_config()


def test_custom_schedule_drives_the_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 * torch.pow(0.5, torch.as_tensor(step).float())

        def get_config(self):
            return {}

    params = [torch.zeros(1)]
    opt = optimizers.SGD(learning_rate=Halving())
    for _ in range(3):
        opt.apply([torch.ones(1)], params)
    np.testing.assert_allclose(params[0].numpy(), [-(1 + 0.5 + 0.25)])
