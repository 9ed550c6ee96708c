"""Hashing: Keras' documented outputs, input forms, dtypes, errors, configs and models."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import layers
from kerasish.utils import fingerprint

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


@pytest.mark.parametrize(
    ("kwargs", "inputs", "expected"),
    [  # the examples of Keras' docstring
        ({}, LETTERS, [1, 0, 1, 1, 2]),
        ({"mask_value": ""}, [["A"], ["B"], [""], ["C"], ["D"]], [1, 1, 0, 2, 2]),
        ({"salt": [133, 137]}, LETTERS, [1, 2, 1, 0, 2]),
        ({"salt": 133}, LETTERS, [0, 0, 2, 1, 0]),
    ],
)
def test_keras_documented_examples(kwargs, inputs, expected):
    out = layers.Hashing(num_bins=3, **kwargs)(inputs)
    assert out.dtype == torch.int64 and out.shape == (5, 1)
    assert out.ravel().tolist() == expected


def test_buckets_are_fingerprints_modulo_num_bins():
    strings = ["", "a", "hello world", "x" * 40, "y" * 100]
    out = layers.Hashing(num_bins=1000)(np.array(strings))
    expected = fingerprint.fingerprint64([s.encode() for s in strings]) % np.uint64(1000)
    assert out.tolist() == expected.astype(np.int64).tolist()
    salted = layers.Hashing(num_bins=1000, salt=(4, 5))(np.array(strings))
    expected = fingerprint.siphash([s.encode() for s in strings], (4, 5)) % np.uint64(1000)
    assert salted.tolist() == expected.astype(np.int64).tolist()


def test_every_string_form_hashes_the_same_bytes():
    layer = layers.Hashing(num_bins=97)
    words = ["héllo", "b", "日本"]
    expected = layer(words).tolist()
    assert layer(np.array(words)).tolist() == expected
    assert layer(np.array(words, dtype=object)).tolist() == expected
    assert layer(np.array([w.encode() for w in words], dtype=object)).tolist() == expected
    assert layer(np.array([w.encode() for w in words])).tolist() == expected
    assert layer("b").tolist() == expected[1] and layer("b").shape == ()
    # Trailing NULs count (numpy's fixed-width strings would drop them; Python lists keep them).
    assert layer(["b\x00"]).tolist() != layer(["b"]).tolist()


def test_integers_hash_as_decimal_strings():
    layer = layers.Hashing(num_bins=1000)
    ints = np.array([0, -7, 123456789012, 2**63 - 1])
    expected = layer(np.array([str(v) for v in ints.tolist()])).tolist()
    assert layer(ints).tolist() == expected
    assert layer(ints.tolist()).tolist() == expected
    assert layer(torch.tensor(ints)).tolist() == expected
    assert layer(np.array([0, -7], dtype="int32")).tolist() == expected[:2]
    # Floats are truncated to integers first, booleans become "true"/"false" (TF's as_string).
    assert layer(np.array([0.9, -7.5], dtype="float32")).tolist() == expected[:2]
    assert layer(np.array([True, False])).tolist() == layer(["true", "false"]).tolist()


def test_mask_value_takes_bin_zero_and_shifts_the_others():
    plain = layers.Hashing(num_bins=4)(np.array(["a", "b", "c"]))  # 4 bins, no mask
    masked = layers.Hashing(num_bins=5, mask_value="b")(np.array(["a", "b", "c"]))
    assert masked[1] == 0
    assert masked[[0, 2]].tolist() == (plain[[0, 2]] + 1).tolist()
    ints = layers.Hashing(num_bins=5, mask_value=0)(np.array([0, 3, 0]))
    assert ints[0] == 0 and ints[2] == 0 and ints[1] > 0
    # A single bin leaves no room for the mask: Keras ignores it.
    assert layers.Hashing(num_bins=1, mask_value="a")(["a", "b"]).tolist() == [0, 0]


def test_mask_of_another_type_is_refused_by_name():
    with pytest.raises(TypeError, match=r"Layer 'h' \(Hashing\): mask_value='a'"):
        layers.Hashing(num_bins=3, mask_value="a", name="h")(np.array([1, 2]))
    with pytest.raises(TypeError, match="cannot be compared with inputs of dtype string"):
        layers.Hashing(num_bins=3, mask_value=1, name="h")(["a"])


@pytest.mark.parametrize(
    ("mode", "shape", "expected_shape"),
    [
        ("one_hot", (5,), (5, 4)),
        ("one_hot", (5, 1), (5, 4)),
        ("one_hot", (2, 3, 1), (2, 3, 4)),
        ("multi_hot", (), (4,)),
        ("multi_hot", (6,), (4,)),
        ("multi_hot", (2, 3), (2, 4)),
        ("count", (2, 3), (2, 4)),
        ("count", (2, 3, 2), (2, 2, 4)),  # Keras reduces axis 1 whatever the rank
    ],
)
def test_encodings_follow_keras_rank_rules(mode, shape, expected_shape):
    words = np.array(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"])
    x = words[: int(np.prod(shape))].reshape(shape)
    out = layers.Hashing(num_bins=4, output_mode=mode)(x)
    assert out.dtype == torch.float32 and tuple(out.shape) == expected_shape
    if mode == "count":
        assert out.sum().item() == x.size
    else:
        assert set(out.unique().tolist()) <= {0.0, 1.0}


def test_one_hot_of_a_scalar_fails_as_in_keras_with_a_clear_message():
    with pytest.raises(IndexError, match="output_mode='one_hot' cannot encode a scalar"):
        layers.Hashing(num_bins=3, output_mode="one_hot")("a")


def test_output_dtypes():
    assert layers.Hashing(3, dtype="int32")(["a"]).dtype == torch.int32
    assert layers.Hashing(3, output_mode="count", dtype="int32")(["a"]).dtype == torch.int32
    assert layers.Hashing(3, output_mode="multi_hot", dtype="float64")(["a"]).dtype == torch.float64
    assert layers.Hashing(3).dtype == "int64"
    assert layers.Hashing(3, output_mode="one_hot").dtype == "float32"


def test_argument_errors():
    with pytest.raises(ValueError, match="cannot be `None` or non-positive"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="`dtype` should be an integer type"):
        layers.Hashing(num_bins=3, dtype="float32")
    with pytest.raises(ValueError, match="Invalid value for argument `output_mode`"):
        layers.Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="`sparse` may only be true"):
        layers.Hashing(num_bins=3, sparse=True)
    with pytest.raises(NotImplementedError, match=r"Hashing\(sparse=True\)"):
        layers.Hashing(num_bins=3, output_mode="multi_hot", sparse=True)
    with pytest.raises(ValueError, match="The `salt` argument for `Hashing`"):
        layers.Hashing(num_bins=3, salt=[1, 2, 3])


def test_config_round_trip():
    layer = layers.Hashing(num_bins=7, salt=5, mask_value="", output_mode="count", name="h")
    config = layer.get_config()
    assert config["salt"] == [5, 5] and config["num_bins"] == 7 and config["sparse"] is False
    assert config["mask_value"] == "" and config["output_mode"] == "count"
    clone = layers.Hashing.from_config(config)
    assert clone.get_config() == config
    x = np.array([["a", "b"], ["", "c"]])
    assert torch.equal(clone(x), layer(x))
    assert layers.experimental.preprocessing.Hashing is layers.Hashing


def test_in_a_model_graph_predict_and_files(tmp_path):
    ids = kerasish.Input(shape=(3,), dtype="int64")
    hashed = layers.Hashing(num_bins=10, salt=[1, 2])(ids)
    assert hashed.shape == (None, 3) and hashed.dtype == "int64"
    one_hot = layers.Hashing(num_bins=4, output_mode="one_hot")(ids)
    assert one_hot.shape == (None, 4)  # Keras' spec; an eager call gives (batch, 3, 4)
    model = kerasish.Model(ids, hashed)
    x = np.array([[1, 2, 3], [-4, 5, 2**40]])
    expected = layers.Hashing(num_bins=10, salt=[1, 2])(x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected.numpy())
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = kerasish.saving.load_model(tmp_path / name)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected.numpy())
