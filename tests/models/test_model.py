"""Model-level API that has no other home."""

import pytest

import kerasish as keras


def test_quantize_quantizes_the_dense_layers():
    # (Model.quantize in depth: tests/layers/test_quantization.py and compat_tests/quantization.)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.quantize("int8")
    assert model.layers[-1].dtype_policy.name == "int8_from_float32"
    with pytest.raises(ValueError, match="already quantized"):
        model.quantize("int8")
