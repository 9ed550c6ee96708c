"""LoRA side by side with Keras 3: Dense, EinsumDense, Embedding and Conv1D/2D/3D.

Same weights in (kernel, bias and both factors, B non-zero so the adaptation shows), same
outputs out; same weight names, shapes, order and trainability; same configs and errors; a
LoRA model trained with ``fit`` gives the same losses; ``.keras`` and ``.weights.h5`` files
(which hold the merged kernel, not the factors) load both ways.
"""

import keras
import numpy as np
import pytest

import kerasish


def _randomize(layer_or_model, seed):
    rng = np.random.default_rng(seed)
    layer_or_model.set_weights(
        [rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype("float32") for w in layer_or_model.weights]
    )


# (builder(lib) -> unbuilt layer, build shape, input maker)
def _dense(lib):
    return lib.layers.Dense(3, activation="tanh", lora_rank=2, lora_alpha=8)


def _dense_no_bias(lib):
    return lib.layers.Dense(5, use_bias=False, lora_rank=3)


def _einsum(lib):
    return lib.layers.EinsumDense("abc,cde->abde", (None, 3, 5), bias_axes="de", lora_rank=2, lora_alpha=6)


def _einsum_plain(lib):
    return lib.layers.EinsumDense("ab,bc->ac", 4, lora_rank=1)


def _conv1d(lib):
    return lib.layers.Conv1D(4, 3, padding="causal", lora_rank=2, lora_alpha=5)


def _conv2d(lib):
    return lib.layers.Conv2D(6, (2, 3), groups=2, strides=2, padding="same", lora_rank=2, lora_alpha=3)


def _conv2d_channels_first(lib):
    return lib.layers.Conv2D(3, 2, data_format="channels_first", lora_rank=2)


def _conv3d(lib):
    return lib.layers.Conv3D(2, 2, lora_rank=1, lora_alpha=2)


def _embedding(lib):
    return lib.layers.Embedding(7, 4, lora_rank=2, lora_alpha=8)


def _floats(*shape):
    return lambda rng: rng.normal(size=shape).astype("float32")


CASES = {
    "dense": (_dense, (None, 4), _floats(5, 4)),
    "dense_3d_no_bias": (_dense_no_bias, (None, 3, 4), _floats(2, 3, 4)),
    "einsum": (_einsum, (None, 2, 4), _floats(3, 2, 4)),
    "einsum_plain": (_einsum_plain, (None, 3), _floats(5, 3)),
    "conv1d": (_conv1d, (None, 6, 3), _floats(2, 6, 3)),
    "conv2d_groups": (_conv2d, (None, 5, 6, 4), _floats(2, 5, 6, 4)),
    "conv2d_channels_first": (_conv2d_channels_first, (None, 3, 4, 4), _floats(2, 3, 4, 4)),
    "conv3d": (_conv3d, (None, 3, 3, 3, 2), _floats(2, 3, 3, 3, 2)),
    # 3 indices < 7 rows: looked up row by row; 12 indices: through the merged table.
    "embedding_few_ids": (_embedding, (None, 3), lambda rng: rng.integers(0, 7, size=(1, 3))),
    "embedding_many_ids": (_embedding, (None, 6), lambda rng: rng.integers(0, 7, size=(2, 6))),
}


def _built_pair(name):
    build, shape, _ = CASES[name]
    theirs, ours = build(keras), build(kerasish)
    theirs.build(shape)
    ours.build(shape)
    return theirs, ours


def _describe(variables):
    return [(v.path, tuple(v.shape), bool(v.trainable)) for v in variables]


