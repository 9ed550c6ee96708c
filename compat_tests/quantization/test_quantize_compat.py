"""Keras 3 weight quantization side by side with real Keras 3.15 (torch backend).

Same float weights in, each library quantizes with ``quantize(mode)``: the quantized variables
must be equal exactly (values, dtypes, shapes, order), outputs within 1e-5, dtype policies and
configs equal; ``.keras`` and ``.weights.h5`` files cross-load both ways; LoRA on quantized
layers saves the same re-quantized files; float8 training moves the same scales; Model.quantize
gives Keras' errors and warnings; the ``keras.quantizers`` functions give Keras' values.
"""

import warnings

import keras
import numpy as np
import pytest
import torch

import kerasish

MODES = [("int8", None), ("int4", None), ("int4", -1), ("float8", None)]


def _config(lib, mode, block):
    if block is None:
        return None
    return lib.quantizers.Int4QuantizationConfig(block_size=block)


def _dense(lib):
    i = lib.Input((150,))
    x = lib.layers.Dense(7, name="d")(i)
    return lib.Model(i, lib.layers.Dense(5, activation="relu", use_bias=False, name="d2")(x))


def _einsum(lib):
    i = lib.Input((3, 6))
    x = lib.layers.EinsumDense("abc,cde->abde", (3, 4, 5), bias_axes="de", name="e")(i)
    # (Keras 3.15 fails to quantize equations with an ellipsis: see tests/layers.)
    return lib.Model(i, lib.layers.EinsumDense("abcd,de->abce", (3, 4, 3), name="e2")(x))


def _embedding(lib):
    i = lib.Input((4,), dtype="int32")
    return lib.Model(i, lib.layers.Embedding(10, 140, name="m")(i))


def _mixed(lib):
    i = lib.Input((3,), dtype="int32")
    x = lib.layers.Embedding(10, 6, name="m")(i)
    x = lib.layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d", name="e")(x)
    return lib.Model(i, lib.layers.Dense(4, name="d")(x))


def _inputs(builder, rng):
    if builder in (_embedding, _mixed):
        return rng.integers(0, 10, size=(2, 4 if builder is _embedding else 3)).astype("int32")
    shape = (3, 150) if builder is _dense else (2, 3, 6)
    return rng.normal(size=shape).astype("float32")


def _pair(builder, rng):
    reference = builder(keras)
    reference.set_weights([rng.normal(size=w.shape).astype("float32") for w in reference.get_weights()])
    model = builder(kerasish)
    model.set_weights(reference.get_weights())
    return reference, model


def _assert_same_weights(reference, model):
    expected, received = reference.get_weights(), model.get_weights()
    assert [w.name for w in model.weights] == [w.name for w in reference.weights]
    assert len(received) == len(expected)
    for e, r in zip(expected, received):
        assert r.dtype == e.dtype and r.shape == e.shape
        np.testing.assert_array_equal(r, e)


@pytest.mark.parametrize(
    "builder, mode, block",
    [(b, mode, block) for b in (_dense, _einsum, _embedding) for mode, block in MODES
     if not (b is _embedding and mode == "float8")],  # Keras' Embedding has no float8 mode
)
def test_quantize_gives_keras_weights_outputs_and_configs(builder, mode, block, rng):
    reference, model = _pair(builder, rng)
    reference.quantize(mode, config=_config(keras, mode, block))
    model.quantize(mode, config=_config(kerasish, mode, block))
    _assert_same_weights(reference, model)
    x = _inputs(builder, rng)
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5, rtol=0)
    for k_layer, layer in zip(reference.layers[1:], model.layers[1:]):
        assert repr(layer.dtype_policy) == repr(k_layer.dtype_policy)
        k_config, config = k_layer.get_config(), layer.get_config()
        assert config["dtype"] == k_config["dtype"]
        assert config["quantization_config"] == k_config["quantization_config"]


