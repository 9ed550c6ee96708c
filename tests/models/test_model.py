"""Model-level API that has no other home."""

import pytest

import kerasish as keras


def test_quantize_is_refused_by_name():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match="Sequential.quantize"):
        model.quantize("int8")
