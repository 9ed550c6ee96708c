"""kerasish.ops.numpy_more logic that needs no real Keras."""

import math

import pytest
import torch

from kerasish import ops


def test_saturate_cast_clips_to_the_target_range():
    x = torch.tensor([-1.0, 0.4, 254.6, 256.0, math.inf, -math.inf])
    torch.testing.assert_close(ops.saturate_cast(x, "uint8"), torch.tensor([0, 0, 254, 255, 255, 0], dtype=torch.uint8))
    big = ops.saturate_cast(torch.tensor([1e6, -1e6]), "int16")
    assert big.tolist() == [32767, -32768] and big.dtype == torch.int16


def test_saturate_cast_integers_to_floats_keep_their_values():
    # Keras 3 clips these to a wrapped bound (its int32 limit overflows); kerasish keeps values.
    x = torch.tensor([-70000, 5, 70000], dtype=torch.int32)
    assert ops.saturate_cast(x, "float32").tolist() == [-70000.0, 5.0, 70000.0]
    assert ops.saturate_cast(x, "float16").tolist() == [-65504.0, 5.0, 65504.0]


def test_nanargmax_and_nanargmin_skip_nans_and_mark_all_nan_slices():
    x = torch.tensor([[math.nan, 2.0, 1.0], [math.nan, math.nan, math.nan]])
    assert ops.nanargmax(x, axis=1).tolist() == [1, -1]
    assert ops.nanargmin(x, axis=1).tolist() == [2, -1]
    assert ops.nanargmax(x).tolist() == 1
    assert ops.nanargmax(x, keepdims=True).shape == (1, 1)


def test_nancumsum_counts_nans_as_zero_and_narrows_64_bit_types():
    out = ops.nancumsum(torch.tensor([1.0, math.nan, 2.0], dtype=torch.float64))
    assert out.dtype == torch.float32 and out.tolist() == [1.0, 1.0, 3.0]
    assert ops.nancumprod(torch.tensor([2.0, math.nan, 3.0])).tolist() == [2.0, 2.0, 6.0]
    assert ops.nancumsum(torch.tensor([True, True])).dtype == torch.int32


def test_windows_and_their_errors():
    torch.testing.assert_close(ops.bartlett(5), torch.tensor([0.0, 0.5, 1.0, 0.5, 0.0]))
    assert ops.hanning(torch.tensor(4)).shape == (4,)
    with pytest.raises(TypeError, match="integer window length"):
        ops.hamming(2.5)


def test_correlate_modes_and_bad_mode():
    a, v = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, 1.0, 0.5])
    assert ops.correlate(a, v).tolist() == 3.5  # squeezed, as Keras' torch backend does
    assert ops.correlate(a, v, mode="full").tolist() == [0.5, 2.0, 3.5, 3.0, 0.0]
    assert ops.correlate(a, v, mode="same").tolist() == [2.0, 3.5, 3.0]
    with pytest.raises(ValueError, match="mode=.bad."):
        ops.correlate(a, v, mode="bad")


def test_nanquantile_skips_nans_and_keeps_dims_after_the_q_axis():
    x = torch.tensor([[1.0, math.nan, 3.0], [math.nan, math.nan, math.nan]])
    out = ops.nanmedian(x, axis=1)
    assert out[0] == 2.0 and torch.isnan(out[1])
    assert ops.nanquantile(x, [0.0, 1.0], axis=1, keepdims=True).shape == (2, 2, 1)
    assert ops.nanpercentile(x, 100, axis=1)[0] == 3.0
    assert ops.nanmedian(torch.tensor([1, 4], dtype=torch.int64)).dtype == torch.float32


def test_space_to_depth_inverts_depth_to_space_in_both_formats():
    x = torch.randn(2, 4, 6, 8)
    for data_format in ("channels_last", "channels_first"):
        y = ops.space_to_depth(x, 2, data_format=data_format)
        torch.testing.assert_close(ops.depth_to_space(y, 2, data_format=data_format), x)
    with pytest.raises(ValueError, match="block_size=1"):
        ops.depth_to_space(x, 1)
    with pytest.raises(ValueError, match=r"x.shape=\(4, 6, 8\)"):
        ops.space_to_depth(x[0], 2)


def test_view_shares_memory_and_ifft2_inverts_fft2():
    x = torch.tensor([1.0, 2.0])
    bits = ops.view(x, "int32")
    assert bits.dtype == torch.int32 and bits.data_ptr() == x.data_ptr()
    assert ops.view(x, "uint8").shape == (8,)
    real, imag = torch.randn(3, 4), torch.randn(3, 4)
    back = ops.ifft2(ops.fft2((real, imag)))
    torch.testing.assert_close(back[0], real, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(back[1], imag, atol=1e-5, rtol=1e-5)


def test_complex_views_round_trip_and_polar():
    pairs = torch.tensor([[1.0, 2.0], [3.0, -4.0]])
    z = ops.view_as_complex(pairs)
    assert z.dtype == torch.complex64 and z[1] == 3 - 4j
    torch.testing.assert_close(ops.view_as_real(z), pairs)
    torch.testing.assert_close(ops.polar(torch.tensor([2.0]), torch.tensor([math.pi / 2])),
                               torch.tensor([2j], dtype=torch.complex64), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="Last dimension of input must be size 2"):
        ops.view_as_complex(torch.ones(2, 3))


def test_get_item_takes_list_keys_as_tuples_and_switch_clamps():
    x = torch.arange(12).reshape(3, 4)
    assert ops.get_item(x, [1, slice(None, 2)]).tolist() == [4, 5]
    assert ops.get_item(x.numpy(), 2).tolist() == [8, 9, 10, 11]
    branches = [lambda: "first", lambda: "last"]
    assert ops.switch(-5, branches) == "first" and ops.switch(torch.tensor(9), branches) == "last"


def test_scan_carries_and_stacks_and_validates():
    carry, ys = ops.scan(lambda c, x: (c + x, c), torch.tensor(0.0), torch.arange(1.0, 4.0))
    assert carry == 6.0 and ys.tolist() == [0.0, 1.0, 3.0]
    with pytest.raises(ValueError, match="no `xs`"):
        ops.scan(lambda c, x: (c, c), torch.tensor(0.0))
    with pytest.raises(ValueError, match="unroll=0"):
        ops.scan(lambda c, x: (c, c), torch.tensor(0.0), length=2, unroll=0)


def test_extract_sequences_frames_the_last_axis():
    frames = ops.extract_sequences(torch.arange(6.0), 3, 2)
    assert frames.tolist() == [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0]]