def test_embedding_refuses_float8():
    reference = keras.layers.Embedding(4, 3)
    reference.build()
    layer = kerasish.layers.Embedding(4, 3)
    layer.build()
    with pytest.raises(NotImplementedError) as expected:
        reference.quantize("float8")
    with pytest.raises(NotImplementedError) as received:
        layer.quantize("float8")
    assert str(received.value) == str(expected.value)


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_files_cross_load_both_ways(mode, rng, tmp_path):
    reference, model = _pair(_mixed, rng)
    reference.quantize(mode)
    model.quantize(mode)
    x = _inputs(_mixed, rng)
    expected = reference.predict(x, verbose=0)

    reference.save(tmp_path / "k.keras")
    reference.save_weights(tmp_path / "k.weights.h5")
    loaded = kerasish.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5, rtol=0)
    assert repr(loaded.get_layer("d").dtype_policy) == repr(reference.get_layer("d").dtype_policy)
    fresh = _mixed(kerasish)
    fresh.quantize(mode)
    fresh.load_weights(tmp_path / "k.weights.h5")
    _assert_same_weights(reference, fresh)

    model.save(tmp_path / "q.keras")
    model.save_weights(tmp_path / "q.weights.h5")
    loaded = keras.models.load_model(tmp_path / "q.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5, rtol=0)
    fresh = _mixed(keras)
    fresh.quantize(mode)
    fresh.load_weights(tmp_path / "q.weights.h5")
    _assert_same_weights(fresh, model)


def _lora_layer(lib, kind, rng):
    if kind == "dense":
        layer, x = lib.layers.Dense(6, name="l"), rng.normal(size=(2, 8)).astype("float32")
        layer.build((None, 8))
    elif kind == "embedding":
        layer, x = lib.layers.Embedding(9, 6, name="l"), np.array([[1, 2, 8]], "int32")
        layer.build()
    else:
        layer, x = lib.layers.EinsumDense("ab,bc->ac", 6, bias_axes="c", name="l"), rng.normal(size=(2, 8)).astype("float32")
        layer.build((None, 8))
    return layer, x


@pytest.mark.parametrize("kind", ["dense", "einsum", "embedding"])
@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_lora_on_quantized_layers(kind, mode, rng, tmp_path):
    reference, x = _lora_layer(keras, kind, np.random.default_rng(0))
    layer, _ = _lora_layer(kerasish, kind, np.random.default_rng(0))
    layer.set_weights(reference.get_weights())
    reference.quantize(mode)
    layer.quantize(mode)
    reference.enable_lora(2)
    layer.enable_lora(2)
    for variable in reference.weights:
        if "lora" in variable.name:
            variable.assign(rng.normal(size=variable.shape).astype("float32") * 0.1)
    layer.set_weights(reference.get_weights())
    assert [(w.name, w.trainable) for w in layer.weights] == [(w.name, w.trainable) for w in reference.weights]
    expected = reference(x).detach().cpu().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, atol=1e-5, rtol=0)

    shape, dtype = x.shape[1:], "int32" if kind == "embedding" else "float32"
    reference_model = keras.Sequential([keras.Input(shape, dtype=dtype), reference])
    model = kerasish.Sequential([kerasish.Input(shape, dtype=dtype), layer])
    reference_model.save_weights(tmp_path / "k.weights.h5")
    model.save_weights(tmp_path / "q.weights.h5")
    import h5py

    def datasets(path):
        found = {}
        with h5py.File(path) as f:
            f.visititems(lambda n, o: found.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        return found

    expected_file, received_file = datasets(tmp_path / "k.weights.h5"), datasets(tmp_path / "q.weights.h5")
    assert sorted(received_file) == sorted(expected_file)
    for key, value in expected_file.items():
        np.testing.assert_array_equal(received_file[key], value)
    # Loading the re-quantized file zeroes the factors: what was saved is what is computed.
    model.load_weights(tmp_path / "k.weights.h5")
    reference_model.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(layer(x).detach().numpy(), reference(x).detach().cpu().numpy(), atol=1e-5, rtol=0)


def test_float8_training_moves_the_same_scales(rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 3)).astype("float32")
    models = []
    for lib in (keras, kerasish):
        i = lib.Input((4,))
        models.append(lib.Model(i, lib.layers.Dense(3, name="d")(i)))
    reference, model = models
    model.set_weights(reference.get_weights())
    reference.quantize("float8")
    model.quantize("float8")
    reference.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.compile(optimizer=kerasish.optimizers.SGD(0.1), loss="mse")
    for _ in range(2):
        expected_loss = reference.train_on_batch(x, y)
        loss = model.train_on_batch(x, y)
        np.testing.assert_allclose(loss, expected_loss, atol=1e-5, rtol=0)
    for e, r in zip(reference.get_weights(), model.get_weights()):
        np.testing.assert_allclose(r, e, atol=1e-6, rtol=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5, rtol=0)


