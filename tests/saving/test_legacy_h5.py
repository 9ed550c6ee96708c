import json
import warnings

import h5py
import numpy as np
import pytest

import kerasish as keras
from kerasish.saving import legacy_h5_weights

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
    inner_in = keras.Input(shape=(3,), name="inner_in")
    inner_hidden = L.Dense(4, activation="tanh", name="inner_dense")(inner_in)
    inner = keras.Model(inner_in, L.BatchNormalization(name="inner_bn")(inner_hidden), name="inner")
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    shared = L.Dense(3, name="shared")
    left, right = inner(shared(a)), inner(shared(b))
    merged = L.Concatenate(name="cat")([left, right])
    return keras.Model([a, b], [L.Dense(1, name="head")(merged), right], name="outer")


def _inputs(rng):
    return [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")]


def _assert_same(model, other, x):
    for got, want in zip(other.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_sequential_round_trip(tmp_path, rng):
    model = keras.Sequential([L.Dense(5, activation="relu", input_shape=(4,)), L.Dropout(0.2), L.Dense(2)])
    _random_weights(model, rng)
    path = tmp_path / "m.h5"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, keras.Sequential)
    x = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_functional_multi_io_shared_nested_round_trip_and_layout(tmp_path, rng):
    model = _nested_shared_model()
    _random_weights(model, rng)
    path = tmp_path / "m.hdf5"
    model.save(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["keras_version"].startswith("2.") and f.attrs["backend"] == "torch"
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Functional"
        weights = f["model_weights"]
        assert legacy_h5_weights.load_attributes(weights, "layer_names") == [layer.name for layer in model.layers]
        assert legacy_h5_weights.load_attributes(weights["shared"], "weight_names") == ["shared/kernel:0", "shared/bias:0"]
        # A nested model is one entry: all its trainable weights, then all non-trainable ones.
        assert legacy_h5_weights.load_attributes(weights["inner"], "weight_names") == [
            "inner_dense/kernel:0", "inner_dense/bias:0", "inner_bn/gamma:0", "inner_bn/beta:0",
            "inner_bn/moving_mean:0", "inner_bn/moving_variance:0",
        ]
        assert weights["shared/shared/kernel:0"].shape == (3, 3)
        assert len(weights["a"].attrs["weight_names"]) == 0
    loaded = keras.models.load_model(path)
    _assert_same(model, loaded, _inputs(rng))


def test_h5py_file_and_group_objects(tmp_path, rng):
    model = _nested_shared_model()
    _random_weights(model, rng)
    with h5py.File(tmp_path / "container.h5", "w") as f:
        model.save(f.create_group("experiment/model"))
        model.save_weights(f.create_group("weights_only"))
    with h5py.File(tmp_path / "container.h5", "r") as f:
        loaded = keras.models.load_model(f["experiment/model"])
        other = _nested_shared_model()
        other.load_weights(f["weights_only"])
    x = _inputs(rng)
    _assert_same(model, loaded, x)
    _assert_same(model, other, x)


def test_save_weights_layout_and_topological_load(tmp_path, rng):
    model = _nested_shared_model()
    _random_weights(model, rng)
    path = tmp_path / "w.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert "model_weights" not in f and "model_config" not in f.attrs
        assert "layer_names" in f.attrs and "top_level_model_weights" in f
    keras.backend.clear_session()
    fresh = _nested_shared_model()  # same architecture; loading goes by position
    fresh.load_weights(path)
    _assert_same(model, fresh, _inputs(rng))
    full = tmp_path / "full.h5"
    model.save(full)
    fresh2 = _nested_shared_model()
    fresh2.load_weights(full)  # a whole-model file: weights come from its model_weights group
    _assert_same(model, fresh2, _inputs(rng))


def test_load_weights_by_name_and_skip_mismatch(tmp_path, rng):
    source = keras.Sequential([L.Dense(4, input_shape=(3,), name="keep"), L.Dense(2, name="other")])
    _random_weights(source, rng)
    path = tmp_path / "w.h5"
    source.save_weights(path)
    target = keras.Sequential([
        L.Dense(4, input_shape=(3,), name="keep"), L.Dense(5, name="new"), L.Dense(3, name="other"),
    ])
    before_new = target.get_layer("new").get_weights()
    with pytest.raises(ValueError, match=r"Shape mismatch.*named other.*\(5, 3\).*\(4, 2\)"):
        target.load_weights(path, by_name=True)
    np.testing.assert_array_equal(target.get_layer("keep").get_weights()[0] != source.get_layer("keep").get_weights()[0], True)
    with pytest.warns(UserWarning, match="Skipping loading weights"):
        target.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("keep").get_weights()[0], source.get_layer("keep").get_weights()[0])
    np.testing.assert_array_equal(target.get_layer("new").get_weights()[0], before_new[0])


def test_failed_topological_load_names_layers_and_leaves_weights(tmp_path, rng):
    source = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2)])
    _random_weights(source, rng)
    path = tmp_path / "w.h5"
    source.save_weights(path)
    wider = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(6)])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #1 .*\(4, 6\).*\(4, 2\)"):
        wider.load_weights(path)
    for got, want in zip(wider.get_weights(), before):  # the first layer was not touched either
        np.testing.assert_array_equal(got, want)
    deeper = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2), L.Dense(1)])
    with pytest.raises(ValueError, match="Layer count mismatch.*expected 3 layers.*found 2 saved layers"):
        deeper.load_weights(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.warns(UserWarning, match="Skipping"):
            wider.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(wider.layers[0].get_weights()[0], source.layers[0].get_weights()[0])


def test_chunked_attributes_round_trip(tmp_path):
    names = [f"layer_with_a_rather_long_name_{i:05d}" + "x" * 200 for i in range(400)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        legacy_h5_weights.save_attributes(f, "layer_names", [n.encode() for n in names])
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert legacy_h5_weights.load_attributes(f, "layer_names") == names
        with pytest.raises(RuntimeError, match="larger than 64512 bytes"):
            legacy_h5_weights.save_attributes(f, "huge", [b"x" * 70000])


def test_model_with_many_layers_uses_chunked_layer_names(tmp_path, rng):
    inputs = keras.Input(shape=(2,))
    x = inputs
    for i in range(70):
        x = L.Dense(2, name=f"dense_block_{i:03d}_" + "n" * 1000)(x)
    model = keras.Model(inputs, x)
    path = tmp_path / "big.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        assert "layer_names0" in f["model_weights"].attrs
    loaded = keras.models.load_model(path)
    sample = rng.normal(size=(2, 2)).astype("float32")
    np.testing.assert_allclose(loaded.predict(sample, verbose=0), model.predict(sample, verbose=0), atol=1e-6)


# ------------------------------------------------------------------ hand-written Keras 2.2.5 file


def _keras_2_2_5_file(path, values):
    """A Keras 2.2.5 ``model.save`` file, written with h5py as 2.2.5 did.

    Hand-written (this environment has no Keras 2.2.5): bytes attributes, ``Model`` class
    names, a nested model called twice (its calls are nodes 1 and 2), an LSTM with 2.2.5's
    ``implementation`` key and default ``hard_sigmoid`` recurrent activation, and 2.2.5's
    1-based layer names.
    """
    inner = {
        "name": "inner",
        "layers": [
            {"name": "input_2", "class_name": "InputLayer", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4, 2], "dtype": "float32", "sparse": False, "name": "input_2"}},
            {"name": "lstm_1", "class_name": "LSTM", "inbound_nodes": [[["input_2", 0, 0, {}]]],
             "config": {"name": "lstm_1", "trainable": True, "return_sequences": False, "return_state": False,
                        "go_backwards": False, "stateful": False, "unroll": False, "units": 3,
                        "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True,
                        "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                            "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
                        "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                        "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
                        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 1}},
        ],
        "input_layers": [["input_2", 0, 0]],
        "output_layers": [["lstm_1", 0, 0]],
    }
    outer = {
        "class_name": "Model",
        "config": {
            "name": "model_2",
            "layers": [
                {"name": "input_3", "class_name": "InputLayer", "inbound_nodes": [],
                 "config": {"batch_input_shape": [None, 4, 2], "dtype": "float32", "sparse": False, "name": "input_3"}},
                {"name": "input_4", "class_name": "InputLayer", "inbound_nodes": [],
                 "config": {"batch_input_shape": [None, 4, 2], "dtype": "float32", "sparse": False, "name": "input_4"}},
                {"name": "inner", "class_name": "Model", "config": inner,
                 "inbound_nodes": [[["input_3", 0, 0, {}]], [["input_4", 0, 0, {}]]]},
                {"name": "dense_1", "class_name": "Dense", "inbound_nodes": [[["inner", 2, 0, {}]]],
                 "config": {"name": "dense_1", "trainable": True, "units": 1, "activation": "hard_sigmoid", "use_bias": True}},
            ],
            "input_layers": [["input_3", 0, 0], ["input_4", 0, 0]],
            "output_layers": [["inner", 1, 0], ["dense_1", 0, 0]],
        },
    }
    kernel, recurrent, bias, dense_kernel, dense_bias = values
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.5"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(outer).encode("utf8")
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"input_3", b"input_4", b"inner", b"dense_1"]
        weights.attrs["keras_version"] = b"2.2.5"
        weights.attrs["backend"] = b"tensorflow"
        for name in ("input_3", "input_4"):
            weights.create_group(name).attrs["weight_names"] = np.array([])
        group = weights.create_group("inner")
        names = [b"lstm_1/kernel:0", b"lstm_1/recurrent_kernel:0", b"lstm_1/bias:0"]
        group.attrs["weight_names"] = names
        for name, value in zip(names, (kernel, recurrent, bias)):
            group.create_dataset(name.decode(), data=value)
        group = weights.create_group("dense_1")
        group.attrs["weight_names"] = [b"dense_1/kernel:0", b"dense_1/bias:0"]
        group.create_dataset("dense_1/kernel:0", data=dense_kernel)
        group.create_dataset("dense_1/bias:0", data=dense_bias)