@pytest.mark.parametrize("name", CASES)
def test_weights_trainability_and_config_match_keras(name):
    theirs, ours = _built_pair(name)
    assert _describe(ours.weights) == _describe(theirs.weights)
    assert [v.path for v in ours.trainable_weights] == [v.path for v in theirs.trainable_weights]
    assert [v.path for v in ours.non_trainable_weights] == [v.path for v in theirs.non_trainable_weights]
    assert ours.lora_enabled and theirs.lora_enabled
    assert (ours.lora_rank, ours.lora_alpha) == (theirs.lora_rank, theirs.lora_alpha)
    expected, received = theirs.get_config(), ours.get_config()
    assert (received["lora_rank"], received["lora_alpha"]) == (expected["lora_rank"], expected["lora_alpha"])
    assert list(received)[-2:] == ["lora_rank", "lora_alpha"] == list(expected)[-2:]
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("name", CASES)
def test_same_weights_give_same_outputs(name):
    theirs, ours = _built_pair(name)
    _randomize(theirs, 1)
    ours.set_weights(theirs.get_weights())
    x = CASES[name][2](np.random.default_rng(2))
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours(x).detach().numpy(), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["dense", "conv2d_groups", "conv3d", "embedding_few_ids"])
def test_merged_kernel_matches_keras(name):
    theirs, ours = _built_pair(name)
    _randomize(theirs, 3)
    ours.set_weights(theirs.get_weights())
    attr = "embeddings" if "embedding" in name else "kernel"
    expected = keras.ops.convert_to_numpy(getattr(theirs, attr))
    np.testing.assert_allclose(getattr(ours, attr).detach().numpy(), expected, atol=1e-6, rtol=0)
    if attr == "kernel":
        for factor in ("lora_kernel_a", "lora_kernel_b"):
            np.testing.assert_array_equal(
                getattr(ours, factor).detach().numpy(), keras.ops.convert_to_numpy(getattr(theirs, factor))
            )


@pytest.mark.parametrize("rank,alpha", [(2, None), (3, 12.0)])
@pytest.mark.parametrize("lib_layer", ["Dense", "Embedding", "EinsumDense", "Conv2D"])
def test_enable_lora_on_a_built_layer(lib_layer, rank, alpha):
    def build(lib):
        layer = {
            "Dense": lambda: lib.layers.Dense(4),
            "Embedding": lambda: lib.layers.Embedding(6, 4),
            "EinsumDense": lambda: lib.layers.EinsumDense("ab,bc->ac", 4),
            "Conv2D": lambda: lib.layers.Conv2D(4, 2),
        }[lib_layer]()
        layer.build({"Dense": (None, 5), "Embedding": None, "EinsumDense": (None, 5), "Conv2D": (None, 4, 4, 3)}[lib_layer])
        layer.enable_lora(rank, lora_alpha=alpha)
        return layer

    theirs, ours = build(keras), build(kerasish)
    assert _describe(ours.weights) == _describe(theirs.weights)
    assert (ours.lora_rank, ours.lora_alpha) == (theirs.lora_rank, theirs.lora_alpha)
    assert ours.get_config()["lora_alpha"] == theirs.get_config()["lora_alpha"]
    # Fresh factors: B is zero, so the layer still computes its plain kernel.
    assert not ours.get_weights()[-1].any() and not theirs.get_weights()[-1].any()


def _error(call):
    try:
        call()
    except Exception as err:  # noqa: BLE001 - the type and message are what is compared
        return type(err), str(err)
    return None


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.layers.Dense(2),
        lambda lib: lib.layers.Dense(2, kernel_constraint="max_norm"),
        lambda lib: lib.layers.Embedding(4, 2, embeddings_constraint="non_neg"),
        lambda lib: lib.layers.EinsumDense("ab,bc->ac", 2, kernel_constraint="unit_norm"),
        lambda lib: lib.layers.Conv1D(2, 2, kernel_constraint="non_neg"),
    ],
)
def test_enable_lora_errors_match_keras(make):
    # Unbuilt, or with a kernel constraint: refused before anything is created.
    expected = _error(lambda: make(keras).enable_lora(2))
    assert expected is not None
    assert _error(lambda: make(kerasish).enable_lora(2)) == expected


