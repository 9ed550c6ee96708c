"""Op nodes in ``.keras`` files, both ways: kerasish writes Keras 3's operation nodes (real Keras
loads them and predicts the same), and reads Keras 3's, constant arguments included."""

import importlib
import inspect
import json
import zipfile

import keras
import numpy as np
import pytest

import kerasish
from kerasish.ops import dispatch, keras3_names


def test_table_agrees_with_keras_operation_classes():
    from keras.src.ops.operation import Operation

    for entry in keras3_names._TABLE.values():
        cls = getattr(importlib.import_module(entry.module), entry.class_name)
        assert issubclass(cls, Operation), entry
        symbol = keras3_names._kerasish_symbol(entry)
        parameters = list(dispatch.call_signature(dispatch.lookup_symbol(symbol)).parameters.values())
        call_names = entry.call_parameters or tuple(p.name for p in parameters[: entry.leading])
        keras_call = [p for p in inspect.signature(cls.call).parameters.values() if p.name != "self"]
        keras_call_names = [p.name for p in keras_call if p.kind is not p.VAR_KEYWORD]
        assert len(keras_call_names) == len(call_names), (entry, keras_call_names)
        keras_init = set(inspect.signature(cls.__init__).parameters)
        constructor = {p.name for p in parameters if p.name not in call_names and p.kind is not p.VAR_KEYWORD}
        if symbol in keras3_names.OPERATOR_SYMBOLS:
            constructor = set()  # TensorFlow's own extra arguments are never written
        assert constructor <= keras_init, (entry, constructor - keras_init)


def _representative(lib, np_constant, tensor_constant):
    ops = lib.ops
    x, y = lib.Input((3, 4)), lib.Input((3, 4))
    h = lib.layers.Dense(4, name="dense")(x)
    outputs = [
        ops.add(h, y),
        ops.multiply(x, y),
        h * y,
        ops.matmul(x, ops.transpose(y, (0, 2, 1))),
        ops.reshape(x, (-1, 12)),
        ops.concatenate([x, y], axis=-1),
        ops.mean(x, axis=1),
        x[:, 1:],
        x[..., 0],
        ops.where(x > 0, x, 0.5),
        ops.relu(h),
        ops.softmax(x, axis=-1),
        ops.add(x, np_constant),
        ops.where(y > 0, y, tensor_constant),
        x / 2.0 - y,
        ops.sum(x, axis=(1, 2), keepdims=True),
        ops.cumsum(x, axis=1),
        ops.cast(x, "int32"),
        ops.one_hot(ops.argmax(x, axis=-1), 4),
        ops.max_pool(y, 2, padding="SAME"),
    ]
    return lib.Model([x, y], outputs)


def _data():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(2, 3, 4)).astype("float32") for _ in range(2)]


def _layout(config, output_index):
    """The producing operation of one output: class, module, config (no name), node args."""
    layers = {layer["name"]: layer for layer in config["config"]["layers"]}
    layer = layers[config["config"]["output_layers"][output_index][0]]

    def strip(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return "KerasTensor"
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    inner = {k: v for k, v in layer["config"].items() if k != "name"}
    return layer["module"], layer["class_name"], inner, [strip(node["args"]) for node in layer["inbound_nodes"]]


def test_kerasish_keras_file_loads_in_keras_and_predicts_the_same(tmp_path):
    model = _representative(kerasish, np.ones(4, "float32"), kerasish.ops.convert_to_tensor(np.full((4,), 2.0, "float32")))
    path = tmp_path / "ops.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    data = _data()
    for received, expected in zip(model.predict(data, verbose=0), loaded.predict(data, verbose=0)):
        assert received.dtype == expected.dtype
        np.testing.assert_allclose(received, expected, rtol=0, atol=1e-5)

    # The nodes are laid out as Keras 3 lays out its own nodes for the same code.
    reference = _representative(keras, np.ones(4, "float32"), keras.ops.convert_to_tensor(np.full((4,), 2.0, "float32")))
    written = json.loads(zipfile.ZipFile(path).read("config.json"))
    own = json.loads(reference.to_json())
    for index in range(len(reference.outputs)):
        assert _layout(written, index) == _layout(own, index), index


def _keras_with_constants():
    ops = keras.ops
    x, xi = keras.Input((3,)), keras.Input((3,), dtype="int32")
    outputs = [
        ops.isin(xi, ops.convert_to_tensor([1, 2])),
        ops.add(x, np.ones(3, "float32")),
        ops.where(x > 0, x, ops.convert_to_tensor(np.full((3,), 2.0, "float32"))),
        ops.multiply(x, np.arange(3.0)),
        ops.take(x, ops.convert_to_tensor([2, 0]), axis=1),
    ]
    return keras.Model([x, xi], outputs)


def _check_same(kerasish_model, keras_model):
    data = [np.array([[-1.0, 0.5, 2.0], [3.0, -0.5, 0.0]], "float32"), np.array([[0, 1, 2], [2, 5, 1]], "int32")]
    for received, expected in zip(kerasish_model.predict(data, verbose=0), keras_model.predict(data, verbose=0)):
        assert received.dtype == expected.dtype
        np.testing.assert_allclose(received, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("how", ["load_model", "model_from_json"])
def test_keras3_constant_arguments_load_in_kerasish(tmp_path, how):
    model = _keras_with_constants()
    if how == "load_model":
        model.save(tmp_path / "k3.keras")
        loaded = kerasish.saving.load_model(tmp_path / "k3.keras")
    else:
        loaded = kerasish.models.model_from_json(model.to_json())
    _check_same(loaded, model)


def test_constants_survive_a_kerasish_round_trip_back_to_keras(tmp_path):
    model = _keras_with_constants()
    model.save(tmp_path / "k3.keras")
    kerasish.saving.load_model(tmp_path / "k3.keras").save(tmp_path / "again.keras")
    _check_same(kerasish.saving.load_model(tmp_path / "again.keras"), keras.saving.load_model(tmp_path / "again.keras"))
