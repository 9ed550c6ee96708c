"""Muon and ScheduleFreeAdamW side by side with Keras 3 (torch backend): the same weights after
every step, the same state in the same order, configs both ways, ``fit`` losses and weights,
and ``.keras`` files whose optimizer state each library restores from the other's.

Muon's models mix Dense kernels (torch ``(out, in)`` in kerasish: the Newton-Schulz step must
run in Keras' orientation), an Embedding (excluded by path), biases (rank 1: AdamW) and a
Conv2D kernel (rank 4: AdamW)."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from kerasish import optimizers

SHAPES = [(3, 5), (4,), (6, 2), (2, 2, 3), (), (4, 4)]
STEPS = 4

CASES = [
    ("Muon", {}),
    ("Muon", {"learning_rate": 0.02, "nesterov": False, "momentum": 0.8, "ns_steps": 3}),
    ("Muon", {"rms_rate": None, "adam_lr_ratio": 0.1, "adam_beta_1": 0.7, "adam_beta_2": 0.9}),
    ("Muon", {"weight_decay": None, "adam_weight_decay": 0.1, "learning_rate": "schedule"}),
    ("Muon", {"weight_decay": 0.2, "adam_weight_decay": None, "clipnorm": 0.5}),
    ("Muon", {"muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5, "gradient_accumulation_steps": 2}),
    ("Muon", {"use_ema": True, "epsilon": 1e-3}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6}),
    ("ScheduleFreeAdamW", {"warmup_steps": 3, "weight_decay": 0.1}),
    ("ScheduleFreeAdamW", {"learning_rate": "schedule", "global_clipnorm": 1.0}),
    ("ScheduleFreeAdamW", {"gradient_accumulation_steps": 2, "use_ema": True}),
]


def _make(module, name, kwargs):
    kwargs = dict(kwargs)
    if kwargs.get("learning_rate") == "schedule":
        kwargs["learning_rate"] = module.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
    return getattr(module.optimizers, name)(**kwargs)


def _problem(rng):
    initial = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    grads = [[rng.standard_normal(s).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    return initial, grads


@pytest.mark.parametrize("name,kwargs", CASES, ids=str)
def test_same_variables_and_state_after_each_step(rng, name, kwargs):
    initial, grads = _problem(rng)
    keras_vars = [keras.Variable(a.copy()) for a in initial]
    params = [torch.tensor(a.copy()) for a in initial]
    keras_opt, opt = _make(keras, name, kwargs), _make(kerasish, name, kwargs)
    for step_grads in grads:
        keras_opt.apply_gradients(
            zip([keras.ops.convert_to_tensor(g) for g in step_grads], keras_vars)
        )
        opt.apply_gradients(zip([torch.tensor(g) for g in step_grads], params))
        for expected, received in zip(keras_vars, params):
            np.testing.assert_allclose(received.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    assert len(opt.variables) == len(keras_opt.variables)
    for expected, received in zip(keras_opt.variables, opt.variables):
        assert tuple(received.shape) == tuple(expected.shape)
        np.testing.assert_allclose(
            received.numpy().astype("float64"), np.asarray(expected.numpy(), "float64"),
            rtol=2e-6, atol=1e-6,
        )


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_state_order_names_and_dtypes_match_keras(rng, name):
    initial, _ = _problem(rng)
    keras_opt = getattr(keras.optimizers, name)()
    keras_opt.build([keras.Variable(a, name=f"w{i}") for i, a in enumerate(initial)])
    opt = getattr(optimizers, name)()
    opt.build([torch.tensor(a) for a in initial])
    expected = [(v.name, tuple(v.shape), v.dtype) for v in keras_opt.variables[2:]]
    received = [
        (f"w{index}_{slot}", tuple(v.shape), str(v.dtype).replace("torch.", ""))
        for (slot, index), v in zip(opt.variable_slots()[2:], opt.variables[2:])
    ]
    assert received == expected


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_configs_equal_keras_and_load_both_ways(name):
    assert getattr(optimizers, name)().get_config() == getattr(keras.optimizers, name)().get_config()
    kwargs = {"learning_rate": 0.05, "clipnorm": 1.0}
    kwargs.update(
        {"exclude_layers": ["head"], "ns_steps": 4, "rms_rate": None}
        if name == "Muon" else {"warmup_steps": 7, "beta_1": 0.8}
    )
    ours = getattr(optimizers, name)(**kwargs)
    in_keras = keras.saving.deserialize_keras_object(optimizers.serialize(ours))
    assert type(in_keras).__name__ == name and in_keras.get_config() == ours.get_config()
    theirs = getattr(keras.optimizers, name)(**kwargs)
    back = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert type(back).__name__ == name and back.get_config() == theirs.get_config()


# ----------------------------------------------------------------------------- models


def _muon_model(lib):
    L = lib.layers
    inputs = lib.Input((5,), dtype="int32")
    x = L.Embedding(7, 4)(inputs)
    x = L.Reshape((5, 4, 1))(x)
    x = L.Conv2D(2, 3, activation="tanh")(x)
    x = L.Flatten()(x)
    x = L.Dense(6, activation="tanh")(x)
    outputs = L.Dense(3, activation="softmax", name="head")(x)
    return lib.Model(inputs, outputs)


def _mlp(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6,)), L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")])


def _data(model):
    rng = np.random.default_rng(3)
    if model == "muon":
        x = rng.integers(0, 7, size=(24, 5)).astype("int32")
    else:
        x = rng.standard_normal((24, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=24)]
    return x, y


def _compiled_pair(model, name, kwargs):
    build = _muon_model if model == "muon" else _mlp
    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    reference.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="categorical_crossentropy")
    ours.compile(optimizer=getattr(optimizers, name)(**kwargs), loss="categorical_crossentropy")
    return reference, ours, _data(model)


def _assert_same_state(keras_model, kerasish_model):
    from kerasish.saving import compile_state

    expected = [np.asarray(v.numpy(), "float64") for v in keras_model.optimizer.variables]
    received = [v.astype("float64") for v in compile_state.optimizer_state(kerasish_model)[1]]
    assert [e.shape for e in expected] == [r.shape for r in received]
    for e, r in zip(expected, received):
        np.testing.assert_allclose(r, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "model,name,kwargs",
    [
        ("muon", "Muon", {"learning_rate": 0.02}),
        ("muon", "Muon", {"learning_rate": 0.02, "exclude_layers": ["head"], "exclude_embeddings": False}),
        ("mlp", "ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 2}),
    ],
)
def test_fit_gives_keras_losses_weights_and_state(model, name, kwargs):
    reference, ours, (x, y) = _compiled_pair(model, name, kwargs)
    expected = reference.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5)
    for e, r in zip(reference.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(r, e, atol=1e-5)
    _assert_same_state(reference, ours)


@pytest.mark.parametrize("model,name", [("muon", "Muon"), ("mlp", "ScheduleFreeAdamW")])
def test_keras_files_carry_the_state_both_ways(tmp_path, model, name):
    reference, ours, (x, y) = _compiled_pair(model, name, {"learning_rate": 0.02})
    reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)

    ours.save(tmp_path / "ours.keras")
    in_keras = keras.models.load_model(tmp_path / "ours.keras")
    assert type(in_keras.optimizer).__name__ == name
    _assert_same_state(in_keras, ours)
    reference.save(tmp_path / "theirs.keras")
    in_kerasish = kerasish.models.load_model(tmp_path / "theirs.keras")
    assert type(in_kerasish.optimizer) is getattr(optimizers, name)
    _assert_same_state(reference, in_kerasish)

    expected = reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    received = in_kerasish.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5)
    expected = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    received = in_keras.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5)
