"""Adafactor and Lamb side by side with Keras 3 (torch backend): the same weights after every
step, the same state in the same order, the same configs, the same ``fit`` losses, and
``.keras`` files whose optimizer state each library restores from the other's.

The model tests use conv, depthwise and GRU layers too: their kerasish parameters are in torch
layout, and Adafactor's factored statistics must still follow Keras' axes."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from kerasish import optimizers

# A zero weight exercises Lamb's trust ratio of 1 and Adafactor's epsilon_2 floor.
SHAPES = [(3, 4), (4,), (2, 2, 3), (), (5, 2)]
STEPS = 5

CASES = [
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.9, "relative_step": False}),
    ("Adafactor", {"beta_2_decay": -0.5, "epsilon_2": 0.05, "clip_threshold": 0.5}),
    ("Adafactor", {"weight_decay": 0.1, "global_clipnorm": 1.0}),
    ("Adafactor", {"learning_rate": "schedule", "use_ema": True}),
    ("Adafactor", {"gradient_accumulation_steps": 2}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.7, "beta_2": 0.95, "epsilon": 1e-4}),
    ("Lamb", {"weight_decay": 0.1, "clipnorm": 0.5}),
    ("Lamb", {"learning_rate": "schedule", "gradient_accumulation_steps": 2}),
]


def _make(module, name, kwargs):
    kwargs = dict(kwargs)
    optimizer_module = module.optimizers
    if kwargs.get("learning_rate") == "schedule":
        kwargs["learning_rate"] = optimizer_module.schedules.ExponentialDecay(0.1, 2, 0.5)
    return getattr(optimizer_module, name)(**kwargs)


def _problem(rng):
    initial = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    initial[-1][:] = 0.0
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
            received.numpy().astype("float64"),
            np.asarray(expected.numpy(), "float64"),
            rtol=2e-6,
            atol=1e-6,
        )


@pytest.mark.parametrize("name", ["Adafactor", "Lamb"])
def test_state_order_names_and_dtypes_match_keras(rng, name):
    initial, _ = _problem(rng)
    keras_opt = getattr(keras.optimizers, name)()
    keras_opt.build([keras.Variable(a, name=f"w{i}") for i, a in enumerate(initial)])
    opt = getattr(optimizers, name)()
    opt.build([torch.tensor(a) for a in initial])
    expected = [(v.name, tuple(v.shape), v.dtype) for v in keras_opt.variables[2:]]
    received = [
        (slot, index, tuple(v.shape), str(v.dtype).replace("torch.", ""))
        for (slot, index), v in zip(opt.variable_slots()[2:], opt.variables[2:])
    ]
    assert [r[2:] for r in received] == [e[1:] for e in expected]
    for (keras_name, _, _), (slot, index, _, _) in zip(expected, received):
        if slot in ("r", "c"):  # Keras names them after the weight itself
            assert index is None and keras_name.startswith("w")
        else:
            assert keras_name == f"w{index}_{slot}"


@pytest.mark.parametrize("name", ["Adafactor", "Lamb"])
def test_configs_equal_keras_and_load_both_ways(name):
    """Through ``deserialize_keras_object``, as ``load_model`` reads them: Keras 3.15's
    ``keras.optimizers.get``/``deserialize`` do not know Lamb (it is missing from their table,
    ``deserialize`` returns the string "Lamb"); kerasish resolves both names."""
    assert getattr(optimizers, name)().get_config() == getattr(keras.optimizers, name)().get_config()
    kwargs = {"learning_rate": 0.05, "clipnorm": 1.0}
    kwargs.update({"beta_2_decay": -0.6, "relative_step": False} if name == "Adafactor" else {"beta_1": 0.8})
    ours = getattr(optimizers, name)(**kwargs)
    in_keras = keras.saving.deserialize_keras_object(optimizers.serialize(ours))
    assert type(in_keras).__name__ == name and in_keras.get_config() == ours.get_config()
    theirs = getattr(keras.optimizers, name)(**kwargs)
    back = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert type(back).__name__ == name and back.get_config() == theirs.get_config()
    assert type(optimizers.get(name.lower())).__name__ == name


# ----------------------------------------------------------------------------- models


def _mlp(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((6,)), L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")])


def _convnet(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((6, 6, 2)),
        L.Conv2D(3, 3, activation="tanh"),
        L.DepthwiseConv2D(3, depth_multiplier=2),
        L.Flatten(),
        L.Dense(3, activation="softmax"),
    ])


def _gru(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4, 3)), L.GRU(4), L.Dense(3, activation="softmax")])


MODELS = {"mlp": (_mlp, (6,)), "convnet": (_convnet, (6, 6, 2)), "gru": (_gru, (4, 3))}


def _data(input_shape, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((24, *input_shape)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=24)]
    return x, y


def _compiled_pair(model, name, kwargs):
    build, input_shape = MODELS[model]
    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    reference.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="categorical_crossentropy")
    ours.compile(optimizer=getattr(optimizers, name)(**kwargs), loss="categorical_crossentropy")
    return reference, ours, _data(input_shape)


def _keras_layout_state(model):
    from kerasish.saving import compile_state

    return compile_state.optimizer_state(model)[1]


def _assert_same_state(keras_model, kerasish_model):
    expected = [np.asarray(v.numpy(), "float64") for v in keras_model.optimizer.variables]
    received = [v.astype("float64") for v in _keras_layout_state(kerasish_model)]
    assert [e.shape for e in expected] == [r.shape for r in received]
    for e, r in zip(expected, received):
        np.testing.assert_allclose(r, e, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "model,name,kwargs",
    [
        ("mlp", "Adafactor", {"learning_rate": 0.05}),
        ("mlp", "Lamb", {"learning_rate": 0.01}),
        ("convnet", "Adafactor", {"learning_rate": 0.05}),
        ("gru", "Adafactor", {"learning_rate": 0.05}),
        ("convnet", "Lamb", {"learning_rate": 0.01}),
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


@pytest.mark.parametrize("name", ["Adafactor", "Lamb"])
def test_keras_files_carry_the_state_both_ways(tmp_path, name):
    reference, ours, (x, y) = _compiled_pair("convnet", name, {"learning_rate": 0.05})
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

    # Both loaded models continue training as the originals do.
    expected = reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    received = in_kerasish.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5)
    expected = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    received = in_keras.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-5)


def test_fit_excludes_weights_from_decay_by_name_as_keras():
    """``fit`` builds the optimizer on the model's Variables, so names are there to match."""

    def adamw(lib):
        opt = lib.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        opt.exclude_from_weight_decay(var_names=["bias"])
        return opt

    reference, ours, (x, y) = _compiled_pair("mlp", "Lamb", {})
    reference.compile(optimizer=adamw(keras), loss="categorical_crossentropy")
    ours.compile(optimizer=adamw(kerasish), loss="categorical_crossentropy")
    reference.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for e, r in zip(reference.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(r, e, atol=1e-5)