def _message(call):
    try:
        call()
    except Exception as err:  # noqa: BLE001 - comparing whatever each library raises
        return type(err).__name__, str(err)
    return None


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, m: m.quantize("int3"),
        lambda lib, m: m.quantize(),
        lambda lib, m: m.quantize("int8", config=lib.quantizers.Int4QuantizationConfig()),
        lambda lib, m: m.quantize("int8", config={"mode": "int8"}),
        lambda lib, m: m.quantize("int8", bogus=1),
        lambda lib, m: m.quantize("int8", filters=3),
        lambda lib, m: (m.quantize("int8"), m.quantize("int8")),
        lambda lib, m: lib.Sequential([lib.layers.Dense(2)]).quantize("int8"),
        lambda lib, m: lib.quantizers.Int4QuantizationConfig(block_size=0),
        lambda lib, m: lib.quantizers.Int4QuantizationConfig(
            weight_quantizer=lib.quantizers.AbsMaxQuantizer(axis=0)),
        lambda lib, m: lib.quantizers.Int4QuantizationConfig(
            block_size=None, weight_quantizer=lib.quantizers.AbsMaxQuantizer(axis=0)),
        lambda lib, m: lib.quantizers.AbsMaxQuantizer(value_range=(-200, 100)),
    ],
)
def test_errors_match_keras(call):
    received = _message(lambda: call(kerasish, _dense(kerasish)))
    expected = _message(lambda: call(keras, _dense(keras)))
    assert received == expected and expected is not None


def test_model_quantize_warnings_and_filters():
    messages = []
    for lib in (keras, kerasish):
        i = lib.Input((4,))
        x = lib.layers.Dense(3, name="keep")(i)
        x = lib.layers.Dropout(0.1)(x)
        model = lib.Model(i, lib.layers.Dense(2, name="skip")(x))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.quantize("int8", filters="keep|input|dropout")
        messages.append(sorted({str(w.message) for w in caught if "quantize" in str(w.message)}))
        assert model.get_layer("keep").dtype_policy.name == "int8_from_float32"
        assert model.get_layer("skip").dtype_policy.name == "float32"
    assert messages[1] == messages[0]


def test_quantizer_functions_match_keras(rng):
    from keras import quantizers as kq

    from kerasish import quantizers as qq

    x = rng.normal(size=(37, 6)).astype("float32")
    for axis in (0, -1, (0, 1)):
        for to_numpy in (True, False):
            e = kq.abs_max_quantize(x, axis, to_numpy=to_numpy)
            r = qq.abs_max_quantize(torch.from_numpy(x), axis, to_numpy=to_numpy)
            for a, b in zip(e, r):
                np.testing.assert_array_equal(b.numpy(), keras.ops.convert_to_numpy(a))
    x[:, 2] = 0.5  # a constant column: the two grouped formulas differ there
    for to_numpy in (True, False):
        e = kq.abs_max_quantize_grouped_with_zero_point(x, block_size=16, to_numpy=to_numpy)
        r = qq.abs_max_quantize_grouped_with_zero_point(torch.from_numpy(x), block_size=16, to_numpy=to_numpy)
        for a, b in zip(e, r):
            np.testing.assert_array_equal(b.numpy(), keras.ops.convert_to_numpy(a))
    ints = rng.integers(-8, 8, size=(5, 7)).astype("int8")
    for axis in (0, 1, -1):
        e_packed, e_shape, e_len = kq.pack_int4(ints, axis=axis)
        r_packed, r_shape, r_len = qq.pack_int4(torch.from_numpy(ints), axis=axis)
        np.testing.assert_array_equal(r_packed.numpy(), keras.ops.convert_to_numpy(e_packed))
        assert (r_shape, r_len) == (e_shape, e_len)
        np.testing.assert_array_equal(qq.unpack_int4(r_packed, r_len, axis=axis).numpy(), ints)
    history = np.abs(rng.normal(size=(5,))).astype("float32")
    scale = np.float32(0.7)
    np.testing.assert_array_equal(
        qq.compute_float8_scale(torch.tensor(history.max()), torch.tensor(scale), 448.0).numpy(),
        keras.ops.convert_to_numpy(kq.compute_float8_scale(history.max(), scale, 448.0)),
    )
    np.testing.assert_array_equal(
        qq.compute_float8_amax_history(torch.from_numpy(x), torch.from_numpy(history)).numpy(),
        keras.ops.convert_to_numpy(kq.compute_float8_amax_history(x, history)),
    )
    np.testing.assert_array_equal(
        qq.quantize_and_dequantize(torch.from_numpy(x * 300), torch.tensor(0.5), "float8_e4m3fn", "float32").numpy(),
        keras.ops.convert_to_numpy(kq.quantize_and_dequantize(x * 300, 0.5, "float8_e4m3fn", "float32")),
    )


def test_multi_head_attention_quantizes_its_einsum_dense_sublayers(rng):
    reference, model = _pair(
        lambda lib: (lambda i: lib.Model(i, lib.layers.MultiHeadAttention(2, 4, name="mha")(i, i)))(lib.Input((5, 8))),
        rng,
    )
    reference.quantize("int8")
    model.quantize("int8")
    _assert_same_weights(reference, model)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5, rtol=0)
