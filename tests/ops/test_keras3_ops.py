"""Op layers as Keras 3 operation nodes: the table of Keras 3 classes, writing, reading."""

import json

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import backend as K
from kerasish import ops
from kerasish.ops import dispatch, keras3_names
from kerasish.ops.op_layer import TFOpLambda
from kerasish.saving.keras3_config import functional_config


def _entries(model):
    config = functional_config(model)
    return {entry["name"]: entry for entry in config["layers"]}


def _args(entry, node=0):
    """A node's args with each tensor shown as its producer's name."""

    def strip(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return "KT:" + value["config"]["keras_history"][0]
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(entry["inbound_nodes"][node]["args"])


def test_every_table_entry_names_a_kerasish_op():
    for entry in keras3_names._TABLE.values():
        symbol = keras3_names._kerasish_symbol(entry)
        dispatch.lookup_symbol(symbol)
        assert keras3_names.symbol_for_class(entry.class_name, entry.module) == symbol
        module = entry.module.rsplit(".", 1)[-1]
        assert keras3_names.operation_for_symbol(symbol) == entry, (symbol, module)


@pytest.mark.parametrize(
    ("symbol", "module", "class_name"),
    [
        ("keras.ops.mean", "keras.src.ops.numpy", "Mean"),
        ("keras.ops.abs", "keras.src.ops.numpy", "Absolute"),
        ("keras.ops.isin", "keras.src.ops.numpy", "IsIn"),
        ("keras.ops.relu", "keras.src.ops.nn", "Relu"),
        ("keras.ops.swish", "keras.src.ops.nn", "Silu"),
        ("keras.ops.cast", "keras.src.ops.core", "Cast"),
        ("keras.ops.image.resize", "keras.src.ops.image", "Resize"),
        ("math.multiply", "keras.src.ops.numpy", "Multiply"),
        ("math.truediv", "keras.src.ops.numpy", "TrueDivide"),
        ("__operators__.getitem", "keras.src.ops.numpy", "GetItem"),
    ],
)
def test_operation_for_symbol(symbol, module, class_name):
    operation = keras3_names.operation_for_symbol(symbol)
    assert (operation.module, operation.class_name) == (module, class_name)


def test_symbols_without_keras3_operation():
    assert keras3_names.operation_for_symbol("keras.backend.batch_dot") is None
    assert keras3_names.operation_for_symbol("math.reduce_sum") is None
    assert keras3_names.operation_for_symbol("keras.ops.resize") is None  # only image.resize


def test_symbol_for_class_without_module_searches_every_module():
    assert keras3_names.symbol_for_class("Relu", None) == "keras.ops.relu"
    assert keras3_names.symbol_for_class("NotAnOp", "keras.src.ops.numpy") is None


def test_ops_are_written_as_keras3_operations():
    x, y = keras.Input((3, 4)), keras.Input((3, 4))
    outputs = [
        ops.mean(x, axis=1),
        ops.concatenate([x, y], axis=-1),
        x[:, 1:],
        x * y,
        ops.add(x, np.ones(4, "float32")),
        ops.relu(x),
        ops.einsum("bij,bkj->bik", x, y),
        ops.cast(x, "int32"),
        ops.where(x > 0, x, 0.5),
    ]
    entries = _entries(keras.Model([x, y], outputs))
    mean = entries["mean"]
    assert {k: mean[k] for k in ("module", "class_name", "registered_name")} == {
        "module": "keras.src.ops.numpy",
        "class_name": "Mean",
        "registered_name": "Mean",
    }
    assert mean["config"] == {"name": "mean", "axis": 1, "keepdims": False}
    assert "build_config" not in mean
    assert _args(mean) == ["KT:input_1"]
    assert mean["inbound_nodes"][0]["kwargs"] == {}
    assert entries["concatenate"]["config"] == {"name": "concatenate", "axis": -1}
    assert _args(entries["concatenate"]) == [["KT:input_1", "KT:input_2"]]
    getitem = entries["tf.__operators__.getitem"]
    assert getitem["class_name"] == "GetItem"
    assert _args(getitem) == [
        "KT:input_1",
        [
            {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
            {"class_name": "__slice__", "config": {"start": 1, "stop": None, "step": None}},
        ],
    ]
    assert entries["tf.math.multiply"]["class_name"] == "Multiply"
    assert entries["tf.math.multiply"]["config"] == {"name": "tf.math.multiply"}
    assert _args(entries["add"]) == [
        "KT:input_1",
        {"class_name": "__numpy__", "config": {"value": [1.0] * 4, "dtype": "float32"}},
    ]
    assert entries["relu"]["module"] == "keras.src.ops.nn"
    assert entries["einsum"]["config"] == {"name": "einsum", "subscripts": "bij,bkj->bik"}
    assert _args(entries["einsum"]) == ["KT:input_1", "KT:input_2"]
    assert entries["cast"]["module"] == "keras.src.ops.core"
    assert entries["cast"]["config"] == {"name": "cast", "dtype": "int32"}
    assert _args(entries["where"]) == ["KT:tf.math.greater", "KT:input_1", 0.5]
    json.dumps(functional_config(keras.Model([x, y], outputs)))


def test_arguments_are_resolved_as_keras_functions_resolve_them():
    x = keras.Input((4, 2))
    outputs = [ops.one_hot(ops.argmax(x, axis=-1), 3), ops.max_pool(x, 2, padding="SAME"), ops.reshape(ops.sum(x), 1), ops.cast(x, torch.int64)]
    entries = _entries(keras.Model(x, outputs))
    assert entries["one_hot"]["config"]["dtype"] == "float32"
    assert entries["max_pool"]["config"]["data_format"] == "channels_last"
    assert entries["max_pool"]["config"]["padding"] == "same"
    assert entries["reshape"]["config"]["newshape"] == [1]
    assert entries["cast"]["config"]["dtype"] == "int64"


def test_tensor_constants_are_written_as_keras3_tensors():
    x = keras.Input((2,))
    entries = _entries(keras.Model(x, ops.multiply(x, torch.tensor([2.0, 3.0]))))
    assert _args(entries["multiply"])[1] == {"class_name": "__tensor__", "config": {"value": [2.0, 3.0], "dtype": "float32"}}


def test_keras_file_round_trip(tmp_path):
    x = keras.Input((3, 4))
    h = keras.layers.Dense(4)(x)
    outputs = [ops.sum(h[:, 1:] * 2.0, axis=1), ops.where(h > 0, h, ops.convert_to_tensor([1.0, 2.0, 3.0, 4.0])), ops.transpose(h, (0, 2, 1))]
    model = keras.Model(x, outputs)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    data = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    for expected, received in zip(model.predict(data, verbose=0), loaded.predict(data, verbose=0)):
        np.testing.assert_allclose(received, expected, rtol=0, atol=1e-6)


def test_op_without_keras3_operation_is_refused_by_name(tmp_path):
    x, y = keras.Input((2, 3)), keras.Input((2, 3))
    model = keras.Model([x, y], K.batch_dot(x, y, axes=2))
    with pytest.raises(ValueError, match=r"'keras\.backend\.batch_dot'.*Keras 3 has no operation"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    assert "TFOpLambda" in model.to_json()  # tf.keras' format still holds it


def test_tensorflow_only_arguments_are_refused():
    a, b = keras.Input((2, 2)), keras.Input((2, 2))
    out = TFOpLambda("linalg.matmul")(a, b, transpose_a=True)
    with pytest.raises(ValueError, match="transpose_a=True has no counterpart in Keras 3's Matmul"):
        functional_config(keras.Model([a, b], out))


def test_tf_keras_configs_keep_tfoplambda():
    x = keras.Input((3,))
    config = json.loads(keras.Model(x, ops.mean(x * 2.0, axis=1)).to_json())
    classes = [layer["class_name"] for layer in config["config"]["layers"]]
    assert classes == ["InputLayer", "TFOpLambda", "TFOpLambda"]
    assert config["config"]["layers"][2]["config"]["function"] == "keras.ops.mean"


def _keras3_tensor(name, shape, dtype="float32"):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": dtype, "keras_history": [name, 0, 0]}}


def _keras3_model_config(layers, outputs):
    inputs = [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "x"}, "registered_name": None, "name": "x", "inbound_nodes": []},
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 3], "dtype": "int32", "name": "i"}, "registered_name": None, "name": "i", "inbound_nodes": []},
    ]
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {"name": "m", "trainable": True, "layers": inputs + layers, "input_layers": [["x", 0, 0], ["i", 0, 0]], "output_layers": outputs},
        "registered_name": "Functional",
    }