def test_hand_written_keras_2_2_5_file_loads_with_keras2_semantics(tmp_path, rng):
    values = [rng.uniform(-1, 1, size=s).astype("float32") for s in [(2, 12), (3, 12), (12,), (3, 1), (1,)]]
    path = tmp_path / "keras225.h5"
    _keras_2_2_5_file(path, values)
    model = keras.models.load_model(path)
    lstm = model.get_layer("inner").get_layer("lstm_1")
    assert lstm.recurrent_activation is keras.activations.legacy_hard_sigmoid
    assert model.get_layer("dense_1").activation is keras.activations.legacy_hard_sigmoid
    # The same network built directly with Keras 2's formulas.
    seq_in = keras.Input(shape=(4, 2))
    reference_lstm = L.LSTM(3, recurrent_activation="legacy_hard_sigmoid")
    reference_inner = keras.Model(seq_in, reference_lstm(seq_in))
    p, q = keras.Input(shape=(4, 2)), keras.Input(shape=(4, 2))
    head = L.Dense(1, activation="legacy_hard_sigmoid")
    reference = keras.Model([p, q], [reference_inner(p), head(reference_inner(q))])
    reference.set_weights(values)
    x = [rng.normal(size=(2, 4, 2)).astype("float32") * 3, rng.normal(size=(2, 4, 2)).astype("float32") * 3]
    _assert_same(reference, model, x)


