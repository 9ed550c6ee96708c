"""CategoryEncoding side by side with Keras 3 (torch backend)."""

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs

INPUTS = [
    np.int64(2),
    np.array([0, 1, 3, 3]),
    np.array([[0], [3], [2]]),
    np.array([[0, 1, 1], [3, 3, 2]]),
    np.array([[[0, 1], [2, 2]], [[3, 0], [1, 1]]]),
    np.array([[0, -1, 2]]),
    np.array([[0.5, 1.7, 3.2]], "float32"),
]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("index", range(len(INPUTS)))
def test_outputs_shapes_and_dtypes_match_keras(mode, index):
    x = INPUTS[index]
    theirs = keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    ours = kerasish.layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    expected, received = theirs(x), ours(x)
    assert received.dtype == expected.dtype
    np.testing.assert_array_equal(received.numpy(), keras.ops.convert_to_numpy(expected))
    assert ours.compute_output_shape(np.shape(x)) == tuple(theirs.compute_output_shape(np.shape(x)))


def test_count_weights_and_layer_dtype_match_keras():
    x = np.array([[0, 1, 1], [3, 3, 2]])
    weights = np.array([[0.5, 1.0, 2.0], [0.25, 0.25, 4.0]])
    theirs = keras.layers.CategoryEncoding(num_tokens=5, output_mode="count")
    ours = kerasish.layers.CategoryEncoding(num_tokens=5, output_mode="count")
    expected, received = theirs(x, count_weights=weights), ours(x, count_weights=weights)
    assert received.dtype == expected.dtype == torch.float32
    np.testing.assert_allclose(received.numpy(), keras.ops.convert_to_numpy(expected), atol=1e-6)
    for mode in ("multi_hot", "count"):
        expected = keras.layers.CategoryEncoding(4, output_mode=mode, dtype="int32")(x)
        received = kerasish.layers.CategoryEncoding(4, output_mode=mode, dtype="int32")(x)
        assert received.dtype == expected.dtype == torch.int32
        np.testing.assert_array_equal(received.numpy(), expected.numpy())


def _error(layer, *args, **kwargs):
    try:
        layer(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - the type is what is compared
        return type(err), str(err)
    return None


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_out_of_range_ids_raise_as_in_keras_on_cpu(mode):
    x = np.array([[0, 4]])
    expected = _error(keras.layers.CategoryEncoding(4, output_mode=mode), x)
    received = _error(kerasish.layers.CategoryEncoding(4, output_mode=mode), x)
    assert received[0] is expected[0] is RuntimeError
    assert "Class values must be smaller than num_classes." in expected[1]
    assert "Class values must be smaller than num_classes." in received[1]


def test_argument_errors_match_keras():
    for kwargs in ({}, {"num_tokens": 0}, {"num_tokens": 3, "output_mode": "int"}):
        with pytest.raises(ValueError) as theirs:
            keras.layers.CategoryEncoding(**kwargs)
        with pytest.raises(ValueError) as ours:
            kerasish.layers.CategoryEncoding(**kwargs)
        assert str(ours.value) == str(theirs.value)
    x, weights = np.array([[0, 1]]), np.array([[1.0, 2.0]])
    expected = _error(keras.layers.CategoryEncoding(4, output_mode="one_hot"), x, count_weights=weights)
    received = _error(kerasish.layers.CategoryEncoding(4, output_mode="one_hot"), x, count_weights=weights)
    assert received[0] is expected[0] is ValueError
    assert "`count_weights` is not used when `output_mode` is not `'count'`" in received[1]
    expected = _error(keras.layers.CategoryEncoding(4, sparse=True), x)
    received = _error(kerasish.layers.CategoryEncoding(4, sparse=True), x)
    assert received == (ValueError, "Unsupported value `sparse=True` with torch backend")
    assert expected[0] is ValueError and received[1] in expected[1]


def test_configs_cross_load():
    theirs = keras.layers.CategoryEncoding(num_tokens=7, output_mode="count", name="enc")
    ours = kerasish.layers.CategoryEncoding.from_config(theirs.get_config())
    assert (ours.num_tokens, ours.output_mode, ours.name) == (7, "count", "enc")
    assert ours.get_config() == {**theirs.get_config(), "dtype": "float32"}
    back = keras.layers.CategoryEncoding.from_config(ours.get_config())
    assert (back.num_tokens, back.output_mode, back.name) == (7, "count", "enc")


def _model(module):
    inputs = module.Input((3,), dtype="int32")
    encoded = module.layers.CategoryEncoding(num_tokens=5, output_mode="count", name="enc")(inputs)
    return module.Model(inputs, module.layers.Dense(2, name="head")(encoded))


def test_keras_files_load_both_ways(rng, tmp_path):
    x = np.array([[0, 1, 1], [4, 4, 2], [3, 0, 0]], "int32")
    reference = _model(keras)
    reference.set_weights([rng.standard_normal(w.shape).astype("float32") for w in reference.weights])
    reference.save(tmp_path / "keras.keras")
    ours = kerasish.models.load_model(tmp_path / "keras.keras")
    assert isinstance(ours.get_layer("enc"), kerasish.layers.CategoryEncoding)
    assert ours.get_layer("enc").output.shape == (None, 5)
    assert_same_outputs(reference, ours, x, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert back.get_layer("enc").get_config()["output_mode"] == "count"
    assert_same_outputs(back, ours, x, atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "float64"])
def test_policy_output_dtype_matches_keras(policy):
    x = np.array([[0, 1, 1]])
    for mode in ("one_hot", "multi_hot", "count"):
        expected = keras.layers.CategoryEncoding(4, output_mode=mode, dtype=policy)(x)
        received = kerasish.layers.CategoryEncoding(4, output_mode=mode, dtype=policy)(x)
        assert received.dtype == expected.dtype
        np.testing.assert_array_equal(received.numpy(), expected.numpy())
