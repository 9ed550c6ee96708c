import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import BatchNormalization


def _random_stats(layer, rng):
    size = layer.get_weights()[0].shape
    layer.set_weights(
        [
            rng.uniform(0.5, 2.0, size).astype(np.float32),
            rng.standard_normal(size).astype(np.float32),
            rng.standard_normal(size).astype(np.float32),
            rng.uniform(0.5, 2.0, size).astype(np.float32),
        ]
    )


def _reference(x, gamma, beta, mean, var, axis, eps=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = [np.reshape(v, shape) for v in (gamma, beta, mean, var)]
    return (x - r[2]) / np.sqrt(r[3] + eps) * r[0] + r[1]


def test_weights_order_names_and_torch_storage():
    layer = BatchNormalization()
    layer.build((None, 4, 4, 6))
    assert [v.name for v in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [v.name for v in layer.trainable_weights] == ["gamma", "beta"]
    assert [v.name for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert set(dict(layer.named_parameters())) == {"weight", "bias"}
    assert set(dict(layer.named_buffers())) == {"running_mean", "running_var"}
    assert layer.count_params() == 24
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(6))
    np.testing.assert_array_equal(beta, np.zeros(6))
    np.testing.assert_array_equal(mean, np.zeros(6))
    np.testing.assert_array_equal(var, np.ones(6))
    assert layer.moving_variance is layer.running_var and layer.gamma is layer.weight


def test_center_and_scale_off():
    layer = BatchNormalization(center=False, scale=False)
    layer.build((None, 3))
    assert [v.name for v in layer.weights] == ["moving_mean", "moving_variance"]
    assert layer.gamma is None and layer.beta is None
    out = layer(torch.full((2, 3), 2.0)).numpy()
    np.testing.assert_allclose(out, np.full((2, 3), 2 / np.sqrt(1.001)), rtol=1e-6)


@pytest.mark.parametrize(
    "shape, axis", [((5, 4), -1), ((3, 4, 4, 2), -1), ((3, 2, 4, 4), 1), ((3, 5, 6), 1)]
)
def test_inference_uses_moving_statistics(rng, shape, axis):
    layer = BatchNormalization(axis=axis)
    layer.build(shape)
    _random_stats(layer, rng)
    x = rng.standard_normal(shape).astype(np.float32) * 3
    out = layer(torch.as_tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, _reference(x, *layer.get_weights(), axis=axis), atol=1e-5)


@pytest.mark.parametrize("shape, axis", [((8, 4), -1), ((3, 4, 4, 2), -1), ((3, 2, 4, 4), 1), ((1, 4), -1)])
def test_training_normalizes_with_batch_stats_and_updates_moving_ones(rng, shape, axis):
    layer = BatchNormalization(axis=axis, momentum=0.9)
    layer.build(shape)
    _random_stats(layer, rng)
    gamma, beta, mean0, var0 = layer.get_weights()
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    out = layer(torch.as_tensor(x), training=True).detach().numpy()
    axes = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    batch_mean = x.mean(axis=axes)
    batch_var = x.var(axis=axes)  # biased, as Keras 3
    np.testing.assert_allclose(
        out, _reference(x, gamma, beta, batch_mean, batch_var, axis=axis), atol=1e-4
    )
    _, _, mean1, var1 = layer.get_weights()
    np.testing.assert_allclose(mean1, mean0 * 0.9 + batch_mean * 0.1, atol=1e-5)
    np.testing.assert_allclose(var1, var0 * 0.9 + batch_var * 0.1, atol=1e-5)


def test_training_resolves_from_module_mode(rng):
    layer = BatchNormalization()
    layer.build((None, 3))
    x = torch.as_tensor(rng.standard_normal((6, 3)).astype(np.float32) + 5)
    layer(x)  # layers start in eval mode: no update
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(3))
    layer.train()
    layer(x)
    assert np.all(layer.get_weights()[2] > 0)
    before = layer.get_weights()[2]
    layer(x, training=False)  # an explicit argument wins over the module flag
    np.testing.assert_array_equal(layer.get_weights()[2], before)


def test_frozen_batch_norm_runs_in_inference_mode(rng):
    layer = BatchNormalization()
    layer.build((None, 3))
    _random_stats(layer, rng)
    layer.trainable = False
    x = rng.standard_normal((6, 3)).astype(np.float32)
    before = layer.get_weights()
    out = layer(torch.as_tensor(x), training=True).detach().numpy()
    np.testing.assert_allclose(out, _reference(x, *before, axis=-1), atol=1e-5)
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert not layer.weight.requires_grad


def test_masked_training_statistics(rng):
    layer = BatchNormalization(momentum=0.0)
    layer.build((None, 4, 3))
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    mask = np.array([[True, True, True, False], [True, False, False, False]])
    x[~mask] = 100.0
    layer(torch.as_tensor(x), training=True, mask=torch.as_tensor(mask))
    kept = x[mask]
    np.testing.assert_allclose(layer.get_weights()[2], kept.mean(0), atol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[3], kept.var(0), atol=1e-5)
    with pytest.raises(ValueError, match="one dimension less"):
        layer(torch.as_tensor(x), training=True, mask=torch.ones(2, 4, 3, dtype=torch.bool))


def test_gradients_match_the_formula():
    x = torch.randn(4, 5, 5, 3, dtype=torch.float64, requires_grad=True)
    layer = BatchNormalization(dtype="float64")
    layer.build(x.shape)
    with torch.no_grad():
        layer.weight.uniform_(0.5, 2.0)
        layer.bias.normal_()
    weights = torch.randn(x.shape, dtype=torch.float64)
    ours = torch.autograd.grad((layer(x, training=True) * weights).sum(), [x, layer.weight])
    mean = x.mean((0, 1, 2))
    var = x.var((0, 1, 2), unbiased=False)
    manual = (x - mean) / torch.sqrt(var + 1e-3) * layer.weight + layer.bias
    expected = torch.autograd.grad((manual * weights).sum(), [x, layer.weight])
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b)