@pytest.mark.parametrize("name", ["dense", "embedding_few_ids", "einsum", "conv1d"])
def test_enable_lora_twice_matches_keras(name):
    theirs, ours = _built_pair(name)
    expected = _error(lambda: theirs.enable_lora(2))
    assert expected is not None and expected == _error(lambda: ours.enable_lora(2))


def test_constructor_with_constraint_fails_at_build_like_keras():
    expected = _error(lambda: keras.layers.Dense(2, lora_rank=2, kernel_constraint="max_norm").build((None, 3)))
    received = _error(lambda: kerasish.layers.Dense(2, lora_rank=2, kernel_constraint="max_norm").build((None, 3)))
    assert expected is not None and received == expected


@pytest.mark.parametrize("name", ["dense", "einsum", "conv2d_groups", "embedding_few_ids"])
def test_configs_cross_load(name):
    theirs, ours = _built_pair(name)
    shape = CASES[name][1]
    ours_from_theirs = type(ours).from_config(theirs.get_config())
    theirs_from_ours = type(theirs).from_config(ours.get_config())
    ours_from_theirs.build(shape)
    theirs_from_ours.build(shape)
    assert _describe(ours_from_theirs.weights) == _describe(theirs.weights)
    assert _describe(theirs_from_ours.weights) == _describe(ours.weights)
    assert ours_from_theirs.lora_alpha == theirs.lora_alpha == theirs_from_ours.lora_alpha


# ------------------------------------------------------------------ models


def _model(lib):
    L = lib.layers
    tokens = lib.Input(shape=(6,), dtype="int32")
    x = L.Embedding(9, 4, lora_rank=2, name="emb")(tokens)
    x = L.Conv1D(5, 3, padding="same", activation="relu", lora_rank=2, lora_alpha=4, name="conv")(x)
    x = L.GlobalAveragePooling1D()(x)
    x = L.EinsumDense("ab,bc->ac", 4, bias_axes="c", activation="tanh", lora_rank=2, lora_alpha=6, name="ed")(x)
    x = L.Dense(6, kernel_regularizer="l2", name="plain")(x)
    return lib.Model(tokens, L.Dense(3, lora_rank=1, name="head")(x))


def _data(seed=7):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 9, size=(24, 6)).astype("int32")
    y = rng.normal(size=(24, 3)).astype("float32")
    return x, y


def _close(received, expected, atol=1e-5):
    np.testing.assert_allclose(received, expected, atol=atol, rtol=0)


def test_model_weights_and_trainable_variables_match_keras():
    theirs, ours = _model(keras), _model(kerasish)
    assert _describe(ours.weights) == _describe(theirs.weights)
    assert [v.path for v in ours.trainable_weights] == [v.path for v in theirs.trainable_weights]
    assert [v.path for v in ours.non_trainable_weights] == [v.path for v in theirs.non_trainable_weights]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_trains_like_keras(optimizer):
    x, y = _data()
    theirs, ours = _model(keras), _model(kerasish)
    _randomize(theirs, 11)
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=keras.optimizers.get(optimizer), loss="mse")
    ours.compile(optimizer=kerasish.optimizers.get(optimizer), loss="mse")
    expected = theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    received = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-4, atol=1e-6)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    # The frozen kernels did not move (they are where set_weights put them in both).
    start = _model(keras)
    _randomize(start, 11)
    frozen = {v.path for v in theirs.non_trainable_weights}
    for variable, initial in zip(ours.weights, start.get_weights()):
        if variable.path in frozen:
            np.testing.assert_array_equal(variable.numpy(), initial)


def _trained_keras_model():
    x, y = _data()
    model = _model(keras)
    _randomize(model, 12)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model


def _trained_kerasish_model():
    x, y = _data()
    model = _model(kerasish)
    _randomize(model, 12)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model


def _factors_are_zero(model):
    return all(not v.numpy().any() for v in model.weights if "lora_" in v.path)


