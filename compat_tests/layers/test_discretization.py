"""Discretization side by side with Keras 3 (torch backend)."""

import itertools

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs

BOUNDARIES = [0.0, 1.0, 2.5]
INPUTS = [
    np.array([[-1.0, 0.0, 0.5, 1.0, 2.5, 3.0]], "float32"),
    np.array([0.5, 3.0], "float32"),
    np.array([[0.5], [3.0], [1.0]], "float32"),
    np.array([[[0.5, 3.0], [1.0, 1.0]], [[-2.0, 2.5], [0.0, 0.99999994]]], "float32"),
    np.array([[-1, 0, 1, 2, 3]]),
]


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("index", range(len(INPUTS)))
def test_outputs_shapes_and_dtypes_match_keras(mode, index):
    x = INPUTS[index]
    theirs = keras.layers.Discretization(bin_boundaries=BOUNDARIES, output_mode=mode)
    ours = kerasish.layers.Discretization(bin_boundaries=BOUNDARIES, output_mode=mode)
    expected, received = theirs(x), ours(x)
    assert received.dtype == expected.dtype
    np.testing.assert_array_equal(received.numpy(), keras.ops.convert_to_numpy(expected))
    assert ours.compute_output_shape(x.shape) == tuple(theirs.compute_output_shape(x.shape))


def test_values_at_and_beside_a_boundary_fall_as_in_keras():
    x = torch.tensor([[0.99999994, 1.0, 1.0000001, -0.0, 2.5]], dtype=torch.float64)
    for boundaries in (BOUNDARIES, [1, 2], []):
        expected = keras.layers.Discretization(bin_boundaries=boundaries)(x)
        received = kerasish.layers.Discretization(bin_boundaries=boundaries)(x)
        np.testing.assert_array_equal(received.numpy(), expected.numpy())


def test_layer_dtype_sets_the_encoded_dtype_as_in_keras():
    x = INPUTS[0]
    for mode, policy in itertools.product(("int", "count"), ("float64", "mixed_bfloat16")):
        expected = keras.layers.Discretization(BOUNDARIES, output_mode=mode, dtype=policy)(x)
        received = kerasish.layers.Discretization(BOUNDARIES, output_mode=mode, dtype=policy)(x)
        assert received.dtype == expected.dtype
        np.testing.assert_array_equal(received.float().numpy(), expected.float().numpy())


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_bins": -1},
        {"num_bins": 2, "bin_boundaries": [1.0]},
        {"bin_boundaries": [1.0], "output_mode": "foo"},
        {"bin_boundaries": [1.0], "sparse": True},
        {"bin_boundaries": [1.0], "sparse": True, "output_mode": "count"},
    ],
)
def test_argument_errors_match_keras(kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.layers.Discretization(**kwargs)
    with pytest.raises(ValueError) as ours:
        kerasish.layers.Discretization(**kwargs)
    assert str(ours.value) == str(theirs.value)


def test_unadapted_and_non_adaptable_layers_fail_as_in_keras():
    with pytest.raises(ValueError, match="You need to either pass the `bin_boundaries`") as theirs:
        keras.layers.Discretization(num_bins=3)(INPUTS[0])
    with pytest.raises(ValueError) as ours:
        kerasish.layers.Discretization(num_bins=3)(INPUTS[0])
    assert str(ours.value) in str(theirs.value)
    with pytest.raises(ValueError) as theirs:
        keras.layers.Discretization(bin_boundaries=[1.0]).adapt(INPUTS[0])
    with pytest.raises(ValueError) as ours:
        kerasish.layers.Discretization(bin_boundaries=[1.0]).adapt(INPUTS[0])
    assert str(ours.value) == str(theirs.value)


def _keras_adapt(layer, batches):
    """Keras' adapt() needs TensorFlow for its dataset check; its update/finalize do not."""
    layer.reset_state()
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()


@pytest.mark.parametrize(
    "num_bins, epsilon, batch_shapes",
    [(4, 0.01, [(7, 1)]), (3, 0.1, [(50, 3)]), (3, 0.01, [(3,), (4,)]), (5, 0.05, [(40, 2), (90,), (13, 1)])],
)
def test_adapt_learns_keras_boundaries(num_bins, epsilon, batch_shapes, rng):
    batches = [rng.standard_normal(shape).astype("float32") * 3 for shape in batch_shapes]
    theirs = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    _keras_adapt(theirs, batches)
    ours = kerasish.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    ours.adapt(batches if len(batches) > 1 else batches[0])
    assert ours.bin_boundaries == theirs.bin_boundaries
    assert ours.get_config() == theirs.get_config()
    x = rng.standard_normal((4, 3)).astype("float32") * 3
    np.testing.assert_array_equal(ours(x).numpy(), theirs(x).numpy())


def test_configs_cross_load_including_adapted_layers():
    theirs = keras.layers.Discretization(num_bins=3, output_mode="one_hot", name="disc")
    _keras_adapt(theirs, [np.arange(10, dtype="float32")])
    ours = kerasish.layers.Discretization.from_config(theirs.get_config())
    assert ours.get_config() == theirs.get_config()
    back = keras.layers.Discretization.from_config(ours.get_config())
    assert back.get_config() == theirs.get_config()
    plain = keras.layers.Discretization(bin_boundaries=BOUNDARIES, epsilon=0.5, dtype="float64")
    assert kerasish.layers.Discretization.from_config(plain.get_config()).get_config() == (
        plain.get_config()
    )


def _model(module, **kwargs):
    inputs = module.Input((3,))
    encoded = module.layers.Discretization(name="disc", **kwargs)(inputs)
    return module.Model(inputs, module.layers.Dense(2, name="head")(encoded))


def test_keras_files_load_both_ways(rng, tmp_path):
    x = rng.standard_normal((5, 3)).astype("float32") * 2
    reference = _model(keras, bin_boundaries=BOUNDARIES, output_mode="count")
    reference.set_weights([rng.standard_normal(w.shape).astype("float32") for w in reference.weights])
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(ours.get_layer("disc"), kerasish.layers.Discretization)
    assert ours.get_layer("disc").output.shape == (None, 4)
    assert_same_outputs(reference, ours, x, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("disc").get_config() == reference.get_layer("disc").get_config()
    assert_same_outputs(back, ours, x, atol=1e-6)


def test_int_output_in_a_model_is_int32_as_in_keras(rng):
    inputs = kerasish.Input((3,))
    outputs = kerasish.layers.Discretization(bin_boundaries=BOUNDARIES)(inputs)
    theirs_inputs = keras.Input((3,))
    theirs_outputs = keras.layers.Discretization(bin_boundaries=BOUNDARIES)(theirs_inputs)
    assert outputs.dtype == theirs_outputs.dtype == "int32"
    x = rng.standard_normal((4, 3)).astype("float32") * 2
    expected = keras.Model(theirs_inputs, theirs_outputs).predict(x, verbose=0)
    received = kerasish.Model(inputs, outputs).predict(x, verbose=0)
    assert received.dtype == expected.dtype
    np.testing.assert_array_equal(received, expected)