def test_state_dict_round_trips_with_torch_batchnorm(rng):
    layer = BatchNormalization(axis=1, epsilon=1e-5)
    layer.build((None, 3, 4, 4))
    _random_stats(layer, rng)
    module = torch.nn.BatchNorm2d(3, eps=1e-5).eval()
    module.load_state_dict(layer.state_dict())
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(layer(x), module(x))
    other = BatchNormalization(axis=1, epsilon=1e-5)
    other.build((None, 3, 4, 4))
    other.load_state_dict(module.state_dict())  # torch's num_batches_tracked is dropped
    torch.testing.assert_close(other(x), module(x))


def test_symbolic_shape_and_functional_model():
    inputs = keras.Input((4, 4, 3))
    out = BatchNormalization()(inputs)
    assert out.shape == (None, 4, 4, 3)
    model = keras.Model(inputs, out)
    assert model.count_params() == 12
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), x / np.sqrt(1.001), atol=1e-6)


def test_config_round_trip_and_tf_keras_spellings():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2")
    config = layer.get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.9 and config["epsilon"] == 1e-5
    assert config["center"] is False
    assert config["gamma_initializer"]["class_name"] == "Ones"
    assert BatchNormalization.from_config(config).get_config() == config
    legacy = BatchNormalization.from_config({**config, "axis": [3], "fused": True, "renorm": False})
    assert legacy.axis == 3


