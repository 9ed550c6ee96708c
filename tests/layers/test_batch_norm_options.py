"""BatchNormalization's tf.keras options (renorm, virtual_batch_size, adjustment) against NumPy
references of tf.keras' formulas."""

import warnings

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import BatchNormalization

EPS = 1e-3


def _np(tensor):
    return tensor.detach().numpy()


def _data(rng, shape, axis=-1):
    """Per-channel scales and offsets (3 channels) so renorm's r and d leave [0.7, 1.5] / 0.5."""
    along = [1] * len(shape)
    along[axis] = 3
    scale = np.reshape([0.3, 1.0, 3.0], along)
    offset = np.reshape([2.0, -1.0, 0.0], along)
    return (rng.standard_normal(shape) * scale + offset).astype(np.float32)


def _set_random(layer, rng):
    values = []
    for weight in layer.weights:
        value = rng.uniform(-0.5, 0.5, weight.shape).astype(np.float32)
        if weight.name == "gamma" or weight.name == "moving_variance" or "stddev" in weight.name:
            value = np.abs(value) + 0.5
        values.append(value)
    layer.set_weights(values)
    return values


# ------------------------------------------------------------------------------ renorm


def test_renorm_weights_names_order_initial_values_and_torch_storage():
    layer = BatchNormalization(renorm=True, moving_variance_initializer=keras.initializers.Constant(4.0))
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean",
        "renorm_stddev",
    ]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    values = dict(zip([w.name for w in layer.weights], layer.get_weights()))
    np.testing.assert_array_equal(values["moving_stddev"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(values["renorm_stddev"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(values["renorm_mean"], [0.0, 0.0, 0.0])
    assert set(layer.state_dict()) == {
        "weight", "bias", "running_mean", "running_var", "moving_stddev", "renorm_mean",
        "renorm_stddev",
    }
    assert layer.renorm_mean is layer.state_dict(keep_vars=True)["renorm_mean"]


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((8, 3), {"renorm_clipping": {"rmax": 1.5, "rmin": 0.7, "dmax": 0.5}}),
        ((4, 3, 2), {"axis": 1, "renorm_momentum": 0.5, "center": False}),
        ((5, 2, 3), {"scale": False, "momentum": 0.7}),
    ],
)
def test_renorm_training_step_matches_tf_keras_formulas(rng, shape, kwargs):
    layer = BatchNormalization(renorm=True, **kwargs)
    layer.build(shape)
    _set_random(layer, rng)
    state = {w.name: w.numpy() for w in layer.weights}
    axis = kwargs.get("axis", -1)
    x = _data(rng, shape, axis)

    out = _np(layer(torch.from_numpy(x), training=True))

    reduce = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    mean, var = x.mean(axis=reduce), x.var(axis=reduce)
    stddev = np.sqrt(var + EPS)
    renorm_stddev = np.maximum(state["renorm_stddev"], np.sqrt(EPS))
    r = stddev / renorm_stddev
    d = (mean - state["renorm_mean"]) / renorm_stddev
    clipping = kwargs.get("renorm_clipping", {})
    r = np.clip(r, clipping.get("rmin", -np.inf), clipping.get("rmax", np.inf))
    d = np.clip(d, -clipping.get("dmax", np.inf), clipping.get("dmax", np.inf))
    gamma = state.get("gamma", np.ones(3, np.float32))
    beta = state.get("beta", np.zeros(3, np.float32))
    along = [1] * x.ndim
    along[axis] = 3
    b = lambda v: np.reshape(v, along)  # noqa: E731
    normalized = (x - b(mean)) / np.sqrt(b(var) + EPS)
    np.testing.assert_allclose(out, (normalized * b(r) + b(d)) * b(gamma) + b(beta), atol=1e-5)

    momentum, renorm_momentum = kwargs.get("momentum", 0.99), kwargs.get("renorm_momentum", 0.99)
    after = {w.name: w.numpy() for w in layer.weights}
    moving_stddev = state["moving_stddev"] * momentum + stddev * (1 - momentum)
    expected = {
        "renorm_mean": state["renorm_mean"] * renorm_momentum + mean * (1 - renorm_momentum),
        "renorm_stddev": state["renorm_stddev"] * renorm_momentum + stddev * (1 - renorm_momentum),
        "moving_mean": state["moving_mean"] * momentum + mean * (1 - momentum),
        "moving_stddev": moving_stddev,
        "moving_variance": np.maximum(moving_stddev**2 - EPS, 0),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(after[name], value, atol=1e-5, err_msg=name)
    if "gamma" in state:
        np.testing.assert_array_equal(after["gamma"], state["gamma"])


def test_renorm_clipping_bites_and_inference_is_plain(rng):
    layer = BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 1.0, "dmax": 0.0})
    plain = BatchNormalization()
    for bn in (layer, plain):
        bn.build((None, 3))
    values = _set_random(layer, rng)
    plain.set_weights(values[:4])
    x = _data(rng, (6, 3))
    # r == 1 and d == 0: the training output is plain batch normalization's.
    np.testing.assert_allclose(
        _np(layer(torch.from_numpy(x), training=True)),
        _np(plain(torch.from_numpy(x), training=True)),
        atol=1e-5,
    )
    plain.set_weights(layer.get_weights()[:4])
    np.testing.assert_allclose(
        _np(layer(torch.from_numpy(x))), _np(plain(torch.from_numpy(x))), atol=1e-6
    )


def test_renorm_corrections_carry_no_gradient(rng):
    layer = BatchNormalization(renorm=True)
    layer.build((None, 3))
    _set_random(layer, rng)
    state = [w.numpy() for w in layer.weights]
    x = torch.from_numpy(_data(rng, (6, 3))).requires_grad_()
    (layer(x, training=True) * torch.arange(18.0).reshape(6, 3)).sum().backward()

    # Reference: the same forward with r and d as constants (tf.keras' stop_gradient).
    x_ref = x.detach().clone().requires_grad_()
    gamma, beta = (torch.from_numpy(v).requires_grad_() for v in state[:2])
    var, mean = torch.var_mean(x_ref, dim=0, correction=0)
    renorm_stddev = torch.from_numpy(state[6]).clamp(min=EPS**0.5)
    r = (torch.sqrt(var + EPS) / renorm_stddev).detach()
    d = ((mean - torch.from_numpy(state[5])) / renorm_stddev).detach()
    ref = ((x_ref - mean) / torch.sqrt(var + EPS) * r + d) * gamma + beta
    (ref * torch.arange(18.0).reshape(6, 3)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(layer.weight.grad.numpy(), gamma.grad.numpy(), atol=1e-4)


def test_renorm_config_keys_and_argument_checks():
    layer = BatchNormalization(renorm=True, renorm_momentum=0.9)
    config = layer.get_config()
    keys = list(config)
    assert keys[keys.index("gamma_constraint") + 1 :] == ["renorm", "renorm_clipping", "renorm_momentum"]
    assert config["renorm_clipping"] == {} and config["renorm_momentum"] == 0.9
    assert BatchNormalization.from_config(config).get_config() == config
    assert "renorm" not in BatchNormalization().get_config()
    with pytest.raises(ValueError, match="invalid keys for `renorm_clipping`"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "r": 1.0})
    with pytest.raises(ValueError, match="rmax should be greater than rmin"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 0.5, "rmin": 2.0})
    with pytest.raises(ValueError, match="dmax should be non-negative"):
        BatchNormalization(renorm=True, renorm_clipping={"dmax": -1.0})
    with pytest.raises(ValueError, match="`fused=True` and `renorm=True`"):
        BatchNormalization(renorm=True, fused=True)


