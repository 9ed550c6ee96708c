"""HashedCrossing: Keras' documented outputs, TF's crossing rule, shapes, errors, configs."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import layers
from kerasish.utils import fingerprint

FEAT1 = np.array(["A", "B", "A", "B", "A"])
FEAT2 = np.array([101, 101, 101, 102, 102])


def test_keras_documented_examples():
    out = layers.HashedCrossing(num_bins=5)((FEAT1, FEAT2))
    assert out.dtype == torch.int64 and out.tolist() == [1, 4, 1, 1, 3]
    hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((FEAT1, FEAT2))
    assert hot.dtype == torch.float32 and hot.shape == (5, 5)
    assert hot.argmax(-1).tolist() == [1, 4, 1, 1, 3] and hot.sum().item() == 5


def test_crossing_rule_is_tfs_fingerprint_concatenation():
    # Start from 0xDECAFCAFFE, fold in each feature in order: strings by Fingerprint64,
    # integers as themselves.
    strings = np.array(["x", "yy"])
    ints = np.array([-3, 2**40])
    expected = np.full(2, 0xDECAFCAFFE, dtype=np.uint64)
    expected = fingerprint.fingerprint_cat64(expected, fingerprint.fingerprint64([b"x", b"yy"]))
    expected = fingerprint.fingerprint_cat64(expected, ints.view(np.uint64))
    out = layers.HashedCrossing(num_bins=1000)((strings, ints))
    assert out.tolist() == (expected % np.uint64(1000)).astype(np.int64).tolist()
    # num_bins=0 keeps the whole hash, modulo 2**63 - 1 (values from TF 2.21).
    whole = layers.HashedCrossing(num_bins=0)((np.array([1, 2]), np.array([3, 4])))
    assert whole.tolist() == [4809349409533727844, 6432873524654521740]


def test_feature_order_and_integer_widths():
    layer = layers.HashedCrossing(num_bins=2**31)
    a, b = np.array([1, 2, 3]), np.array(["p", "q", "r"])
    assert layer((a, b)).tolist() != layer((b, a)).tolist()
    assert layer((a.astype("int32"), b)).tolist() == layer((a, b)).tolist()
    assert layer((torch.tensor(a), b)).tolist() == layer((a, b)).tolist()
    assert layer([a, b, a]).shape == (3,)


@pytest.mark.parametrize(
    ("shape", "int_shape", "hot_shape"),
    [((), (), (1, 4)), ((3,), (3,), (3, 4)), ((3, 1), (3, 1), (3, 4))],
)
def test_shapes(shape, int_shape, hot_shape):
    a = np.arange(int(np.prod(shape))).reshape(shape)
    b = a + 10
    assert tuple(layers.HashedCrossing(num_bins=4)((a, b)).shape) == int_shape
    assert tuple(layers.HashedCrossing(num_bins=4, output_mode="one_hot")((a, b)).shape) == hot_shape


def test_call_errors():
    layer = layers.HashedCrossing(num_bins=4)
    a = np.array([1, 2])
    with pytest.raises(ValueError, match="should be called on a list or tuple of inputs"):
        layer(a)
    with pytest.raises(ValueError, match="should be called on at least two inputs"):
        layer((a,))
    with pytest.raises(ValueError, match=r"should have shape `\(\)`, `\(batch_size\)`.*\(2, 2\)"):
        layer((np.ones((2, 2), "int64"), np.ones((2, 2), "int64")))
    with pytest.raises(ValueError, match="should have equal shape"):
        layer((a, np.array([1, 2, 3])))
    with pytest.raises(ValueError, match=r"integer or string dtype.*float32"):
        layer((a, a.astype("float32")))


def test_argument_errors():
    with pytest.raises(ValueError, match="`sparse=True` can only be used with the TensorFlow"):
        layers.HashedCrossing(num_bins=4, output_mode="one_hot", sparse=True)
    with pytest.raises(ValueError, match="Unknown value for `output_mode` argument of HashedCrossing"):
        layers.HashedCrossing(num_bins=4, output_mode="count")
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        layers.HashedCrossing(num_bins=-1)


def test_config_is_keras_and_round_trips():
    layer = layers.HashedCrossing(num_bins=6, output_mode="one_hot", name="c", trainable=False)
    config = layer.get_config()
    assert config == {"num_bins": 6, "output_mode": "one_hot", "sparse": False, "name": "c",
                      "dtype": "float32"}
    clone = layers.HashedCrossing.from_config(config)
    assert clone.get_config() == config
    assert torch.equal(clone((FEAT1, FEAT2)), layer((FEAT1, FEAT2)))
    assert layers.HashedCrossing(num_bins=3, dtype="int32")((FEAT1, FEAT2)).dtype == torch.int32


def test_in_a_model(tmp_path):
    a = kerasish.Input(shape=(1,), dtype="int64")
    b = kerasish.Input(shape=(1,), dtype="int64")
    crossed = layers.HashedCrossing(num_bins=9)((a, b))
    assert crossed.shape == (None, 1) and crossed.dtype == "int64"
    with pytest.raises(ValueError, match="Expected as input a list/tuple of 2 tensors"):
        layers.HashedCrossing(num_bins=9)((a, b, a))
    model = kerasish.Model([a, b], crossed)
    xa, xb = np.array([[1], [2], [3]]), np.array([[7], [8], [-9]])
    expected = layers.HashedCrossing(num_bins=9)((xa, xb)).numpy()
    np.testing.assert_array_equal(model.predict([xa, xb], verbose=0), expected)
    model.save(tmp_path / "m.keras")
    loaded = kerasish.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict([xa, xb], verbose=0), expected)