def test_keras3_lora_files_load_in_kerasish(tmp_path):
    x, _ = _data(8)
    model = _trained_keras_model()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    loaded = kerasish.models.load_model(tmp_path / "m.keras")
    _close(loaded.predict(x, verbose=0), expected)
    assert _describe(loaded.weights) == _describe(model.weights)
    assert _factors_are_zero(loaded)  # Keras 3 stores the merged kernel and zeroes A and B
    fresh = _model(kerasish)
    _randomize(fresh, 13)
    fresh.load_weights(tmp_path / "m.weights.h5")
    _close(fresh.predict(x, verbose=0), expected)
    assert _factors_are_zero(fresh)


def test_kerasish_lora_files_load_in_keras3(tmp_path):
    x, _ = _data(8)
    ours = _trained_kerasish_model()
    expected = ours.predict(x, verbose=0)
    ours.save(tmp_path / "m.keras")
    ours.save_weights(tmp_path / "m.weights.h5")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    _close(keras.ops.convert_to_numpy(loaded.predict(x, verbose=0)), expected)
    assert all(layer.lora_enabled for layer in loaded.layers if hasattr(layer, "lora_enabled") and layer.name != "plain")
    fresh = _model(keras)
    _randomize(fresh, 13)
    fresh.load_weights(tmp_path / "m.weights.h5")
    _close(fresh.predict(x, verbose=0), expected)


def test_weights_files_have_keras3_layout(tmp_path):
    import h5py

    def tree(path):
        entries = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: entries.__setitem__(name, getattr(obj, "shape", None)))
        return entries

    theirs = _model(keras)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    _model(kerasish).save_weights(tmp_path / "ours.weights.h5")
    assert tree(tmp_path / "ours.weights.h5") == tree(tmp_path / "theirs.weights.h5")


def test_saved_kerasish_model_continues_training_in_keras3(tmp_path):
    x, y = _data()
    ours = _trained_kerasish_model()
    ours.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    again = kerasish.models.load_model(tmp_path / "m.keras")
    expected = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    received = again.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(received, expected, rtol=1e-4, atol=1e-6)


def test_legacy_h5_files_load_both_ways(tmp_path):
    # Keras 3's .h5 keeps every weight, trainable first: bias, factors, then the frozen kernel.
    x, _ = _data(8)
    theirs = _trained_keras_model()
    theirs.save(tmp_path / "theirs.h5")
    loaded = kerasish.models.load_model(tmp_path / "theirs.h5", compile=False)
    _close(loaded.predict(x, verbose=0), theirs.predict(x, verbose=0))
    ours = _trained_kerasish_model()
    ours.save(tmp_path / "ours.h5")
    back = keras.models.load_model(tmp_path / "ours.h5", compile=False)
    _close(keras.ops.convert_to_numpy(back.predict(x, verbose=0)), ours.predict(x, verbose=0))
    for got, want in zip(back.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16", "float16"])
def test_half_precision_policies_match_keras(policy):
    theirs = keras.layers.Dense(8, lora_rank=2, dtype=policy)
    ours = kerasish.layers.Dense(8, lora_rank=2, dtype=policy)
    theirs.build((None, 16))
    ours.build((None, 16))
    assert [v.dtype for v in ours.weights] == [str(v.dtype) for v in theirs.weights]
    rng = np.random.default_rng(6)
    theirs.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype(w.dtype) for w in theirs.weights])
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(4, 16)).astype("float32")
    expected = keras.ops.convert_to_numpy(theirs(x))
    received = ours(x)
    assert str(received.dtype).replace("torch.", "") == str(expected.dtype)
    # The same sums rounded at different points (Keras rounds the product and the merged kernel
    # apart; addmm once): a couple of units in the last place (bfloat16: 8 bits, float16: 11).
    ulp = 2.0**-7 if "bfloat16" in policy else 2.0**-10
    np.testing.assert_allclose(
        received.float().detach().numpy(), expected.astype("float32"), rtol=2 * ulp, atol=2 * ulp
    )
