"""Pooling layers side by side with Keras 3.

Keras 3.15.1's torch backend averages "same"-padded windows wrongly when the padding is
asymmetric (it pads by replicating edge cells and then counts them; TensorFlow and tf.keras
leave padding out of the divisor; fixed upstream by keras-team/keras#23233). kerasish follows
TensorFlow, so those cases are checked against a direct transcription of TF's rule instead,
and the Keras comparison for them is an expected failure while the bug is present.
"""

import itertools

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure


def tf_pool(x, pool, strides, padding, mode):
    """TensorFlow pooling on a channels_last array, window by window."""
    spatial = x.shape[1:-1]
    sizes, starts = [], []
    for n, k, s in zip(spatial, pool, strides):
        out = (n - k) // s + 1 if padding == "valid" else -(-n // s)
        before = 0 if padding == "valid" else max((out - 1) * s + k - n, 0) // 2
        sizes.append(out)
        starts.append([i * s - before for i in range(out)])
    result = np.zeros((x.shape[0], *sizes, x.shape[-1]), np.float64)
    for index in itertools.product(*[range(n) for n in sizes]):
        window = tuple(
            slice(max(starts[d][i], 0), min(starts[d][i] + pool[d], spatial[d]))
            for d, i in enumerate(index)
        )
        values = x[(slice(None), *window, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None), *index, slice(None))] = values.max(1) if mode == "max" else values.mean(1)
    return result


def _asymmetric(shape, pool, strides):
    for n, k, s in zip(shape, pool, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        if total % 2:
            return True
    return False


def _compare(name, x, **kwargs):
    """Outputs, output shapes (eager and symbolic) of the Keras and kerasish layer on ``x``."""
    import keras

    reference = getattr(keras.layers, name)(**kwargs)
    ours = getattr(kerasish.layers, name)(**kwargs)
    expected = keras.ops.convert_to_numpy(reference(x))
    received = ours(torch.from_numpy(x)).numpy()
    symbolic = (None,) + x.shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(reference.compute_output_shape(symbolic))
    assert ours(kerasish.Input(batch_shape=symbolic)).shape == (None,) + expected.shape[1:]
    return expected, received


CASES = [
    # (rank, pool_size, strides, input spatial shape)
    (1, 2, None, (9,)),
    (1, 3, 2, (9,)),
    (1, 4, 1, (6,)),
    (2, (2, 2), None, (7, 7)),
    (2, (4, 4), (2, 2), (7, 7)),
    (2, (3, 3), (2, 2), (8, 8)),
    (2, (4, 2), (1, 1), (6, 5)),
    (2, (2, 3), (3, 1), (7, 8)),
    (3, (2, 2, 2), None, (4, 5, 6)),
    (3, (3, 2, 4), (2, 1, 3), (5, 4, 7)),
]


@pytest.mark.parametrize("mode", ["Max", "Average"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_windowed_pooling(rng, mode, data_format):
    checked_against_keras = 0
    for (rank, pool, strides, spatial), padding in itertools.product(CASES, ("valid", "same")):
        name = f"{mode}Pooling{rank}D"
        x = rng.standard_normal((2, *spatial, 3)).astype("float32")
        fed = np.moveaxis(x, -1, 1).copy() if data_format == "channels_first" else x
        expected, received = _compare(
            name, fed, pool_size=pool, strides=strides, padding=padding, data_format=data_format
        )
        if data_format == "channels_first":
            expected, received = np.moveaxis(expected, 1, -1), np.moveaxis(received, 1, -1)
        pool_t = (pool,) * rank if isinstance(pool, int) else pool
        strides_t = pool_t if strides is None else ((strides,) * rank if isinstance(strides, int) else strides)
        reference = tf_pool(x, pool_t, strides_t, padding, mode.lower() if mode == "Max" else "average")
        np.testing.assert_allclose(received, reference, atol=1e-5, rtol=0)
        keras_is_buggy = mode == "Average" and padding == "same" and _asymmetric(spatial, pool_t, strides_t)
        if not keras_is_buggy:
            np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
            checked_against_keras += 1
    assert checked_against_keras >= 10


def test_average_same_asymmetric_follows_tensorflow_not_keras_3_15(rng):
    """Keras 3.15.1's torch backend counts padded cells in uneven 'same' average pools (fixed in
    Keras HEAD, keras-team/keras#23233). kerasish follows TensorFlow's rule; if this test starts
    failing on the first assertion, the installed Keras has the fix and the case can join the
    side-by-side cases above."""
    x = rng.standard_normal((2, 7, 7, 3)).astype("float32")
    expected, received = _compare("AveragePooling2D", x, pool_size=4, strides=2, padding="same")
    assert np.abs(received - expected).max() > 1e-3
    reference = tf_pool(x, (4, 4), (2, 2), "same", "average")
    np.testing.assert_allclose(received, reference, atol=1e-5, rtol=0)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pooling(rng, rank):
    spatial = (5, 4, 3)[:rank]
    for kind, keepdims, data_format in itertools.product(
        ("Average", "Max"), (False, True), ("channels_last", "channels_first")
    ):
        shape = (2, 3, *spatial) if data_format == "channels_first" else (2, *spatial, 3)
        x = rng.standard_normal(shape).astype("float32")
        expected, received = _compare(
            f"Global{kind}Pooling{rank}D", x, keepdims=keepdims, data_format=data_format
        )
        np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)


def test_masked_global_average_pooling_in_a_model(rng):
    import keras

    def model(lib):
        tokens = lib.Input((6,), dtype="int32")
        x = lib.layers.Embedding(12, 4, mask_zero=True)(tokens)
        return lib.Model(tokens, lib.layers.GlobalAveragePooling1D()(x))

    reference, ours = model(keras), model(kerasish)
    ours.set_weights(reference.get_weights())
    assert_same_structure(reference, ours)
    tokens = rng.integers(0, 4, size=(5, 6)).astype("int32")
    tokens[:, 0] = 1  # at least one unmasked step per row
    assert_same_outputs(reference, ours, tokens)


def test_pooling_model_and_configs(rng):
    import keras

    def model(lib):
        L = lib.layers
        inputs = lib.Input((9, 9, 2))
        x = L.MaxPool2D(3, 2, padding="same")(inputs)
        x = L.AvgPool2D(2, padding="valid")(x)
        return lib.Model(inputs, L.GlobalMaxPool2D(keepdims=True)(x))

    reference, ours = model(keras), model(kerasish)
    assert_same_structure(reference, ours)
    assert_same_outputs(reference, ours, rng.standard_normal((4, 9, 9, 2)).astype("float32"))
    for name, kwargs in (
        ("MaxPooling2D", dict(pool_size=(3, 2), strides=1, padding="same", data_format="channels_first")),
        ("AveragePooling1D", dict(pool_size=3)),
        ("GlobalAveragePooling3D", dict(keepdims=True)),
    ):
        config = getattr(keras.layers, name)(**kwargs).get_config()
        ours_config = getattr(kerasish.layers, name).from_config(config).get_config()
        for key in set(config) - {"name", "dtype", "trainable"}:
            assert ours_config[key] == config[key], key
        getattr(keras.layers, name).from_config(ours_config)