# -------------------------------------------------------------------- virtual batches


@pytest.mark.parametrize(
    "shape, axis, keras_shape",
    [((None, 3), -1, (1, 1, 3)), ((None, 4, 4, 3), -1, (1, 1, 1, 1, 3)), ((None, 3, 2, 2), 1, (1, 1, 3, 1, 1))],
)
def test_virtual_batch_weights_are_keras_broadcast_views_of_torch_vectors(shape, axis, keras_shape):
    layer = BatchNormalization(axis=axis, virtual_batch_size=2, renorm=True)
    layer.build(shape)
    assert [w.shape for w in layer.weights] == [keras_shape] * 7
    assert all(tuple(t.shape) == (3,) for t in layer.state_dict().values())
    values = [np.full(keras_shape, i + 1.0, np.float32) for i in range(7)]
    layer.set_weights(values)
    np.testing.assert_array_equal(layer.running_var.numpy(), [4.0, 4.0, 4.0])
    for received, expected in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(received, expected)
    assert layer.weights[0].value.data_ptr() == layer.weight.data_ptr()  # a view


def test_virtual_batches_are_tf_keras_strided_groups(rng):
    """tf.keras reshapes (B, ...) to (v, B // v, ...): virtual batch j holds j, j + B//v, ..."""
    layer = BatchNormalization(virtual_batch_size=3, momentum=0.5)
    layer.build((None, 2, 3))
    values = _set_random(layer, rng)
    x = _data(rng, (6, 2, 3))
    out = _np(layer(torch.from_numpy(x), training=True))

    grouped = x.reshape(3, 2, 2, 3)  # (v, groups, time, channels)
    mean = grouped.mean(axis=(0, 2), keepdims=True)
    var = grouped.var(axis=(0, 2), keepdims=True)
    gamma, beta = values[0], values[1]
    expected = ((grouped - mean) / np.sqrt(var + EPS) * gamma + beta).reshape(6, 2, 3)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    moving_mean, moving_var = layer.get_weights()[2:]
    np.testing.assert_allclose(moving_mean, values[2] * 0.5 + mean.mean(axis=1, keepdims=True) * 0.5, atol=1e-6)
    np.testing.assert_allclose(moving_var, values[3] * 0.5 + var.mean(axis=1, keepdims=True) * 0.5, atol=1e-6)
    # Inference is plain batch normalization with the moving statistics, any batch size.
    x = _data(rng, (5, 2, 3))
    mean, var, gamma, beta = (v.reshape(3) for v in (moving_mean, moving_var, gamma, beta))
    np.testing.assert_allclose(
        _np(layer(torch.from_numpy(x))), (x - mean) / np.sqrt(var + EPS) * gamma + beta, atol=1e-5
    )


