"""Optimizers side by side with Keras 3 (torch backend): same variables and gradients in, same
variables out after every step; same state layout, configs and schedule values."""

import warnings

import keras
import numpy as np
import pytest
import torch

from kerasish import optimizers

SHAPES = [(3, 4), (4,), (2, 2, 3)]
STEPS = 5

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Ftrl", {}),
    (
        "Ftrl",
        {
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.01,
            "beta": 0.1,
        },
    ),
    ("Lion", {}),
    ("Adam", {"clipnorm": 0.5}),
    ("SGD", {"global_clipnorm": 0.5, "momentum": 0.5}),
    ("RMSprop", {"clipvalue": 0.3}),
    ("SGD", {"weight_decay": 0.1, "learning_rate": 0.1}),
    ("Adam", {"weight_decay": 0.05}),
    ("Adam", {"use_ema": True, "ema_overwrite_frequency": 3}),
    ("Adam", {"gradient_accumulation_steps": 2}),
    ("SGD", {"momentum": 0.9, "gradient_accumulation_steps": 2, "use_ema": True}),
    ("Adam", {"loss_scale_factor": 4.0}),
    ("SGD", {"learning_rate": "exponential"}),
    ("Adam", {"learning_rate": "cosine_warmup", "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": "piecewise"}),
]


def _schedule(module, kind):
    s = module.optimizers.schedules if module is keras else module.schedules
    if kind == "exponential":
        return s.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.7)
    if kind == "cosine_warmup":
        return s.CosineDecay(0.001, decay_steps=4, warmup_target=0.01, warmup_steps=2)
    return s.PiecewiseConstantDecay([1, 3], [0.01, 0.005, 0.001])


def _make(module, name, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), str):
        kwargs["learning_rate"] = _schedule(module, kwargs["learning_rate"])
    cls = getattr(module.optimizers if module is keras else module, name)
    return cls(**kwargs)


def _problem(rng):
    initial = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    grads = [[rng.standard_normal(s).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    return initial, grads


@pytest.mark.parametrize("name,kwargs", CASES, ids=lambda c: str(c))
def test_same_variables_after_each_step(rng, name, kwargs):
    initial, grads = _problem(rng)
    keras_vars = [keras.Variable(a.copy()) for a in initial]
    params = [torch.tensor(a.copy(), requires_grad=True) for a in initial]
    keras_opt = _make(keras, name, kwargs)
    opt = _make(optimizers, name, kwargs)
    for step_grads in grads:
        keras_opt.apply_gradients(
            zip([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
        )
        opt.apply_gradients(zip([torch.tensor(g) for g in step_grads], params))
        for expected, received in zip(keras_vars, params):
            np.testing.assert_allclose(
                received.detach().numpy(), expected.numpy(), rtol=1e-6, atol=1e-6
            )
    # The optimizer state agrees too (positionally, as `.keras` files store it).
    assert len(opt.variables) == len(keras_opt.variables)
    for expected, received in zip(keras_opt.variables, opt.variables):
        assert tuple(received.shape) == tuple(expected.shape)
        np.testing.assert_allclose(
            received.detach().numpy().astype("float64"),
            np.asarray(expected.numpy(), "float64"),
            rtol=2e-6,
            atol=1e-6,
        )


ORDER_CASES = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "use_ema": True, "gradient_accumulation_steps": 2}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Ftrl", {}),
    ("Lion", {}),
    ("Adagrad", {}),
    ("Adam", {"learning_rate": "exponential"}),
]


def test_variables_order_and_shapes_match_keras(rng):
    for name, kwargs in ORDER_CASES:
        _check_variables_order(rng, name, kwargs)


def _check_variables_order(rng, name, kwargs):
    initial, _ = _problem(rng)
    keras_opt = _make(keras, name, kwargs)
    keras_opt.build([keras.Variable(a) for a in initial])
    opt = _make(optimizers, name, kwargs)
    opt.build([torch.tensor(a) for a in initial])
    expected = [(v.name, tuple(v.shape)) for v in keras_opt.variables]
    received = [(slot, tuple(v.shape)) for (slot, _), v in zip(opt.variable_slots(), opt.variables)]
    assert [shape for _, shape in received] == [shape for _, shape in expected]
    # Keras names slots "<variable>_<slot>"; kerasish keeps the slot part and the parameter index.
    for (keras_name, _), (slot, _) in zip(expected, received):
        if keras_name not in ("iteration", "learning_rate") and slot != "u_product":
            assert keras_name.endswith("_" + slot)


NAMES = [
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Ftrl",
    "Lion",
]


def test_default_configs_equal_keras():
    for name in NAMES:
        keras_config = getattr(keras.optimizers, name)().get_config()
        config = getattr(optimizers, name)().get_config()
        assert config == keras_config, name


def test_serialized_configs_load_both_ways():
    for name in NAMES:
        _check_serialized_both_ways(name)


def _check_serialized_both_ways(name):
    kwargs = {"clipnorm": 1.0} if name != "Ftrl" else {"beta": 0.5}
    ours = getattr(optimizers, name)(learning_rate=0.05, **kwargs)
    in_keras = keras.optimizers.deserialize(optimizers.serialize(ours))
    assert in_keras.get_config() == ours.get_config()
    theirs = getattr(keras.optimizers, name)(learning_rate=0.05, **kwargs)
    back = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert back.get_config() == theirs.get_config()


def test_schedule_config_matches_keras():
    ours = optimizers.Adam(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    theirs = keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    )
    assert ours.get_config() == theirs.get_config()
    loaded = keras.optimizers.deserialize(optimizers.serialize(ours))
    assert isinstance(loaded.learning_rate, torch.Tensor)


SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8}),
    (
        "ExponentialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8, "staircase": True},
    ),
    ("PiecewiseConstantDecay", {"boundaries": [5, 10, 15], "values": [0.1, 0.05, 0.01, 0.001]}),
    ("PiecewiseConstantDecay", {"boundaries": [5.5], "values": [1, 2]}),
    (
        "PolynomialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": 0.01, "power": 2.0},
    ),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
    (
        "InverseTimeDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5, "staircase": True},
    ),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20, "alpha": 0.1}),
    (
        "CosineDecay",
        {"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 5},
    ),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4}),
    (
        "CosineDecayRestarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 4,
            "t_mul": 1.0,
            "m_mul": 0.5,
            "alpha": 0.1,
        },
    ),
]


def test_schedule_values_and_configs_match_keras():
    for name, kwargs in SCHEDULES:
        _check_schedule(name, kwargs)


def _check_schedule(name, kwargs):
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(optimizers.schedules, name)(**kwargs)
    steps = range(40)
    expected = [float(keras.ops.convert_to_numpy(theirs(s))) for s in steps]
    received = [float(ours(torch.tensor(s))) for s in steps]
    np.testing.assert_allclose(received, expected, rtol=1e-6, atol=1e-9)
    assert ours.get_config() == theirs.get_config()
    assert optimizers.schedules.serialize(ours) == keras.optimizers.schedules.serialize(theirs)


def test_learning_rate_property_and_setter_match_keras():
    theirs, ours = keras.optimizers.SGD(learning_rate=0.1), optimizers.SGD(learning_rate=0.1)
    theirs.learning_rate = 0.02
    ours.learning_rate = 0.02
    assert ours.learning_rate == float(theirs.learning_rate.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_theirs = keras.optimizers.SGD(
            learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
        )
    s_ours = optimizers.SGD(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 1, 0.5))
    for opt in (s_theirs, s_ours):
        with pytest.raises(TypeError, match="not settable"):
            opt.learning_rate = 0.1
