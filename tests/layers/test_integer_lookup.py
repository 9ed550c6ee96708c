"""IntegerLookup: device-side lookups, OOV buckets, inversion, adapt and config."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerasish import layers


def test_lookup_on_tensors_keeps_int64():
    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], mask_token=0)
    out = layer(torch.tensor([[12, 1138, 42], [0, 7, 36]], dtype=torch.int32))
    assert out.dtype == torch.int64
    assert out.tolist() == [[2, 4, 5], [0, 1, 3]]
    assert layer(36).tolist() == 3  # a scalar stays a scalar
    assert layer.get_vocabulary() == [0, -1, 12, 36, 1138, 42]


def test_several_oov_indices_use_floor_modulo():
    layer = layers.IntegerLookup(vocabulary=[10, 20], num_oov_indices=3)
    assert layer(np.array([10, 7, -1, -5, 20])).tolist() == [3, 1, 2, 1, 4]


def test_no_oov_indices_refuses_unknown_tokens():
    layer = layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=0)
    assert layer([1, 2]).tolist() == [0, 1]
    with pytest.raises(ValueError, match="found OOV values \\[9\\]"):
        layer([1, 9])


def test_invert():
    layer = layers.IntegerLookup(vocabulary=[12, 36], invert=True, mask_token=0)
    assert layer(torch.tensor([0, 1, 2, 3, 4, -1])).tolist() == [0, -1, 12, 36, -1, -1]


def test_multi_hot_and_count():
    hot = layers.IntegerLookup(vocabulary=[5, 6], output_mode="multi_hot")
    assert hot(torch.tensor([[5, 5, 9]])).tolist() == [[1.0, 1.0, 0.0]]
    count = layers.IntegerLookup(vocabulary=[5, 6], output_mode="count")
    assert count(torch.tensor([[5, 5, 9]])).tolist() == [[1.0, 2.0, 0.0]]


def test_adapt_orders_ties_by_value_descending_and_drops_special_tokens():
    layer = layers.IntegerLookup(mask_token=0)
    layer.adapt(torch.tensor([[0, 1, 2], [2, -1, 0], [3, 1, 7]]))
    assert layer.get_vocabulary() == [0, -1, 2, 1, 7, 3]


def test_refuses_floats_and_unsupported_options():
    layer = layers.IntegerLookup(vocabulary=[1], name="ids")
    with pytest.raises(TypeError, match="'ids'.*float32"):
        layer(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="vocabulary_dtype='int64'"):
        layers.IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="`salt` can only be used"):
        layers.IntegerLookup(salt=1)


def test_farmhash_oov_hashes_decimal_strings():
    from kerasish.utils import fingerprint

    layer = layers.IntegerLookup(vocabulary=[5], num_oov_indices=3, oov_method="farmhash")
    tokens = [7, -3, 123456789012]
    expected = fingerprint.fingerprint64([str(t).encode() for t in tokens]) % np.uint64(3)
    assert layer(torch.tensor(tokens + [5])).tolist() == expected.tolist() + [3]


def test_config_round_trip():
    layer = layers.IntegerLookup(vocabulary=np.array([4, 5], dtype="int32"), mask_token=0)
    config = layer.get_config()
    assert config["vocabulary"] == [4, 5] and config["vocabulary_dtype"] == "int64"
    clone = layers.IntegerLookup.from_config(config)
    assert clone([4, 5, 0, 9]).tolist() == layer([4, 5, 0, 9]).tolist() == [2, 3, 0, 1]


def test_tables_are_buffers_outside_the_state_dict():
    layer = layers.IntegerLookup(vocabulary=[3, 4])
    assert {"_keys", "_values", "_inverse_table"} <= set(layer._buffers)
    assert layer.state_dict() == {} and layer.weights == []
    layer.set_vocabulary([8, 9, 10])
    assert layer(torch.tensor([10])).tolist() == [3]