def test_errors():
    with pytest.raises(ValueError, match="out of bounds"):
        BatchNormalization(axis=3)(keras.Input((4,)))
    with pytest.raises(ValueError, match="defined dimension"):
        BatchNormalization()(keras.Input((4, None)))
    with pytest.raises(ValueError, match="one axis"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="synchronized"):
        BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="renorm_clipping"):
        BatchNormalization(renorm=True, renorm_clipping={"r": 1.0})
    layer = BatchNormalization()
    layer(keras.Input((4, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(keras.Input((4, 5)))


# ------------------------------------------------- Layer, Group and Unit normalization


def test_layer_normalization_defaults_and_torch_layout(rng):
    layer = keras.layers.LayerNormalization()
    x = torch.from_numpy(rng.standard_normal((4, 3, 6)).astype("float32")) * 3 + 2
    out = layer(x)
    assert layer.epsilon == 1e-3
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    expected = torch.nn.functional.layer_norm(x, (6,), eps=1e-3)
    torch.testing.assert_close(out, expected)
    assert layer.gamma is layer.weight


def test_layer_normalization_axes(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    for axis, reduce in [([1, 2], (1, 2)), (1, (1,)), ([-3 + 1], (1,))]:
        layer = keras.layers.LayerNormalization(axis=axis, center=False, scale=False)
        mean, var = x.mean(reduce, keepdims=True), x.var(reduce, keepdims=True)
        np.testing.assert_allclose(
            layer(torch.from_numpy(x)).numpy(), (x - mean) / np.sqrt(var + 1e-3), atol=1e-5
        )
    assert keras.layers.LayerNormalization(axis=[2, 1]).get_config()["axis"] == [2, 1]
    built = keras.layers.LayerNormalization(axis=[2, 1])
    built.build((None, 3, 4))
    assert built.get_config()["axis"] == [1, 2] and built.weights[0].shape == (3, 4)
    with pytest.raises(ValueError, match=r"Axis 3 is out of bounds for input shape \(None, 3, 4\)"):
        keras.layers.LayerNormalization(axis=3)(keras.Input((3, 4)))
    with pytest.raises(TypeError, match="axis"):
        keras.layers.LayerNormalization(axis="last")


def test_layer_normalization_rms_scaling_and_half_inputs(rng):
    x = torch.from_numpy(rng.standard_normal((3, 5)).astype("float32")) + 1
    layer = keras.layers.LayerNormalization(rms_scaling=True)
    out = layer(x)
    assert [w.name for w in layer.weights] == ["gamma"]
    torch.testing.assert_close(out, x / torch.sqrt(x.var(-1, keepdim=True, correction=0) + 1e-3))
    assert layer.get_config()["rms_scaling"] is True
    assert "rms_scaling" not in keras.layers.LayerNormalization().get_config()  # tf.keras keys
    half = keras.layers.LayerNormalization()(x.half())
    assert half.dtype == torch.float32  # a float32 layer called on half tensors: Keras 3's dtype


def test_group_normalization(rng):
    x = torch.from_numpy(rng.standard_normal((2, 5, 6)).astype("float32"))
    layer = keras.layers.GroupNormalization(groups=3)
    out = layer(x)
    grouped = x.numpy().reshape(2, 5, 3, 2)
    mean, var = grouped.mean((1, 3), keepdims=True), grouped.var((1, 3), keepdims=True)
    expected = ((grouped - mean) / np.sqrt(var + 1e-3)).reshape(2, 5, 6)
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-5)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    instance = keras.layers.GroupNormalization(groups=-1)
    instance.build((None, 4, 6))
    assert instance.groups == 6
    with pytest.raises(ValueError, match=r"Number of groups \(4\) must be a multiple"):
        keras.layers.GroupNormalization(groups=4).build((None, 6))
    with pytest.raises(ValueError, match="expected a positive integer"):
        keras.layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="should have a defined dimension"):
        keras.layers.GroupNormalization(groups=2)(keras.Input((3, None)))


def test_unit_normalization(rng):
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    out = keras.layers.UnitNormalization()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1, atol=1e-6)
    both = keras.layers.UnitNormalization(axis=[1, 2])(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.sqrt((both**2).sum((1, 2))), 1, atol=1e-6)
    zeros = keras.layers.UnitNormalization()(torch.zeros(1, 3))
    assert torch.all(zeros == 0)
    with pytest.raises(ValueError, match="out of bounds"):
        keras.layers.UnitNormalization(axis=2).compute_output_shape((None, 3))


def test_per_sample_normalizations_keep_masks_and_configs():
    tokens = keras.Input((4,), dtype="int32")
    x = keras.layers.Embedding(5, 6, mask_zero=True)(tokens)
    for layer in (
        keras.layers.LayerNormalization(),
        keras.layers.GroupNormalization(groups=2),
        keras.layers.UnitNormalization(),
    ):
        x = layer(x)
        assert x._keras_mask is not None
        config = layer.get_config()
        assert type(layer).from_config(config).get_config()["name"] == config["name"]
