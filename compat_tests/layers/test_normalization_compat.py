"""BatchNormalization side by side with Keras 3: inference, one training step, frozen layers."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


def _pair(rng, shape, **kwargs):
    """Keras and kerasish BatchNormalization with the same non-trivial weights."""
    import keras

    reference = keras.layers.BatchNormalization(**kwargs)
    reference.build(shape)
    reference.set_weights(
        [
            rng.uniform(0.5, 2.0, w.shape).astype("float32")
            if w.name in ("gamma", "moving_variance")
            else rng.standard_normal(w.shape).astype("float32")
            for w in reference.weights
        ]
    )
    ours = kerasish.layers.BatchNormalization(**kwargs)
    ours.build(shape)
    ours.set_weights(reference.get_weights())
    return reference, ours


CASES = [
    ((6, 5), {}),
    ((3, 4, 5, 3), {}),
    ((3, 3, 4, 5), {"axis": 1}),
    ((4, 6, 3), {"axis": 1, "momentum": 0.9, "epsilon": 1e-5}),
    ((4, 3), {"center": False, "scale": False}),
]


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_inference_and_one_training_step(rng, shape, kwargs):
    import keras

    reference, ours = _pair(rng, shape, **kwargs)
    assert ours.count_params() == reference.count_params()
    assert ours.compute_output_shape(shape) == tuple(reference.compute_output_shape(shape))
    x = (rng.standard_normal(shape) * 2 + 0.5).astype("float32")
    np.testing.assert_allclose(
        ours(torch.from_numpy(x)).detach().numpy(),
        keras.ops.convert_to_numpy(reference(x)),
        atol=1e-5,
        rtol=0,
    )
    np.testing.assert_allclose(
        ours(torch.from_numpy(x), training=True).detach().numpy(),
        keras.ops.convert_to_numpy(reference(x, training=True)),
        atol=1e-5,
        rtol=0,
    )
    for received, expected in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)
    assert not np.allclose(reference.get_weights()[-2], 0)  # the moving mean did move


def test_frozen_layer_uses_moving_statistics_when_training(rng):
    import keras

    reference, ours = _pair(rng, (5, 4))
    reference.trainable = False
    ours.trainable = False
    x = rng.standard_normal((5, 4)).astype("float32")
    np.testing.assert_allclose(
        ours(torch.from_numpy(x), training=True).detach().numpy(),
        keras.ops.convert_to_numpy(reference(x, training=True)),
        atol=1e-5,
        rtol=0,
    )
    for received, expected in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(received, expected)


def test_masked_training_step(rng):
    import keras

    reference, ours = _pair(rng, (3, 5, 4))
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    mask = rng.random((3, 5)) > 0.4
    mask[:, 0] = True
    np.testing.assert_allclose(
        ours(torch.from_numpy(x), training=True, mask=torch.from_numpy(mask)).detach().numpy(),
        keras.ops.convert_to_numpy(reference(x, training=True, mask=mask)),
        atol=1e-5,
        rtol=0,
    )
    for received, expected in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)


def _model(lib):
    L = lib.layers
    inputs = lib.Input((6, 6, 2))
    x = L.Conv2D(4, 3, padding="same")(inputs)
    x = L.BatchNormalization(momentum=0.8)(x)
    return lib.Model(inputs, L.GlobalAveragePooling2D()(x))


def test_model_inference_after_weight_copy(rng):
    import keras

    reference, ours = _model(keras), _model(kerasish)
    bn = reference.layers[2]
    bn.set_weights([w + rng.uniform(0.1, 1.0, w.shape).astype("float32") for w in bn.get_weights()])
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in reference.weights]
    assert len(ours.trainable_weights) == len(reference.trainable_weights)
    assert len(ours.non_trainable_weights) == len(reference.non_trainable_weights)
    assert_same_outputs(reference, ours, rng.standard_normal((3, 6, 6, 2)).astype("float32"))


def test_configs_interoperate():
    import keras

    reference = keras.layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False)
    config = reference.get_config()
    ours = kerasish.layers.BatchNormalization.from_config(config)
    for key in ("axis", "momentum", "epsilon", "center", "scale"):
        assert ours.get_config()[key] == config[key]
    back = keras.layers.BatchNormalization.from_config(ours.get_config())
    assert back.get_config()["momentum"] == 0.9 and back.get_config()["center"] is False


RENORM_CASES = [  # (shape, kwargs, masked)
    (
        (8, 3),
        {
            "renorm": True,
            "renorm_clipping": {"rmax": 1.5, "rmin": 0.7, "dmax": 0.5},
            "renorm_momentum": 0.9,
            "momentum": 0.8,
        },
        False,
    ),
    ((4, 3, 2, 2), {"axis": 1, "renorm": True, "scale": False, "renorm_momentum": 0.5}, False),
    ((3, 5, 3), {"renorm": True, "renorm_clipping": {"dmax": 0.2}, "center": False}, False),
    ((3, 5, 3), {"renorm": True, "renorm_clipping": {"rmin": 0.9, "rmax": 1.1}}, True),
]


@pytest.mark.parametrize("shape, kwargs, masked", RENORM_CASES)
def test_renorm_training_steps_match_keras(rng, shape, kwargs, masked):
    """Keras 3 computes tf.keras' batch renormalization: three training steps (outputs, every
    statistic), then inference; configs read both ways."""
    import keras

    reference = keras.layers.BatchNormalization(**kwargs)
    reference.build(shape)
    reference.set_weights(
        [
            rng.uniform(0.5, 2.0, w.shape).astype("float32")
            if w.name in ("gamma", "moving_variance") or "stddev" in w.name
            else rng.standard_normal(w.shape).astype("float32")
            for w in reference.weights
        ]
    )
    ours = kerasish.layers.BatchNormalization.from_config(reference.get_config())
    ours.build(shape)
    ours.set_weights(reference.get_weights())
    assert [w.name for w in ours.weights] == [w.name for w in reference.weights]
    along = [1] * len(shape)
    along[kwargs.get("axis", -1)] = 3
    scale = np.reshape([0.3, 1.0, 3.0], along)  # renorm's r and d leave their clipping ranges
    offset = np.reshape([2.0, -1.0, 0.0], along)
    for _ in range(3):
        x = (rng.standard_normal(shape) * scale + offset).astype("float32")
        mask = None
        if masked:
            mask = rng.random(shape[:2]) > 0.3
            mask[:, 0] = True
        np.testing.assert_allclose(
            ours(
                torch.from_numpy(x),
                training=True,
                mask=None if mask is None else torch.from_numpy(mask),
            ).detach().numpy(),
            keras.ops.convert_to_numpy(reference(x, training=True, mask=mask)),
            atol=1e-5,
            rtol=0,
        )
        for received, expected in zip(ours.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(
        ours(torch.from_numpy(x)).detach().numpy(),
        keras.ops.convert_to_numpy(reference(x)),
        atol=1e-5,
        rtol=0,
    )
    back = keras.layers.BatchNormalization.from_config(ours.get_config())
    assert back.renorm and back.renorm_clipping == reference.renorm_clipping
    assert back.renorm_momentum == reference.renorm_momentum


def test_renorm_keras_files_load_both_ways(rng, tmp_path):
    import keras

    inputs = keras.Input((3,))
    layer = keras.layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0})
    reference = keras.Model(inputs, layer(inputs))
    x = (rng.standard_normal((8, 3)) * 3 + 1).astype("float32")
    for _ in range(2):
        reference(x, training=True)
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert [w.path for w in ours.weights] == [w.path for w in reference.weights]
    assert_same_outputs(reference, ours, x)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.layers[1].renorm and back.layers[1].renorm_clipping == {"rmax": 2.0}
    assert_same_outputs(back, ours, x)
    np.testing.assert_allclose(
        ours(torch.from_numpy(x), training=True).detach().numpy(),
        keras.ops.convert_to_numpy(back(x, training=True)),
        atol=1e-5,
    )


# ------------------------------------------------- Layer, Group and Unit normalization


def _random_weights(rng, layer):
    return [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.weights]


PER_SAMPLE_CASES = [
    ("LayerNormalization", {}, (4, 3, 5)),
    ("LayerNormalization", {"axis": [1, 2]}, (4, 3, 5)),
    ("LayerNormalization", {"axis": (-2, -1), "epsilon": 1e-6}, (2, 3, 4, 5)),
    ("LayerNormalization", {"center": False}, (4, 6)),
    ("LayerNormalization", {"scale": False, "epsilon": 0.1}, (4, 6)),
    ("GroupNormalization", {"groups": 2}, (4, 5, 6)),
    ("GroupNormalization", {"groups": -1}, (2, 3, 3, 4)),
    ("GroupNormalization", {"groups": 1, "center": False}, (2, 3, 4)),
    ("GroupNormalization", {"groups": 3, "axis": 1, "epsilon": 1e-5}, (2, 6, 3, 3)),
    ("UnitNormalization", {}, (4, 6)),
    ("UnitNormalization", {"axis": [1, 2]}, (3, 4, 5)),
    ("UnitNormalization", {"axis": 1}, (3, 4, 5)),
]


@pytest.mark.parametrize("name, kwargs, shape", PER_SAMPLE_CASES)
def test_per_sample_normalization_matches_keras(rng, name, kwargs, shape):
    """Outputs inside a model (same weights), weight names and shapes, configs both ways."""
    import keras

    def build(lib, layer):
        inputs = lib.Input(shape[1:])
        return lib.Model(inputs, layer(inputs))

    reference_layer = getattr(keras.layers, name)(**kwargs)
    ours_layer = getattr(kerasish.layers, name).from_config(reference_layer.get_config())
    reference, ours = build(keras, reference_layer), build(kerasish, ours_layer)
    reference.set_weights(_random_weights(rng, reference))
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in reference.weights]
    assert [w.name for w in ours.weights] == [w.name for w in reference.weights]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype("float32")
    assert_same_outputs(reference, ours, x)
    back = getattr(keras.layers, name).from_config(ours_layer.get_config())
    back.build(shape)
    back.set_weights(reference_layer.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(back(x)),
        ours_layer(torch.from_numpy(x)).detach().numpy(),
        atol=1e-5,
    )


def test_layer_normalization_state_dict_is_torch_layer_norm(rng):
    import keras

    reference = keras.layers.LayerNormalization(epsilon=1e-5)
    reference.build((None, 3, 6))
    reference.set_weights(_random_weights(rng, reference))
    ours = kerasish.layers.LayerNormalization(epsilon=1e-5)
    ours.build((None, 3, 6))
    ours.set_weights(reference.get_weights())
    torch_norm = torch.nn.LayerNorm(6)
    torch_norm.load_state_dict(ours.state_dict())
    x = rng.standard_normal((2, 3, 6)).astype("float32")
    np.testing.assert_allclose(
        torch_norm(torch.from_numpy(x)).detach().numpy(),
        keras.ops.convert_to_numpy(reference(x)),
        atol=1e-5,
    )


def test_layer_normalization_non_trailing_axis_normalizes_that_axis(rng):
    """Keras 3.15's torch backend feeds a non-trailing axis to F.layer_norm and normalizes the
    last axis instead (or fails when sizes differ); its other backends and the docs normalize
    the requested axis, which is what kerasish does."""
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    ours = kerasish.layers.LayerNormalization(axis=1)
    ours.build((None, 3, 4))
    gamma, beta = rng.uniform(0.5, 1.5, (2, 3)).astype("float32")
    ours.set_weights([gamma, beta])
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[None, :, None] + beta[None, :, None]
    np.testing.assert_allclose(ours(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5)


def test_group_normalization_errors_match_keras():
    import keras

    for kwargs, shape in [({"groups": 4}, (None, 3, 6)), ({"groups": 8}, (None, 3, 6))]:
        with pytest.raises(ValueError) as expected:
            keras.layers.GroupNormalization(**kwargs).build(shape)
        with pytest.raises(ValueError) as received:
            kerasish.layers.GroupNormalization(**kwargs).build(shape)
        assert str(received.value) == str(expected.value)
