import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import kerasish as keras
from kerasish.saving import keras3_weights

L = keras.layers


def _random_weights(model, rng):
    values = []
    for weight in model.weights:
        value = rng.uniform(-0.5, 0.5, size=weight.shape).astype("float32")
        if "moving_variance" in weight.name:
            value = np.abs(value) + 0.5
        values.append(value)
    model.set_weights(values)


def _nested_shared_model():
    inner_in = keras.Input(shape=(3,))
    inner = keras.Model(inner_in, L.Dense(2, activation="tanh", name="inner_dense")(inner_in), name="inner")
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = L.Dense(3, name="shared")
    left, right = inner(shared(a)), inner(shared(b))
    merged = L.BatchNormalization(name="bn")(L.Concatenate(name="cat")([left, right]))
    return keras.Model([a, b], [right, L.Dense(1, name="head")(merged)], name="outer")


def _inputs(rng):
    return [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")]


def _assert_same(model, other, x):
    for got, want in zip(other.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_keras_zip_round_trip_and_members(tmp_path, rng):
    model = _nested_shared_model()
    _random_weights(model, rng)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        assert json.loads(archive.read("metadata.json"))["keras_version"].startswith("3.")
    loaded = keras.models.load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    _assert_same(model, loaded, _inputs(rng))


def test_config_json_is_keras3_schema(tmp_path):
    model = _nested_shared_model()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config = json.loads(archive.read("config.json"))
    assert config["module"] == "keras.src.models.functional" and config["registered_name"] == "Functional"
    layers = {entry["name"]: entry for entry in config["config"]["layers"]}
    assert layers["a"]["config"]["batch_shape"] == [None, 3]
    assert layers["shared"]["module"] == "keras.layers"
    assert layers["shared"]["build_config"] == {"input_shape": [None, 3]}
    assert layers["shared"]["config"]["dtype"]["class_name"] == "DTypePolicy"
    # Nested model calls: 0-based in inbound_nodes, 1-based in output_layers (Keras 3's rule).
    cat_args = layers["cat"]["inbound_nodes"][0]["args"][0]
    assert [arg["config"]["keras_history"] for arg in cat_args] == [["inner", 0, 0], ["inner", 1, 0]]
    assert cat_args[0]["class_name"] == "__keras_tensor__"
    assert config["config"]["output_layers"][0] == ["inner", 2, 0]
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]


def test_weights_use_keras3_object_paths(tmp_path):
    inner = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2)], name="inner_seq")
    tokens = keras.Input(shape=(4,), dtype="int32")
    x = L.Embedding(10, 3)(tokens)
    x = L.LSTM(3)(x)
    x = L.Dense(3)(x)
    model = keras.Model(tokens, L.Dense(1)(inner(x)))
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        paths = set()
        f.visititems(lambda name, obj: paths.add(name) if isinstance(obj, h5py.Dataset) else None)
        assert f["vars"].attrs["name"] == model.name
        assert f["layers/dense/vars"].attrs["name"] == model.layers[3].name
        assert f["layers/lstm/cell/vars"].attrs["name"] == "lstm_cell"
    assert paths == {
        "layers/embedding/vars/0", "layers/lstm/cell/vars/0", "layers/lstm/cell/vars/1",
        "layers/lstm/cell/vars/2", "layers/dense/vars/0", "layers/dense/vars/1",
        "layers/sequential/layers/dense/vars/0", "layers/sequential/layers/dense/vars/1",
        "layers/dense_1/vars/0", "layers/dense_1/vars/1",
    }


def test_weights_h5_round_trip_and_loading_from_keras_zip(tmp_path, rng):
    model = _nested_shared_model()
    _random_weights(model, rng)
    model.save_weights(tmp_path / "w.weights.h5")
    model.save(tmp_path / "m.keras")
    for source in ("w.weights.h5", "m.keras"):
        keras.backend.clear_session()
        fresh = _nested_shared_model()
        fresh.load_weights(tmp_path / source)
        _assert_same(model, fresh, _inputs(rng))


