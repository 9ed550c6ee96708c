"""Adafactor against Keras' formula written out in float64 NumPy (Keras layout), state layout,
Keras-layout factoring of torch-layout parameters, config and files."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import optimizers

STEPS = 4


def _adafactor(w, grads, lr=0.001, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    """Keras 3's update_step, in Keras layout; returns the weight and its r, c, velocity."""
    factored = w.ndim >= 2
    r = np.zeros(w.shape[:-1]) if factored else None
    c = np.zeros(w.shape[:-2] + w.shape[-1:]) if factored else None
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(eps2, np.sqrt(np.mean(w * w))) * rho
        square = g * g + eps1
        beta = 1 - t**decay
        if factored:
            r = beta * r + (1 - beta) * square.mean(-1)
            c = beta * c + (1 - beta) * square.mean(-2)
            v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v = beta * v + (1 - beta) * square
        u = g / np.sqrt(v)
        u = u / max(1.0, np.sqrt(np.mean(u * u)) / clip)
        w = w - alpha * u
    return w, r, c, v


def _grads(rng, shape, scale=1.0):
    return [scale * rng.standard_normal(shape) for _ in range(STEPS)]


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (5,), ()])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate": 0.3},  # below 1/sqrt(t) for these steps: not capped
        {"learning_rate": 0.9, "relative_step": False},  # capped by 1/sqrt(t) all the same
        {"beta_2_decay": -0.5, "epsilon_2": 0.5, "clip_threshold": 0.3},
    ],
)
def test_update_matches_the_keras_formula(rng, shape, kwargs):
    w0 = rng.standard_normal(shape)
    grads = _grads(rng, shape)
    names = {"learning_rate": "lr", "beta_2_decay": "decay", "epsilon_2": "eps2",
             "clip_threshold": "clip"}
    expected = _adafactor(
        w0, grads, **{names[k]: v for k, v in kwargs.items() if k != "relative_step"}
    )
    param = torch.tensor(w0, dtype=torch.float32)
    opt = optimizers.Adafactor(**kwargs)
    for g in grads:
        opt.apply([torch.tensor(g, dtype=torch.float32)], [param])
    np.testing.assert_allclose(param.numpy(), expected[0], rtol=1e-5, atol=1e-6)
    r, c, v = opt.variables[2:]
    np.testing.assert_allclose(v.numpy(), expected[3], rtol=1e-5)
    if len(shape) >= 2:
        np.testing.assert_allclose(r.numpy(), expected[1], rtol=1e-5)
        np.testing.assert_allclose(c.numpy(), expected[2], rtol=1e-5)


def test_zero_gradients_and_zero_weights_stay_finite(rng):
    params = [torch.zeros(3, 4), torch.zeros(4)]
    opt = optimizers.Adafactor()
    for _ in range(3):
        opt.apply([torch.zeros(3, 4), torch.zeros(4)], params)
    assert all(torch.equal(p, torch.zeros_like(p)) for p in params)
    expected = _adafactor(np.zeros((3, 4)), [np.zeros((3, 4))] * 3)
    np.testing.assert_allclose(opt.variables[4].numpy(), expected[3], rtol=1e-5)


def test_state_is_keras_ordered_with_int32_placeholders_below_rank_two():
    params = [torch.zeros(3, 4), torch.zeros(4), torch.zeros(2, 2, 3), torch.zeros(())]
    opt = optimizers.Adafactor()
    opt.build(params)
    shapes = [tuple(v.shape) for v in opt.variables]
    assert shapes == [
        (), (),
        (3,), (4,), (3, 4),
        (), (), (4,),
        (2, 2), (2, 3), (2, 2, 3),
        (), (), (),
    ]
    dtypes = [v.dtype for v in opt.variables[2:]]
    assert dtypes == [torch.float32] * 3 + [torch.int32] * 2 + [torch.float32] * 4 + [
        torch.int32
    ] * 2 + [torch.float32]
    # r and c belong to no parameter's torch layout: no parameter index, no file conversion.
    assert opt.variable_slots()[2:] == [
        ("r", None), ("c", None), ("velocity", 0),
        ("r", None), ("c", None), ("velocity", 1),
        ("r", None), ("c", None), ("velocity", 2),
        ("r", None), ("c", None), ("velocity", 3),
    ]


def _layer_problem(layer, inputs, rng):
    layer(inputs)  # builds
    variables = layer.trainable_weights
    keras_values = [v.numpy().astype("float64") for v in variables]
    keras_grads = [_grads(rng, value.shape) for value in keras_values]
    return variables, keras_values, keras_grads


