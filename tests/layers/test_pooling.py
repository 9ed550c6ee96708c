import itertools

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers
from kerasish.layers.pooling import BasePooling


def tf_pool(x, pool, strides, padding, mode):
    """TensorFlow pooling semantics on a channels_last array, written out window by window.

    "same": ceil(n / stride) outputs, the odd padded cell at the end, and padded cells are
    simply absent from each window (never the max, never in an average's divisor).
    """
    spatial = x.shape[1:-1]
    sizes, starts = [], []
    for n, k, s in zip(spatial, pool, strides):
        if padding == "valid":
            out, before = (n - k) // s + 1, 0
        else:
            out = -(-n // s)
            before = max((out - 1) * s + k - n, 0) // 2
        sizes.append(out)
        starts.append([i * s - before for i in range(out)])
    result = np.zeros((x.shape[0], *sizes, x.shape[-1]), np.float64)
    for index in itertools.product(*[range(n) for n in sizes]):
        window = tuple(
            slice(max(starts[d][i], 0), min(starts[d][i] + pool[d], spatial[d]))
            for d, i in enumerate(index)
        )
        values = x[(slice(None), *window, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None), *index, slice(None))] = (
            values.max(1) if mode == "max" else values.mean(1)
        )
    return result


def _eager(layer, x):
    return layer(torch.as_tensor(x)).numpy()


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_1d_pooling_matches_tf_semantics_for_all_small_geometries(rng, mode, padding):
    checked = 0
    for size, k, s in itertools.product(range(1, 10), range(1, 6), range(1, 6)):
        if padding == "valid" and k > size:
            continue
        x = rng.standard_normal((2, size, 3)).astype(np.float32)
        layer = BasePooling(k, s, 1, mode, padding)
        out = _eager(layer, x)
        assert out.shape == layer.compute_output_shape(x.shape), (size, k, s)
        np.testing.assert_allclose(out, tf_pool(x, (k,), (s,), padding, mode), atol=1e-6)
        checked += 1
    assert checked > 150


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize(
    "pool, strides", [((4, 4), (2, 2)), ((4, 2), (1, 1)), ((3, 4), (1, 2)), ((2, 2), None)]
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_2d_same_padding_asymmetric_cases(rng, cls, pool, strides, data_format):
    x = rng.standard_normal((2, 7, 7, 3)).astype(np.float32)
    mode = "max" if cls is layers.MaxPooling2D else "average"
    layer = cls(pool, strides, padding="same", data_format=data_format)
    if data_format == "channels_first":
        out = _eager(layer, x.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1)
    else:
        out = _eager(layer, x)
    expected = tf_pool(x, pool, strides or pool, "same", mode)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_average_same_excludes_padding_from_divisor():
    x = np.ones((1, 7, 7, 1), np.float32)
    out = _eager(layers.AveragePooling2D(4, 2, padding="same"), x)
    np.testing.assert_array_equal(out, np.ones((1, 4, 4, 1), np.float32))


def test_max_same_never_picks_padding():
    x = -np.ones((1, 5, 5, 1), np.float32) * 7
    out = _eager(layers.MaxPooling2D(3, 2, padding="same"), x)
    np.testing.assert_array_equal(out, -7 * np.ones((1, 3, 3, 1), np.float32))


def test_3d_pooling(rng):
    x = rng.standard_normal((2, 5, 6, 7, 2)).astype(np.float32)
    for cls, mode in ((layers.MaxPooling3D, "max"), (layers.AveragePooling3D, "average")):
        layer = cls((3, 2, 4), (2, 1, 3), padding="same")
        np.testing.assert_allclose(
            _eager(layer, x), tf_pool(x, (3, 2, 4), (2, 1, 3), "same", mode), atol=1e-6
        )
        assert layer(keras.Input((5, 6, 7, 2))).shape == (None, 3, 6, 3, 2)


def test_symbolic_shapes_and_defaults():
    assert layers.MaxPooling1D()(keras.Input((9, 4))).shape == (None, 4, 4)
    assert layers.MaxPooling2D()(keras.Input((9, 8, 4))).shape == (None, 4, 4, 4)
    assert layers.AveragePooling3D()(keras.Input((4, 5, 6, 1))).shape == (None, 2, 2, 3, 1)
    assert layers.MaxPooling2D(3, 2, "same")(keras.Input((None, 7, 4))).shape == (None, None, 4, 4)
    cf = layers.AveragePooling2D(data_format="channels_first")
    assert cf(keras.Input((3, 8, 6))).shape == (None, 3, 4, 3)
    layer = layers.MaxPooling2D(pool_size=3)
    assert layer.strides == (3, 3) and layer.pool_size == (3, 3)


def test_gradients_flow_through_pooling():
    x = torch.randn(2, 7, 7, 3, requires_grad=True)
    layers.AveragePooling2D(4, 2, padding="same")(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "cls, keepdims, shape, expected",
    [
        (layers.GlobalAveragePooling1D, False, (None, 5, 3), (None, 3)),
        (layers.GlobalMaxPooling1D, True, (None, 5, 3), (None, 1, 3)),
        (layers.GlobalAveragePooling2D, False, (None, 5, 4, 3), (None, 3)),
        (layers.GlobalMaxPooling2D, True, (None, 5, 4, 3), (None, 1, 1, 3)),
        (layers.GlobalAveragePooling3D, True, (None, 2, 5, 4, 3), (None, 1, 1, 1, 3)),
        (layers.GlobalMaxPooling3D, False, (None, 2, 5, 4, 3), (None, 3)),
    ],
)
def test_global_pooling_shapes_and_values(rng, cls, keepdims, shape, expected):
    layer = cls(keepdims=keepdims)
    assert layer(keras.Input(batch_shape=shape)).shape == expected
    x = rng.standard_normal((2,) + shape[1:]).astype(np.float32)
    axes = tuple(range(1, len(shape) - 1))
    reduce = np.max if "Max" in cls.__name__ else np.mean
    np.testing.assert_allclose(_eager(layer, x), reduce(x, axis=axes, keepdims=keepdims), atol=1e-6)


def test_global_pooling_channels_first(rng):
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    layer = layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True)
    assert layer(keras.Input((3, 5, 4))).shape == (None, 3, 1, 1)
    np.testing.assert_allclose(_eager(layer, x), x.mean(axis=(2, 3), keepdims=True), atol=1e-6)