def test_mismatched_weights_fail_without_touching_the_model(tmp_path, rng):
    small = keras.Sequential([keras.Input(shape=(3,)), L.Dense(4), L.Dense(2)])
    _random_weights(small, rng)
    small.save_weights(tmp_path / "w.weights.h5")
    other = keras.Sequential([keras.Input(shape=(3,)), L.Dense(4), L.Dense(5)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"layer 'dense_3'.*expects shape \(4, 5\).*holds shape \(4, 2\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    for got, want in zip(other.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    with pytest.warns(UserWarning, match="Skipping loading weights of layer 'dense_3'"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0], small.layers[0].get_weights()[0])
    deeper = keras.Sequential([keras.Input(shape=(3,)), L.Dense(4), L.Dense(2), L.Dense(1)])
    with pytest.raises(ValueError, match=r"Layer 'dense_6' expected 2 variables, but received 0"):
        deeper.load_weights(tmp_path / "w.weights.h5")


def test_corrupt_keras_files(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2)])
    path = tmp_path / "m.keras"
    model.save(path)
    data = path.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        keras.models.load_model(tmp_path / "cut.keras")
    with zipfile.ZipFile(tmp_path / "noweights.keras", "w") as archive:
        with zipfile.ZipFile(path) as original:
            archive.writestr("config.json", original.read("config.json"))
    with pytest.raises(ValueError, match="has no 'model.weights.h5'"):
        keras.models.load_model(tmp_path / "noweights.keras")
    with zipfile.ZipFile(tmp_path / "unknown.keras", "w") as archive:
        archive.writestr("config.json", json.dumps(
            {"module": "somewhere", "class_name": "NoSuchModelClass", "config": {}, "registered_name": "x>NoSuchModelClass"}
        ))
    with pytest.raises(TypeError, match="Could not locate class 'NoSuchModelClass'"):
        keras.models.load_model(tmp_path / "unknown.keras")


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2)])
    for name in ("m.keras", "m.h5", "m.weights.h5"):
        path = tmp_path / name
        path.write_bytes(b"previous contents")

        def explode(*args, **kwargs):
            raise RuntimeError("disk full")

        with monkeypatch.context() as patch:
            patch.setattr(keras3_weights, "save_weights", explode)
            patch.setattr("kerasish.saving.legacy_h5_weights.save_weights_to_group", explode)
            with pytest.raises(RuntimeError, match="disk full"):
                if name.endswith(".weights.h5"):
                    model.save_weights(path)
                else:
                    model.save(path)
        assert path.read_bytes() == b"previous contents"
        assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_unserializable_model_fails_before_writing(tmp_path):
    class Unconfigurable(L.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, Unconfigurable(2.0)(inputs))
    path = tmp_path / "m.keras"
    path.write_bytes(b"old")
    with pytest.raises(NotImplementedError, match="must override `get_config\\(\\)`"):
        model.save(path)
    assert path.read_bytes() == b"old"


def test_custom_layer_round_trip_with_registration(tmp_path, rng):
    @keras.saving.register_keras_serializable(package="zip_test")
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.offset = self.add_weight(name="offset", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.factor + self.offset

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, Scale(3.0, name="scale")(L.Dense(3)(inputs)))
    _random_weights(model, rng)
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = keras.models.load_model(tmp_path / name)
        assert isinstance(loaded.get_layer("scale"), Scale) and loaded.get_layer("scale").factor == 3.0
        x = rng.normal(size=(2, 3)).astype("float32")
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_the_optimizer_iteration_count_is_written_as_keras_int32(tmp_path):
    import zipfile

    import h5py

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), epochs=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
            iterations = weights["optimizer/vars/0"]
            assert iterations.dtype == np.int32 and int(iterations[()]) == 2
    restored = keras.saving.load_model(path)
    assert int(restored.optimizer.iterations) == 2
