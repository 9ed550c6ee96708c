"""CategoryEncoding and Discretization without real Keras."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish.layers.categorical import encode_categorical


def test_rank_rules_of_each_mode():
    def shape(mode, x):
        return tuple(encode_categorical(torch.tensor(x), mode, 4, torch.float32).shape)

    assert shape("one_hot", 2) == (1, 4)
    assert shape("one_hot", [1, 2, 3]) == (3, 4)
    assert shape("one_hot", [[1], [2]]) == (2, 4)  # a trailing 1 is replaced
    assert shape("one_hot", [[1, 2]]) == (1, 2, 4)
    assert shape("multi_hot", 2) == (4,)
    assert shape("multi_hot", [1, 2, 3]) == (4,)  # rank 1 is one sample
    assert shape("count", [[1, 2], [0, 0]]) == (2, 4)
    assert shape("count", [[[1, 2], [0, 0]]]) == (1, 2, 4)  # axis 1 is reduced at any rank


def test_values_of_each_mode_and_count_weights():
    layer = kerasish.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    x = np.array([[0, 1, 1, -1], [3, 3, 3, 2]])
    np.testing.assert_array_equal(layer(x).numpy(), [[1, 2, 0, 0], [0, 0, 1, 3]])
    weighted = layer(x, count_weights=np.array([[0.5, 1.0, 2.0, 9.0], [1.0, 1.0, 1.0, 0.5]]))
    np.testing.assert_allclose(weighted.numpy(), [[0.5, 3.0, 0.0, 0.0], [0.0, 0.0, 0.5, 3.0]])
    multi = kerasish.layers.CategoryEncoding(num_tokens=4)(x)
    np.testing.assert_array_equal(multi.numpy(), [[1, 1, 0, 0], [0, 0, 1, 1]])
    assert multi.dtype == torch.float32
    one_hot = kerasish.layers.CategoryEncoding(num_tokens=3, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([[2], [-1]])).numpy(), [[0, 0, 1], [0, 0, 0]])


def test_errors_and_the_binary_alias():
    assert kerasish.layers.CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"
    with pytest.raises(ValueError, match="Unknown arg for output_mode: int"):
        kerasish.layers.CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="num_tokens must be set"):
        kerasish.layers.CategoryEncoding()
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        kerasish.layers.CategoryEncoding(3)(np.array([[0, 3]]))
    with pytest.raises(ValueError, match="`count_weights` is not used"):
        kerasish.layers.CategoryEncoding(3)(np.array([[0]]), count_weights=np.array([[1.0]]))
    with pytest.raises(ValueError, match="Unsupported value `sparse=True` with torch backend"):
        kerasish.layers.CategoryEncoding(3, sparse=True)(np.array([[0]]))


def test_category_encoding_in_a_model_with_count_weights_as_an_input():
    ids = kerasish.Input((3,), dtype="int32")
    weights = kerasish.Input((3,))
    encoded = kerasish.layers.CategoryEncoding(5, output_mode="count")(ids, count_weights=weights)
    assert encoded.shape == (None, 5)
    model = kerasish.Model([ids, weights], encoded)
    out = model.predict([np.array([[1, 1, 4]]), np.array([[0.5, 0.5, 2.0]], "float32")], verbose=0)
    np.testing.assert_allclose(out, [[0.0, 1.0, 0.0, 0.0, 2.0]])
    config = model.layers[-1].get_config()
    assert {k: config[k] for k in ("num_tokens", "output_mode")} == {
        "num_tokens": 5,
        "output_mode": "count",
    }
    assert "sparse" not in config


def test_discretization_buckets_values_equal_to_a_boundary_upwards():
    layer = kerasish.layers.Discretization(bin_boundaries=[0.0, 1.0])
    out = layer(np.array([[-0.5, 0.0, 0.5, 1.0, 7.0]], "float32"))
    assert out.dtype == torch.int32
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 1, 2, 2]])
    counts = kerasish.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="count")
    np.testing.assert_array_equal(counts(np.array([[-0.5, 0.0, 0.5, 1.0]])).numpy(), [[1, 2, 1]])


def test_discretization_boundaries_are_a_non_persistent_buffer():
    layer = kerasish.layers.Discretization(bin_boundaries=[0.0, 1.0])
    assert layer.state_dict() == {} and layer.weights == []
    layer.to(torch.float64)
    assert layer(torch.tensor([0.5])).tolist() == [1]
    layer.bin_boundaries = [0.25]
    assert layer(torch.tensor([0.5])).tolist() == [1] and layer.get_config()["bin_boundaries"] == [0.25]


def test_discretization_symbolic_spec_and_shapes():
    inputs = kerasish.Input((2, 3))
    assert kerasish.layers.Discretization([0.0])(inputs).dtype == "int32"
    multi = kerasish.layers.Discretization([0.0, 1.0], output_mode="multi_hot")(inputs)
    assert (multi.shape, multi.dtype) == ((None, 3, 3), "float32")
    one_hot = kerasish.layers.Discretization([0.0], output_mode="one_hot")
    assert one_hot.compute_output_shape((None, 1)) == (None, 2)
    assert one_hot.compute_output_shape((None, 4)) == (None, 4, 2)


def test_adapt_quantiles_and_steps():
    layer = kerasish.layers.Discretization(num_bins=4)
    layer.adapt(np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [7.0], [10.0]]))
    np.testing.assert_allclose(layer.bin_boundaries, [1.75, 3.5, 5.5], rtol=1e-6)
    assert layer.get_config()["num_bins"] == 4
    restored = kerasish.layers.Discretization.from_config(layer.get_config())
    assert restored.bin_boundaries == layer.bin_boundaries
    limited = kerasish.layers.Discretization(num_bins=2)
    limited.adapt([torch.tensor([1.0, 2.0]), torch.tensor([100.0, 200.0])], steps=1)
    assert limited.bin_boundaries == [1.0]  # the second batch was not read


def test_discretization_errors():
    with pytest.raises(ValueError, match="You need to set either `num_bins` or `bin_boundaries`"):
        kerasish.layers.Discretization()
    with pytest.raises(ValueError, match="cannot be used with backend torch"):
        kerasish.layers.Discretization([1.0], sparse=True)
    with pytest.raises(ValueError, match="call `adapt\\(dataset\\)`"):
        kerasish.layers.Discretization(num_bins=2)(np.zeros((1, 2), "float32"))
