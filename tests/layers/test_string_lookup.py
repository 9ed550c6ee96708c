"""StringLookup (and the IndexLookup machinery it shares): vocabularies, adapt order, encodings,
errors, config and saving hooks. Keras 3's own answers are checked in
compat_tests/layers/test_lookup_compat.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerasish import layers
from kerasish.saving.serialization import SafeModeScope


def test_lookup_maps_tokens_and_oov():
    layer = layers.StringLookup(vocabulary=["a", "b", "c"])
    out = layer(np.array([["a", "c"], ["zz", "b"]]))
    assert out.dtype == torch.int64
    assert out.tolist() == [[1, 3], [0, 2]]
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer.vocabulary_size() == 4


def test_accepts_str_bytes_lists_and_object_arrays():
    layer = layers.StringLookup(vocabulary=["a", "é"])
    assert layer("é").tolist() == 2
    assert layer(["a", "x"]).tolist() == [1, 0]
    assert layer(np.array([b"a", "é".encode()])).tolist() == [1, 2]
    assert layer(np.array(["a", b"\xc3\xa9"], dtype=object)).tolist() == [1, 2]
    latin = layers.StringLookup(vocabulary=["é"], encoding="latin-1")
    assert latin(np.array([b"\xe9"])).tolist() == [1]


def test_refuses_non_string_inputs_with_the_layer_name():
    layer = layers.StringLookup(vocabulary=["a"], name="words")
    with pytest.raises(TypeError, match="'words'.*received data of dtype float64"):
        layer(np.array([1.5]))
    with pytest.raises(TypeError, match="torch tensor"):
        layer(torch.zeros(2))


def test_mask_token_is_zero_in_int_mode_and_dropped_otherwise():
    layer = layers.StringLookup(vocabulary=["a", "b"], mask_token="")
    assert layer(["", "a", "q"]).tolist() == [0, 2, 1]
    hot = layers.StringLookup(vocabulary=["a", "b"], mask_token="", output_mode="multi_hot")
    assert hot.get_vocabulary() == ["[UNK]", "a", "b"]
    assert hot([["", "a"], ["", ""]]).tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_no_oov_indices_refuses_unknown_tokens():
    layer = layers.StringLookup(vocabulary=["a", "b"], num_oov_indices=0)
    assert layer(["a", "b"]).tolist() == [0, 1]
    with pytest.raises(ValueError, match="found OOV values \\['q'\\]"):
        layer(["a", "q"])


def test_invert_returns_numpy_strings():
    layer = layers.StringLookup(vocabulary=["a", "b"], invert=True)
    out = layer(torch.tensor([[1, 2], [0, 7]]))
    assert isinstance(out, np.ndarray) and out.dtype.kind == "U"
    assert out.tolist() == [["a", "b"], ["[UNK]", "[UNK]"]]
    with pytest.raises(TypeError, match="integer indices"):
        layer(np.array([0.5]))


def test_output_modes_shapes_and_dtypes():
    vocab = ["a", "b", "c"]
    one_hot = layers.StringLookup(vocabulary=vocab, output_mode="one_hot")
    assert one_hot(["a", "z"]).tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]
    assert one_hot("b").shape == (1, 4)
    count = layers.StringLookup(vocabulary=vocab, output_mode="count", pad_to_max_tokens=True, max_tokens=6)
    out = count([["a", "a", "c"]])
    assert out.dtype == torch.float32 and out.tolist() == [[0, 2, 0, 1, 0, 0]]
    tf_idf = layers.StringLookup(vocabulary=vocab, output_mode="tf_idf", idf_weights=[1.0, 2.0, 3.0])
    # The OOV weight is the average of the given ones.
    assert tf_idf([["a", "a", "q"]]).tolist() == [[2.0, 2.0, 0.0, 0.0]]
    assert one_hot.compute_output_shape((None, 1)) == (None, 4)
    assert count.compute_output_shape((None, 5)) == (None, 6)


def test_adapt_orders_by_count_then_token_descending():
    layer = layers.StringLookup()
    layer.adapt([["b", "a", "c"], ["c", "a", "d"], ["d", "e", "e"]])
    assert layer.get_vocabulary() == ["[UNK]", "e", "d", "c", "a", "b"]
    capped = layers.StringLookup(max_tokens=3)
    capped.adapt(np.array(["x", "y", "y", "z"]))
    assert capped.get_vocabulary(include_special_tokens=False) == ["y", "z"]


def test_adapt_on_batches_with_steps():
    def batches():
        yield np.array(["a", "b"])
        yield np.array(["b", "c"])
        yield np.array(["c", "c", "c"])

    layer = layers.StringLookup()
    layer.adapt(batches(), steps=2)
    assert layer.get_vocabulary() == ["[UNK]", "b", "c", "a"]


def test_adapt_tf_idf_documents_are_rows():
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "a"], ["a", "b"]])
    idf_a, idf_b = np.log(1 + 2 / 3), np.log(1 + 2 / 2)
    expected = [np.mean([idf_a, idf_b]), idf_a, idf_b]
    np.testing.assert_allclose(layer.idf_weights.numpy(), expected, rtol=1e-6)


def test_static_vocabulary_cannot_be_adapted():
    layer = layers.StringLookup(vocabulary=["a"], name="fixed")
    with pytest.raises(ValueError, match="Cannot adapt layer 'fixed'"):
        layer.adapt(["a", "b"])


def test_set_vocabulary_detects_special_tokens_and_checks():
    layer = layers.StringLookup(mask_token="")
    layer.set_vocabulary(["", "[UNK]", "x"])
    assert layer.get_vocabulary() == ["", "[UNK]", "x"]
    with pytest.raises(ValueError, match="repeated term"):
        layer.set_vocabulary(["x", "x"])
    with pytest.raises(ValueError, match="reserved mask token"):
        layer.set_vocabulary(["x", ""])
    with pytest.raises(ValueError, match="empty vocabulary"):
        layer.set_vocabulary([])


def test_non_int_mode_needs_a_vocabulary_and_keeps_its_size():
    layer = layers.StringLookup(output_mode="multi_hot")
    with pytest.raises(RuntimeError, match="must set the layer's vocabulary"):
        layer(["a"])
    layer.set_vocabulary(["a", "b"])
    with pytest.raises(RuntimeError, match="cannot be changed"):
        layer.set_vocabulary(["a", "b", "c"])


def test_sparse_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        layers.StringLookup(output_mode="multi_hot", sparse=True)


def test_several_oov_indices_hash_unknown_strings():
    from kerasish.utils import fingerprint

    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=5, mask_token="")
    words = ["x", "yy", "日本"]
    expected = fingerprint.fingerprint64([w.encode() for w in words]) % np.uint64(5) + 1
    assert layer(words + ["a", ""]).tolist() == expected.tolist() + [6, 0]
    salted = layers.StringLookup(vocabulary=["a"], num_oov_indices=5, salt=[3, 4])
    keyed = fingerprint.siphash([w.encode() for w in words], (3, 4)) % np.uint64(5)
    assert salted(words).tolist() == keyed.tolist()


def test_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("fox\r\nbrown\n", encoding="utf-8")
    layer = layers.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "fox", "brown"]
    assert layer.get_config()["vocabulary"] is None  # travels as an asset instead
    with SafeModeScope(True), pytest.raises(ValueError, match="outside of the model archive"):
        layers.StringLookup(vocabulary=str(path))


def test_config_round_trip():
    layer = layers.StringLookup(vocabulary=np.array(["a", "b"]), mask_token="", name="lk")
    config = layer.get_config()
    assert config["vocabulary"] == ["a", "b"] and config["vocabulary_size"] == 4
    assert "vocabulary_dtype" not in config and config["encoding"] == "utf-8"
    clone = layers.StringLookup.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    assert clone(["a", ""]).tolist() == [2, 0]


def test_assets_and_own_variables_round_trip(tmp_path):
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "b"], ["a", "c"]])
    layer.save_assets(str(tmp_path))
    assert (tmp_path / "vocabulary.txt").read_text(encoding="utf-8") == "[UNK]\na\nc\nb"
    store: dict = {}
    layer.save_own_variables(store)
    clone = layers.StringLookup.from_config(layer.get_config())
    clone.load_own_variables(store)
    clone.load_assets(str(tmp_path))
    assert clone.get_vocabulary() == layer.get_vocabulary()
    x = [["a", "c", "q"]]
    assert torch.equal(clone(x), layer(x))


def test_symbolic_call_in_a_model():
    import kerasish

    inputs = kerasish.Input(shape=(2,), dtype="string")
    outputs = layers.StringLookup(vocabulary=["a", "b"], output_mode="count")(inputs)
    assert outputs.shape == (None, 3) and outputs.dtype == "float32"
    model = kerasish.Model(inputs, outputs)
    np.testing.assert_array_equal(model.predict(np.array([["a", "a"]]), verbose=0), [[0.0, 2.0, 0.0]])


def test_adapt_accepts_tf_keras_2_batch_size():
    layer = layers.StringLookup()
    layer.adapt(np.array(["a", "b", "b"]), batch_size=1)
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