def test_global_average_pooling_1d_mask(rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    x[0, 2:] = np.nan  # masked steps must not leak in, even as NaN
    out = layers.GlobalAveragePooling1D()(torch.as_tensor(x), mask=torch.as_tensor(mask)).numpy()
    np.testing.assert_allclose(out[0], x[0, :2].mean(0), atol=1e-6)
    np.testing.assert_allclose(out[1], x[1].mean(0), atol=1e-6)


def test_pooling_has_no_weights_and_aliases():
    layer = layers.MaxPool2D()
    layer(keras.Input((4, 4, 1)))
    assert layer.count_params() == 0 and layer.get_weights() == []
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    assert layers.MaxPool3D is layers.MaxPooling3D


def test_config_round_trip():
    layer = layers.AveragePooling2D((3, 2), strides=1, padding="same", data_format="channels_first")
    config = layer.get_config()
    assert config["pool_size"] == (3, 2)
    assert config["strides"] == (1, 1)
    assert config["padding"] == "same"
    assert config["data_format"] == "channels_first"
    assert type(layer).from_config(config).get_config() == config
    g = layers.GlobalMaxPooling1D(keepdims=True)
    assert type(g).from_config(g.get_config()).get_config() == g.get_config()
    assert g.get_config()["keepdims"] is True


def test_errors():
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(pool_size=0)
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling2D(padding="causal")
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.MaxPooling2D()(keras.Input((4, 4)))
    with pytest.raises(ValueError, match="zero or negative"):
        layers.MaxPooling2D(5)(keras.Input((4, 4, 1)))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.GlobalAveragePooling1D()(keras.Input((4, 4, 1)))