def _operation(class_name, name, args, **config):
    return {"module": "keras.src.ops.numpy", "class_name": class_name, "config": {"name": name, **config}, "registered_name": class_name, "name": name, "inbound_nodes": [{"args": args, "kwargs": {}}]}


def test_keras3_constant_arguments_are_read():
    layers = [
        _operation("IsIn", "is_in", [_keras3_tensor("i", [None, 3], "int32"), {"class_name": "__tensor__", "config": {"value": [1, 2], "dtype": "int32"}}], assume_unique=False, invert=False),
        _operation("Add", "add", [_keras3_tensor("x", [None, 3]), {"class_name": "__numpy__", "config": {"value": [1.0, 2.0, 3.0], "dtype": "float32"}}]),
    ]
    config = _keras3_model_config(layers, [["is_in", 0, 0], ["add", 0, 0]])
    for model in (keras.models.model_from_json(json.dumps(config)), keras.saving.deserialize_keras_object(config)):
        isin, added = model(torch.ones(2, 3), torch.tensor([[0, 1, 2], [3, 2, 1]], dtype=torch.int32))
        assert isin.tolist() == [[False, True, True], [False, True, True]]
        torch.testing.assert_close(added, torch.tensor([[2.0, 3.0, 4.0]] * 2))


def test_keras3_image_operation_is_read():
    layer = {**_operation("Resize", "resize", [_keras3_tensor("x", [None, 3])]), "module": "keras.src.ops.image"}
    op_layer = keras.saving.deserialize_keras_object({k: layer[k] for k in ("module", "class_name", "config", "registered_name")})
    assert op_layer.symbol == "keras.ops.image.resize"
