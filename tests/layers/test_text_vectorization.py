"""TextVectorization: standardize/split/ngrams, padding, output modes, callables, config."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerasish
from kerasish import layers
from kerasish.saving import register_keras_serializable


def _adapted(**kwargs):
    layer = layers.TextVectorization(**kwargs)
    layer.adapt(["The cat sat.", "the DOG sat!", "a cat"])
    return layer


def test_int_output_pads_to_the_longest_row():
    layer = _adapted()
    # Ties (the, sat, cat: twice each) in descending token order.
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "sat", "cat", "dog", "a"]
    out = layer(np.array(["the cat", "a dog sat here"]))
    assert out.dtype == torch.int64
    assert out.tolist() == [[2, 4, 0, 0], [6, 5, 3, 1]]


def test_output_sequence_length_cuts_and_pads():
    layer = _adapted(output_sequence_length=3)
    assert layer(np.array([["the cat"], ["a dog sat here"]])).tolist() == [[2, 4, 0], [6, 5, 3]]
    assert layer("cat").tolist() == [4, 0, 0]
    assert layer.compute_output_shape((None, 1)) == (None, 3)


def test_bad_rank_is_refused():
    layer = _adapted()
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        layer(np.array([["a", "b"]]))


def test_ngrams_and_character_split():
    layer = _adapted(ngrams=2, output_mode="multi_hot")
    assert "the cat" in layer.get_vocabulary() and "cat sat" in layer.get_vocabulary()
    chars = layers.TextVectorization(split="character", standardize=None)
    chars.adapt(["abba"])
    assert chars.get_vocabulary() == ["", "[UNK]", "b", "a"]
    assert chars(["ab", "c"]).tolist() == [[3, 2], [1, 0]]


def test_no_split_looks_up_whole_strings():
    layer = layers.TextVectorization(split=None, output_mode="one_hot")
    layer.adapt(["x y", "z"])
    assert layer.get_vocabulary() == ["[UNK]", "z", "x y"]
    assert layer(np.array([["x y"], ["q"]])).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_count_and_tf_idf_rows():
    count = _adapted(output_mode="count")
    assert count(["cat cat sat"]).tolist() == [[0, 0, 1, 2, 0, 0]]
    tf_idf = _adapted(output_mode="tf_idf")
    weights = tf_idf._lookup_layer.idf_weights
    expected = np.zeros(6, dtype="float32")
    expected[[2, 3]] = [weights[2], 2 * weights[3]]
    np.testing.assert_allclose(tf_idf(["cat cat sat"]).numpy()[0], expected, rtol=1e-6)


def test_callable_standardize_and_split():
    def upper(x):
        assert isinstance(x, np.ndarray) and x.dtype.kind == "U"
        return np.char.upper(x)

    layer = layers.TextVectorization(standardize=upper, split=lambda x: [s.split(",") for s in x])
    layer.adapt(["a,b", "b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "A"]
    assert layer(["a,c"]).tolist() == [[3, 1]]


def test_unsupported_options_raise_not_implemented():
    with pytest.raises(NotImplementedError, match="ragged=True"):
        layers.TextVectorization(ragged=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        layers.TextVectorization(output_mode="multi_hot", sparse=True)
    one_hot = layers.TextVectorization(output_mode="one_hot", vocabulary=["a"])
    with pytest.raises(NotImplementedError, match="ragged"):
        one_hot(["a a", "a"])


def test_invalid_arguments_give_keras_errors():
    with pytest.raises(ValueError, match="Unknown value for `standardize`"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="must not be set"):
        layers.TextVectorization(output_mode="count", output_sequence_length=2)


def test_config_round_trip_with_registered_callable():
    @register_keras_serializable(package="lookup_test")
    def keep(x):
        return x

    layer = layers.TextVectorization(standardize=keep, ngrams=(1, 2), vocabulary=["a", "b"])
    config = layer.get_config()
    assert isinstance(config["standardize"], dict) and config["vocabulary_size"] == 4
    clone = layers.TextVectorization.from_config(config)
    assert clone._standardize is keep and clone._ngrams == (1, 2)
    assert clone(["a b"]).tolist() == layer(["a b"]).tolist()


def test_adapted_model_saves_vocabulary_as_assets(tmp_path):
    import zipfile

    layer = _adapted(output_mode="tf_idf")
    inputs = kerasish.Input(shape=(1,), dtype="string")
    model = kerasish.Model(inputs, layer(inputs))
    path = tmp_path / "text.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "assets/layers/text_vectorization/vocabulary.txt" in names
    assert "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" in names
    x = np.array([["the cat"], ["dog dog"]])
    loaded = kerasish.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[1].get_vocabulary() == layer.get_vocabulary()