def test_keras2_config_drift_keys(tmp_path):
    @keras.saving.register_keras_serializable(package="drift")
    class NoGroups(L.Layer):
        def call(self, x):
            return x

    config = {"class_name": "NoGroups", "config": {"name": "g", "groups": 1, "time_major": False}}
    layer = keras.models.model_from_config(config)
    assert isinstance(layer, NoGroups)
    # A value that changes the computation is not dropped: the constructor refuses it by name.
    with pytest.raises(ValueError, match="groups"):
        keras.models.model_from_config({"class_name": "NoGroups", "config": {"name": "g2", "groups": 2}})
    gru = keras.models.model_from_config(
        {"class_name": "GRU", "config": {"units": 2, "time_major": False, "implementation": 1, "reset_after": False}}
    )
    assert gru.units == 2
    lstm = keras.models.model_from_config({"class_name": "LSTM", "config": {"units": 2, "time_major": True}})
    assert lstm.time_major is True
    with pytest.raises(NotImplementedError, match="time_major"):
        keras.models.model_from_config(
            {"class_name": "ConvLSTM2D", "config": {"filters": 2, "kernel_size": 3, "time_major": True}}
        )


def test_batch_input_shape_and_batch_shape_both_read():
    for key in ("batch_input_shape", "batch_shape"):
        config = {"class_name": "Functional", "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "i", "inbound_nodes": [], "config": {key: [None, 5], "name": "i"}},
                {"class_name": "Dense", "name": "d", "inbound_nodes": [[["i", 0, 0, {}]]], "config": {"name": "d", "units": 2}},
            ],
            "input_layers": [["i", 0, 0]], "output_layers": [["d", 0, 0]],
        }}
        assert keras.models.model_from_config(config).input_shape == (None, 5)


def test_corrupt_and_incomplete_h5_files(tmp_path):
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    path = tmp_path / "m.h5"
    model.save(path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        keras.models.load_model(truncated)
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    with pytest.raises(ValueError, match="No model config found"):
        keras.models.load_model(tmp_path / "empty.h5")
    with h5py.File(tmp_path / "ghost.h5", "w") as f:
        f.attrs["model_config"] = json.dumps({"class_name": "GhostLayerClass", "config": {}})
    with pytest.raises(ValueError, match="Unknown layer: 'GhostLayerClass'"):
        keras.models.load_model(tmp_path / "ghost.h5")
    with h5py.File(tmp_path / "missing.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense"]
    with pytest.raises(ValueError, match="Corrupt weights file: layer 'dense'"):
        model.load_weights(tmp_path / "missing.h5")


@pytest.mark.parametrize("name", ["lambda.h5", "lambda.keras"])
def test_lambda_bytecode_loads_only_with_safe_mode_off(tmp_path, rng, name):
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, L.Lambda(lambda t: t * 2.0 + 1.0)(L.Dense(2)(inputs)))
    model.save(tmp_path / name)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(tmp_path / name)
    loaded = keras.models.load_model(tmp_path / name, safe_mode=False)
    x = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
