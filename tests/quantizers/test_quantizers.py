"""keras.quantizers arithmetic and configs (values against real Keras: compat_tests/quantization)."""

import numpy as np
import pytest
import torch

from kerasish import quantizers


def test_pack_int4_matches_keras_documented_values():
    original = torch.tensor([[-3, 7], [2, -8], [1, 0]], dtype=torch.int8)
    packed, shape, length = quantizers.pack_int4(original, axis=0)
    assert packed.tolist() == [[45, -121], [1, 0]] and shape == (2, 2) and length == 3
    assert torch.equal(quantizers.unpack_int4(packed, length, axis=0), original)
    rows = torch.tensor([[-3, 7, 2], [-8, 1, 0]], dtype=torch.int8)
    packed, _, length = quantizers.pack_int4(rows, axis=1)
    assert packed.tolist() == [[125, 2], [24, 0]]
    assert torch.equal(quantizers.unpack_int4(packed, length, axis=1), rows)


def test_pack_int4_checks_dtypes():
    with pytest.raises(TypeError, match="Expected int8 tensor for packing, got int32"):
        quantizers.pack_int4(torch.zeros(2, dtype=torch.int32))
    with pytest.raises(ValueError, match="'int8' or 'uint8'"):
        quantizers.unpack_int4(torch.zeros(2, dtype=torch.int8), 2, dtype="int4")


def test_abs_max_quantize_scales_each_column_to_127():
    x = torch.tensor([[1.0, -2.0], [0.5, 4.0]])
    values, scale = quantizers.abs_max_quantize(x, axis=0)
    expected_scale = torch.div(torch.tensor(127.0), torch.tensor([[1.0, 4.0]]) + 1e-7)
    assert torch.equal(scale, expected_scale)
    assert values.dtype == torch.int8 and values.tolist() == [[127, -64], [63, 127]]  # eps: 0.5 * 126.99 rounds down


def test_grouped_quantization_reconstructs_within_half_a_step():
    # Each group spans zero (Keras clips zero points to [-8, 7], so groups far from zero clip).
    x = torch.sin(torch.arange(70.0)).reshape(35, 2)
    values, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(x, block_size=16, to_numpy=True)
    assert values.shape == (35, 2) and scale.shape == (3, 2) and zero.dtype == torch.int8
    g_idx = torch.arange(35) // 16
    restored = quantizers.dequantize_with_sz_map(values, scale, zero, g_idx, group_axis=0)
    assert (restored - x).abs().max() <= scale.max() / 2 + 1e-6


def test_float8_helpers():
    history = torch.tensor([0.0, 2.0, 1.0])
    assert torch.allclose(quantizers.compute_float8_scale(history.amax(), torch.tensor(1.0), 448.0),
                          torch.tensor(2.0 / 448.0))
    # A zero amax keeps the current scale.
    assert quantizers.compute_float8_scale(torch.tensor(0.0), torch.tensor(0.5), 448.0) == 0.5
    updated = quantizers.compute_float8_amax_history(torch.tensor([-5.0, 1.0]), history)
    assert updated.tolist() == [5.0, 1.0, 0.0]
    rounded = quantizers.quantize_and_dequantize(torch.tensor([1000.0, 0.3]), torch.tensor(1.0), "float8_e4m3fn", "float32")
    assert rounded[0] == 448.0 and abs(float(rounded[1]) - 0.3) < 0.02


def test_configs_resolve_and_serialize():
    config = quantizers.Int4QuantizationConfig(block_size=64)
    restored = quantizers.deserialize(quantizers.serialize(config))
    assert isinstance(restored, quantizers.Int4QuantizationConfig) and restored.block_size == 64
    int8 = quantizers.deserialize(quantizers.serialize(quantizers.Int8QuantizationConfig()))
    assert isinstance(int8.activation_quantizer, quantizers.AbsMaxQuantizer)
    assert quantizers.get("abs_max_quantizer").value_range == (-127, 127)
    with pytest.raises(ValueError, match="Contradictory arguments"):
        from kerasish.quantizers.config import resolve

        resolve("int8", quantizers.Float8QuantizationConfig())


@pytest.mark.parametrize("make", [lambda: quantizers.GPTQConfig(), lambda: quantizers.AWQConfig()])
def test_calibrated_modes_are_refused_by_name(make):
    with pytest.raises(NotImplementedError, match="GPTQ|AWQ"):
        make()


def test_int8_ops_are_exact_beyond_float32_range():
    from kerasish.quantizers import int_ops

    x = torch.full((1, 3000), 127, dtype=torch.int8)
    w = torch.full((2, 3000), 127, dtype=torch.int8)
    assert int_ops.int8_linear(x, w)[0, 0].item() == float(np.float32(3000 * 127 * 127))
    assert int_ops.int8_einsum("ab,cb->ac", x, w, 3000)[0, 1].item() == float(np.float32(3000 * 127 * 127))
