"""Files written by real Keras 3 load in kerasish, and the reverse, with the same predictions."""

import h5py
import keras
import numpy as np
import pytest

import kerasish


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    values = []
    for weight in model.weights:
        value = rng.uniform(-0.6, 0.6, size=tuple(weight.shape)).astype("float32")
        if "moving_variance" in weight.path or "moving_variance" in weight.name:
            value = np.abs(value) + 0.5
        values.append(value)
    model.set_weights(values)


def _sequential(k):
    return k.Sequential([k.Input(shape=(4,)), k.layers.Dense(6, activation="relu"), k.layers.Dropout(0.3), k.layers.Dense(3, activation="softmax")])


def _functional(k):
    L = k.layers
    inner_in = k.Input(shape=(3,))
    inner = k.Model(inner_in, L.Dense(2, activation="tanh")(inner_in), name="inner")
    a, b = k.Input(shape=(3,), name="a"), k.Input(shape=(3,), name="b")
    shared = L.Dense(3, name="shared")
    left, right = inner(shared(a)), inner(shared(b))
    merged = L.BatchNormalization()(L.Concatenate()([left, right]))
    return k.Model([a, b], [L.Dense(1, name="head")(merged), right])


def _flat_multi_io(k):
    L = k.layers
    a, b = k.Input(shape=(3,), name="a"), k.Input(shape=(3,), name="b")
    shared = L.Dense(4, name="shared")
    merged = L.Add()([shared(a), shared(b)])
    return k.Model([a, b], [L.Dense(1, name="o1")(merged), L.Dense(2, name="o2")(merged)])


def _cnn(k):
    L = k.layers
    image = k.Input(shape=(8, 8, 2))
    x = L.Conv2D(4, 3, padding="same", activation="relu")(image)
    x = L.BatchNormalization()(x)
    x = L.MaxPooling2D()(x)
    x = L.Conv2D(3, 3, strides=2, padding="same")(x)
    x = L.GlobalAveragePooling2D()(x)
    return k.Model(image, L.Dense(2)(x))


def _embedding_lstm(k):
    L = k.layers
    tokens = k.Input(shape=(6,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(tokens)
    x = L.LSTM(5, return_sequences=True)(x)
    return k.Model(tokens, L.Dense(1)(L.LSTM(3)(x)))


def _stacked_bidirectional(k):
    L = k.layers
    seq = k.Input(shape=(5, 3))
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(seq)
    x = L.Bidirectional(L.GRU(2), merge_mode="sum")(x)
    return k.Model(seq, L.Dense(2)(x))


def _inputs(builder):
    rng = np.random.default_rng(5)
    if builder in (_functional, _flat_multi_io):
        return [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")]
    if builder is _sequential:
        return rng.normal(size=(4, 4)).astype("float32")
    if builder is _cnn:
        return rng.normal(size=(3, 8, 8, 2)).astype("float32")
    if builder is _embedding_lstm:
        ids = rng.integers(1, 20, size=(3, 6)).astype("int32")
        ids[0, 4:] = 0
        return ids
    return rng.normal(size=(2, 5, 3)).astype("float32")


BUILDERS = [_sequential, _functional, _flat_multi_io, _cnn, _embedding_lstm, _stacked_bidirectional]
# Keras 3 cannot read nested models from any tf.keras-schema .h5 (node numbering; see
# KERAS_FACTS "Writing files both read"), nor a Bidirectional's wrapped layer config there (its
# from_config wants Keras 3's `module` keys), so kerasish .h5 -> Keras 3 covers the others.
H5_READABLE_BY_KERAS3 = [_sequential, _flat_multi_io, _cnn, _embedding_lstm]


def _assert_close(expected, received):
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    received = received if isinstance(received, (list, tuple)) else [received]
    assert len(expected) == len(received)
    for e, r in zip(expected, received):
        np.testing.assert_allclose(r, e, atol=1e-5, rtol=0)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_keras3_files_load_in_kerasish(tmp_path, builder):
    model = builder(keras)
    _randomize(model, 1)
    x = _inputs(builder)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "m.weights.h5")
    for name in ("m.keras", "m.h5"):
        _assert_close(expected, kerasish.models.load_model(tmp_path / name).predict(x, verbose=0))
    ours = kerasish.models.load_model(tmp_path / "m.keras")
    _randomize(ours, 2)
    ours.load_weights(tmp_path / "m.weights.h5")
    _assert_close(expected, ours.predict(x, verbose=0))


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_kerasish_files_load_in_keras3(tmp_path, builder):
    ours = builder(kerasish)
    _randomize(ours, 3)
    x = _inputs(builder)
    expected = ours.predict(x, verbose=0)
    ours.save(tmp_path / "m.keras")
    ours.save_weights(tmp_path / "m.weights.h5")
    _assert_close(expected, keras.models.load_model(tmp_path / "m.keras").predict(x, verbose=0))
    theirs = builder(keras)
    theirs.load_weights(tmp_path / "m.weights.h5")
    _assert_close(expected, theirs.predict(x, verbose=0))
    if builder in H5_READABLE_BY_KERAS3:
        ours.save(tmp_path / "m.h5")
        _assert_close(expected, keras.models.load_model(tmp_path / "m.h5").predict(x, verbose=0))


def _tree(path):
    entries = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: entries.__setitem__(
                name, obj.shape if isinstance(obj, h5py.Dataset) else obj.attrs.get("name")
            )
        )
    return entries


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_weights_file_layout_matches_keras3_exactly(tmp_path, builder):
    model = builder(keras)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "theirs.weights.h5")
    kerasish.models.load_model(tmp_path / "m.keras").save_weights(tmp_path / "ours.weights.h5")
    assert _tree(tmp_path / "ours.weights.h5") == _tree(tmp_path / "theirs.weights.h5")


def _classifier(k):
    return k.Sequential([k.Input(shape=(4,)), k.layers.Dense(6, activation="relu"), k.layers.Dense(3, activation="softmax")])


def _data():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=16)]
    return x, y


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_keras3_compiled_model_continues_training_in_kerasish(tmp_path, name):
    x, y = _data()
    model = _classifier(keras)
    _randomize(model, 4)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / name)
    ours = kerasish.models.load_model(tmp_path / name)
    _assert_close(model.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert int(ours.optimizer.iterations) == 2
    expected = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    received = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    assert received == pytest.approx(expected, abs=1e-5)


def test_kerasish_compiled_model_continues_training_in_keras3(tmp_path):
    x, y = _data()
    ours = _classifier(kerasish)
    _randomize(ours, 4)
    ours.compile(optimizer=kerasish.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    ours.save(tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    assert int(theirs.optimizer.iterations) == 2
    expected = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    received = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    assert received == pytest.approx(expected, abs=1e-5)


def test_keras3_lambda_layers_need_safe_mode_off(tmp_path):
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2.0 + 1.0)(keras.layers.Dense(2)(inputs)))
    _randomize(model, 6)
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        kerasish.models.load_model(tmp_path / "lambda.keras")
    ours = kerasish.models.load_model(tmp_path / "lambda.keras", safe_mode=False)
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    _assert_close(model.predict(x, verbose=0), ours.predict(x, verbose=0))