@pytest.mark.parametrize(
    "make_layer,input_shape",
    [
        (lambda: kerasish.layers.Dense(5), (2, 3)),
        (lambda: kerasish.layers.Conv2D(4, 3), (1, 6, 6, 2)),
        (lambda: kerasish.layers.DepthwiseConv2D(3, depth_multiplier=2), (1, 5, 5, 3)),
    ],
)
def test_factoring_follows_keras_axes_of_torch_layout_parameters(rng, make_layer, input_shape):
    """Built on Variables, the optimizer factors Keras' last two axes, keeps r and c in Keras
    layout and the velocity in the parameter's torch layout."""
    layer = make_layer()
    variables, keras_values, keras_grads = _layer_problem(
        layer, torch.zeros(input_shape), rng
    )
    opt = optimizers.Adafactor(learning_rate=0.05)
    opt.build(variables)
    for step in range(STEPS):
        grads = [
            v._layout.to_torch(torch.tensor(g[step], dtype=torch.float32))
            if v._layout is not None else torch.tensor(g[step], dtype=torch.float32)
            for v, g in zip(variables, keras_grads)
        ]
        opt.apply(grads, [v.tensor for v in variables])
    state = opt.variables[2:]
    for k, (variable, w0, grads) in enumerate(zip(variables, keras_values, keras_grads)):
        w, r, c, v = _adafactor(w0, grads, lr=0.05)
        np.testing.assert_allclose(variable.numpy(), w, rtol=1e-5, atol=1e-6)
        torch_velocity = state[3 * k + 2]
        assert torch_velocity.shape == variable.tensor.shape
        keras_velocity = (
            variable._layout.to_keras(torch_velocity) if variable._layout else torch_velocity
        )
        np.testing.assert_allclose(keras_velocity.numpy(), v, rtol=1e-5)
        if r is not None:
            np.testing.assert_allclose(state[3 * k].numpy(), r, rtol=1e-5)
            np.testing.assert_allclose(state[3 * k + 1].numpy(), c, rtol=1e-5)


def test_config_defaults_and_round_trip():
    config = optimizers.Adafactor().get_config()
    assert {k: config[k] for k in list(config)[-5:]} == {
        "beta_2_decay": -0.8,
        "epsilon_1": 1e-30,
        "epsilon_2": 1e-3,
        "clip_threshold": 1.0,
        "relative_step": True,
    }
    opt = optimizers.Adafactor(
        learning_rate=0.01, beta_2_decay=-0.5, epsilon_1=1e-20, epsilon_2=1e-2,
        clip_threshold=2.0, relative_step=False, clipnorm=1.0,
    )
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert type(restored) is optimizers.Adafactor
    assert restored.get_config() == opt.get_config()


@pytest.mark.parametrize("identifier", ["adafactor", "Adafactor"])
def test_get_by_name(identifier):
    assert type(optimizers.get(identifier)) is optimizers.Adafactor
    assert kerasish.optimizers.Adafactor is optimizers.Adafactor


def test_unknown_argument_is_an_error():
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.Adafactor(beta_1=0.9)


def test_apply_never_reads_a_device_value_on_the_host():
    """Every `.item()`/`bool()` of a meta tensor raises: the step runs on device values only."""
    params = [torch.zeros(3, 4, device="meta"), torch.zeros(4, device="meta")]
    opt = optimizers.Adafactor(weight_decay=0.1, clipnorm=1.0)
    for _ in range(3):
        opt.apply([torch.ones(3, 4, device="meta"), torch.ones(4, device="meta")], params)
    assert all(v.device.type == "meta" for v in opt.variables)


def _model():
    return kerasish.Sequential(
        [kerasish.Input((6, 6, 2)), kerasish.layers.Conv2D(3, 3, activation="tanh"),
         kerasish.layers.Flatten(), kerasish.layers.Dense(2)]
    )


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_saved_state_restores_and_training_continues(tmp_path, rng, filename):
    x = rng.standard_normal((16, 6, 6, 2)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")
    model = _model()
    model.compile(optimizer=optimizers.Adafactor(learning_rate=0.05), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / filename)
    loaded = kerasish.models.load_model(tmp_path / filename)
    assert type(loaded.optimizer) is optimizers.Adafactor
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())
    expected = model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history["loss"]
    received = loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history["loss"]
    assert received == pytest.approx(expected, rel=1e-6)