def test_virtual_batch_size_errors():
    with pytest.raises(ValueError, match="must divide the batch size"):
        BatchNormalization(virtual_batch_size=4)(torch.ones(6, 3), training=True)
    with pytest.raises(NotImplementedError, match="mask together with `virtual_batch_size`"):
        BatchNormalization(virtual_batch_size=2)(
            torch.ones(4, 2, 3), training=True, mask=torch.ones(4, 2, dtype=torch.bool)
        )
    with pytest.raises(ValueError, match="positive integer"):
        BatchNormalization(virtual_batch_size=0).build((None, 3))
    with pytest.raises(ValueError, match="axis cannot include 0"):
        BatchNormalization(virtual_batch_size=2, axis=0).build((None, 3))
    with pytest.raises(ValueError, match="adjustment cannot be specified"):
        BatchNormalization(virtual_batch_size=2, adjustment=lambda shape: (1.0, 0.0)).build((None, 3))
    with pytest.raises(ValueError, match="`virtual_batch_size` is specified"):
        BatchNormalization(virtual_batch_size=2, fused=True)


def test_virtual_batch_config_and_tf_keras_shifted_axis():
    layer = BatchNormalization(virtual_batch_size=2, axis=1)
    layer.build((None, 3, 4))
    config = layer.get_config()
    assert config["virtual_batch_size"] == 2 and config["axis"] == 1
    assert list(config)[-1] == "virtual_batch_size"
    assert BatchNormalization.from_config(config).axis == 1
    # tf.keras writes the built axis + 1 as a list ([2] for axis 1 of a rank-3 input).
    assert BatchNormalization.from_config({**config, "axis": [2]}).axis == 1
    assert BatchNormalization.from_config({**config, "axis": [3]}).axis == 2
    del config["virtual_batch_size"]
    assert BatchNormalization.from_config({**config, "axis": [2]}).axis == 2


def test_model_with_virtual_batches_saves_tf_keras_shapes(tmp_path, rng):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, BatchNormalization(virtual_batch_size=2, renorm=True)(inputs))
    _set_random(model.layers[1], rng)
    x = _data(rng, (4, 3))
    model(torch.from_numpy(x), training=True)
    model.save(tmp_path / "m.h5")
    again = keras.models.load_model(tmp_path / "m.h5")
    for received, expected in zip(again.get_weights(), model.get_weights()):
        assert received.shape == (1, 1, 3)
        np.testing.assert_array_equal(received, expected)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# ------------------------------------------------------------------------- adjustment


