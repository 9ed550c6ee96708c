"""TensorFlow's string-op semantics that TextVectorization relies on."""

from kerasish.layers import text_ops


def test_lower_is_ascii_only():
    assert text_ops.lower("ÄBC Straße") == "Äbc straße"


def test_strip_punctuation_is_keras_ascii_class():
    assert text_ops.strip_punctuation("a,b-c.d'e«f»[g]\\h") == "abcde«f»gh"


def test_split_whitespace_is_ascii_whitespace_only():
    assert text_ops.split_whitespace(" a\tb\n\nc\xa0d\u3000e ") == ["a", "b", "c\xa0d\u3000e"]
    assert text_ops.split_whitespace("") == []


def test_ngrams_per_width_in_order():
    assert text_ops.ngrams(["a", "b", "c"], (1, 2)) == ["a", "b", "c", "a b", "b c"]
    assert text_ops.ngrams(["a"], (2,)) == []