def test_adjustment_scales_and_shifts_normalized_values_in_training_only(rng):
    seen = []

    def adjustment(shape):
        seen.append(shape)
        return torch.tensor([1.0, 2.0, 0.5]), np.array([0.0, 0.1, -0.2], np.float32)

    layer = BatchNormalization(adjustment=adjustment)
    layer.build((None, 4, 3))
    values = _set_random(layer, rng)
    x = _data(rng, (2, 4, 3))
    out = _np(layer(torch.from_numpy(x), training=True))
    assert seen == [torch.Size([2, 4, 3])]
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    normalized = (x - mean) / np.sqrt(var + EPS)
    gamma, beta = values[0], values[1]
    expected = (normalized * [1.0, 2.0, 0.5] + [0.0, 0.1, -0.2]) * gamma + beta
    np.testing.assert_allclose(out, expected, atol=1e-5)
    plain = BatchNormalization()
    plain.build((None, 4, 3))
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        _np(layer(torch.from_numpy(x))), _np(plain(torch.from_numpy(x))), atol=1e-6
    )
    assert len(seen) == 1  # not called in inference


def test_adjustment_with_renorm_composes_in_tf_keras_order(rng):
    adjust = (torch.tensor([1.5, 0.5, 1.0]), torch.tensor([0.2, 0.0, -0.1]))
    layer = BatchNormalization(renorm=True, adjustment=lambda shape: adjust)
    reference = BatchNormalization(renorm=True)
    for bn in (layer, reference):
        bn.build((None, 3))
    reference.set_weights(_set_random(layer, rng))
    x = _data(rng, (6, 3))
    gamma, beta = (v.clone() for v in (layer.weight.detach(), layer.bias.detach()))
    with torch.no_grad():
        # renorm(adjust(x)) * gamma + beta == renorm(x) with gamma' = a * gamma, beta' = b * gamma + beta
        reference.weight.copy_(adjust[0] * gamma)
        reference.bias.copy_(adjust[1] * gamma + beta)
    np.testing.assert_allclose(
        _np(layer(torch.from_numpy(x), training=True)),
        _np(reference(torch.from_numpy(x), training=True)),
        atol=1e-5,
    )


def test_adjustment_is_left_out_of_configs_with_tf_keras_warning():
    layer = BatchNormalization(adjustment=lambda shape: (1.0, 0.0))
    with pytest.warns(UserWarning, match="`adjustment` function .* cannot be serialized"):
        config = layer.get_config()
    assert "adjustment" not in config
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BatchNormalization().get_config()
    with pytest.raises(ValueError, match="`adjustment` is specified"):
        BatchNormalization(adjustment=lambda shape: (1.0, 0.0), fused=True)


# ----------------------------------------------------------------- plain path untouched


def test_plain_batch_normalization_never_enters_the_options_path(monkeypatch, rng):
    def refuse(*args, **kwargs):
        raise AssertionError("the options path ran")

    monkeypatch.setattr(BatchNormalization, "_train_with_options", refuse)
    layer = BatchNormalization()
    layer(torch.from_numpy(_data(rng, (4, 3))), training=True)
    assert layer._has_options is False
    with pytest.raises(AssertionError, match="options path"):
        BatchNormalization(renorm=True)(torch.ones(4, 3), training=True)


@pytest.mark.parametrize("kwargs", [{"renorm": True}, {"virtual_batch_size": 2}])
def test_mixed_precision_computes_in_float32(rng, kwargs):
    half = BatchNormalization(dtype="mixed_bfloat16", **kwargs)
    full = BatchNormalization(**kwargs)
    x = torch.from_numpy(_data(rng, (4, 3))).bfloat16()
    out = half(x, training=True)
    assert out.dtype == torch.bfloat16 and half.running_mean.dtype == torch.float32
    expected = full(x.float(), training=True)
    torch.testing.assert_close(out.float(), expected.detach().bfloat16().float())
    for received, reference in zip(half.get_weights(), full.get_weights()):
        np.testing.assert_allclose(received, reference, atol=1e-6)
