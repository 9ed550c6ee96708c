"""Ops and Python operators on KerasTensors: op layers in the graph, generated code, configs."""

import json

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import ops
from kerasish.ops.dispatch import contains_keras_tensor
from kerasish.ops.op_layer import SlicingOpLambda, TFOpLambda


def _round_trip(model):
    return keras.Model.from_config(json.loads(json.dumps(model.get_config())))


def test_ops_on_keras_tensors_become_layers_with_keras3_names():
    a, b = keras.Input((3,)), keras.Input((3,))
    out = ops.sum(ops.add(a, b), axis=1)
    model = keras.Model([a, b], out)
    names = [layer.name for layer in model.layers[2:]]
    assert names == ["add", "sum"]
    assert all(isinstance(layer, TFOpLambda) for layer in model.layers[2:])
    assert out.shape == (None,)
    x, y = torch.randn(4, 3), torch.randn(4, 3)
    torch.testing.assert_close(model(x, y), (x + y).sum(1))


def test_python_operators_record_tf_keras_symbols():
    x = keras.Input((4,))
    y = (-(2.0 * x - 1) / 3 + x**2) @ ops.ones((4, 2))
    z = abs(y[:, :1]) > 0.5
    model = keras.Model(x, [y, z])
    symbols = [layer.symbol for layer in model.layers[1:]]
    assert symbols == [
        "math.multiply",
        "math.subtract",
        "math.negative",
        "math.truediv",
        "math.pow",
        "__operators__.add",
        "linalg.matmul",
        "__operators__.getitem",
        "math.abs",
        "math.greater",
    ]
    assert model.layers[1].name == "tf.math.multiply"
    assert isinstance(model.get_layer("tf.__operators__.getitem"), SlicingOpLambda)
    data = torch.randn(5, 4)
    expected = (-(2.0 * data - 1) / 3 + data**2) @ torch.ones(4, 2)
    received_y, received_z = model(data)
    torch.testing.assert_close(received_y, expected)
    assert received_z.dtype == torch.bool
    torch.testing.assert_close(received_z, expected[:, :1].abs() > 0.5)


def test_generated_forward_calls_op_layers_directly():
    x = keras.Input((3,))
    model = keras.Model(x, ops.relu(x + 1.0)[:, 0])
    source = model.forward_source()
    assert "self.tf___operators___add(input_1, 1.0)" in source
    assert "self.relu(" in source
    assert "for " not in source


def test_numpy_constants_become_non_persistent_buffers():
    x = keras.Input((3,))
    weights = np.array([1.0, 2.0, 3.0], dtype="float32")
    model = keras.Model(x, x * weights + ops.convert_to_tensor([0.5, 0.5, 0.5]))
    data = torch.randn(2, 3)
    torch.testing.assert_close(model(data), data * torch.tensor([1.0, 2.0, 3.0]) + 0.5)
    assert "self._constant_0" in model.forward_source()
    assert not any(key.startswith("_constant") for key in model.state_dict())


def test_config_writes_tf_keras_op_layer_schema():
    x = keras.Input((4,))
    y = x[:, 1:3] * 2.0
    z = 1.0 - ops.concatenate([y, y], axis=-1)
    model = keras.Model(x, z)
    layers = {entry["name"]: entry for entry in model.get_config()["layers"]}
    getitem = layers["tf.__operators__.getitem"]
    assert getitem["class_name"] == "SlicingOpLambda"
    assert getitem["config"]["function"] == "__operators__.getitem"
    assert getitem["inbound_nodes"] == [
        ["input_1", 0, 0, {"slice_spec": [{"start": None, "stop": None, "step": None}, {"start": 1, "stop": 3, "step": None}]}]
    ]
    assert layers["tf.math.multiply"]["inbound_nodes"] == [["tf.__operators__.getitem", 0, 0, {"y": 2.0}]]
    assert layers["concatenate"]["config"]["function"] == "keras.ops.concatenate"
    assert layers["concatenate"]["inbound_nodes"] == [
        [["tf.math.multiply", 0, 0, {"axis": -1}], ["tf.math.multiply", 0, 0, {"axis": -1}]]
    ]
    assert layers["tf.math.subtract"]["inbound_nodes"] == [
        ["_CONSTANT_VALUE", -1, 1.0, {"y": ["concatenate", 0, 0]}]
    ]


def test_config_round_trip_rebuilds_the_computation():
    a, b = keras.Input((3, 4)), keras.Input((3, 4))
    h = keras.layers.Dense(4)(a)
    y = ops.einsum("bij,bkj->bik", h, b) + np.eye(3, dtype="float32")
    y = ops.softmax(y, axis=-1)[..., :2]
    y = ops.where(y > 0.3, y, ops.zeros_like(y))
    model = keras.Model([a, b], [y, ops.max(h, axis=(1, 2))])
    rebuilt = _round_trip(model)
    rebuilt.set_weights(model.get_weights())
    inputs = [np.random.rand(2, 3, 4).astype("float32") for _ in range(2)]
    for expected, received in zip(model.predict(inputs, verbose=0), rebuilt.predict(inputs, verbose=0)):
        np.testing.assert_allclose(received, expected, atol=1e-6)


def test_reads_tf_keras_tfoplambda_config():
    """A config as tf.keras 2.x writes it for `tf.concat`, operators, `tf.nn.softmax`."""
    config = {
        "name": "model",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
            {"class_name": "TFOpLambda", "config": {"name": "tf.math.multiply", "trainable": True, "dtype": "float32", "function": "math.multiply"}, "name": "tf.math.multiply", "inbound_nodes": [["input_1", 0, 0, {"y": 2.0, "name": None}]]},
            {"class_name": "SlicingOpLambda", "config": {"name": "tf.__operators__.getitem", "trainable": True, "dtype": "float32", "function": "__operators__.getitem"}, "name": "tf.__operators__.getitem", "inbound_nodes": [["tf.math.multiply", 0, 0, {"slice_spec": [{"start": None, "stop": None, "step": None}, {"start": 0, "stop": 2, "step": None}]}]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.concat", "trainable": True, "dtype": "float32", "function": "concat"}, "name": "tf.concat", "inbound_nodes": [[["tf.__operators__.getitem", 0, 0, {"axis": -1, "name": "concat"}], ["input_1", 0, 0, {"axis": -1, "name": "concat"}]]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.math.subtract", "trainable": True, "dtype": "float32", "function": "math.subtract"}, "name": "tf.math.subtract", "inbound_nodes": [["_CONSTANT_VALUE", -1, 1.0, {"y": ["tf.concat", 0, 0], "name": None}]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.nn.softmax", "trainable": True, "dtype": "float32", "function": "nn.softmax"}, "name": "tf.nn.softmax", "inbound_nodes": [["tf.math.subtract", 0, 0, {"name": None}]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_sum", "trainable": True, "dtype": "float32", "function": "math.reduce_sum"}, "name": "tf.math.reduce_sum", "inbound_nodes": [["tf.nn.softmax", 0, 0, {"axis": 1, "keepdims": True, "name": None}]]},
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["tf.nn.softmax", 0, 0], ["tf.math.reduce_sum", 0, 0]],
    }
    model = keras.Model.from_config(config)
    x = torch.randn(3, 4)
    expected = torch.softmax(1.0 - torch.cat([(x * 2)[:, :2], x], dim=-1), dim=-1)
    probs, total = model(x)
    torch.testing.assert_close(probs, expected)
    torch.testing.assert_close(total, torch.ones(3, 1))


def test_unknown_symbol_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown op symbol 'math.no_such_op'"):
        TFOpLambda("math.no_such_op")


def test_op_layer_of_a_constant_first_argument():
    x = keras.Input((2,))
    model = keras.Model(x, 3.0 - x)
    data = torch.randn(4, 2)
    torch.testing.assert_close(model(data), 3.0 - data)
    torch.testing.assert_close(_round_trip(model)(data), 3.0 - data)


def test_keras_tensor_protocols():
    x = keras.Input(batch_shape=(2, 3))
    rows = list(x)
    assert len(rows) == 2 and rows[0].shape == (3,)
    product = np.ones(3, dtype="float32") * x
    assert product.shape == (2, 3)
    assert (x != 0.0).dtype == "bool"
    with pytest.raises(TypeError, match="unknown first dimension"):
        iter(keras.Input((3,)))
    assert x in [x] and x == x  # `==` stays identity


def test_contains_keras_tensor_sees_nested_arguments():
    x = keras.Input((3,))
    assert contains_keras_tensor(([1, (2, x)],), {})
    assert contains_keras_tensor((), {"a": {"b": x}})
    assert not contains_keras_tensor((torch.ones(2), [1, 2]), {"a": 3})


def test_op_layers_with_keyword_only_and_varargs():
    a, b = keras.Input((2, 3)), keras.Input((3, 4))
    out = ops.einsum("bij,bjk->bik", a, b)
    model = keras.Model([a, b], out)
    layer = model.layers[-1]
    assert layer.get_config()["function"] == "keras.ops.einsum"
    x, y = torch.randn(5, 2, 3), torch.randn(5, 3, 4)
    torch.testing.assert_close(_round_trip(model)(x, y), torch.einsum("bij,bjk->bik", x, y))


def test_op_layer_shape_inference_keeps_dtypes_and_unknown_dims():
    tokens = keras.Input((None,), dtype="int32")
    counted = ops.sum(ops.cast(ops.not_equal(tokens, 0), "int32"), axis=-1)
    assert counted.shape == (None,)
    assert counted.dtype == "int32"
    first = tokens[:, 0]
    assert first.shape == (None,) and first.dtype == "int32"


def test_reads_keras3_operation_nodes():
    def tensor(layer, shape=(None, 3)):
        return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}

    config = {
        "name": "functional",
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "input_layer"}, "name": "input_layer", "inbound_nodes": []},
            {"module": "keras.src.ops.numpy", "class_name": "Einsum", "config": {"name": "einsum", "subscripts": "bi,bj->bij"}, "name": "einsum", "inbound_nodes": [{"args": [tensor("input_layer"), tensor("input_layer")], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "Sum", "config": {"name": "sum", "axis": 1, "keepdims": False}, "name": "sum", "inbound_nodes": [{"args": [tensor("einsum", (None, 3, 3))], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "GetItem", "config": {"name": "get_item"}, "name": "get_item", "inbound_nodes": [{"args": [tensor("sum"), [{"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}, {"class_name": "__slice__", "config": {"start": 1, "stop": None, "step": None}}]], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "name": "multiply", "inbound_nodes": [{"args": [tensor("get_item", (None, 2)), 2.0], "kwargs": {}}]},
        ],
        "input_layers": [["input_layer", 0, 0]],
        "output_layers": [["multiply", 0, 0]],
    }
    model = keras.Model.from_config(config)
    x = torch.randn(4, 3)
    torch.testing.assert_close(model(x), (x * x.sum(1, keepdim=True))[:, 1:] * 2.0)
    einsum = model.get_layer("einsum")
    assert einsum.get_config()["arguments"] == {"subscripts": "bi,bj->bij"}
    torch.testing.assert_close(_round_trip(model)(x), model(x))
    with pytest.raises(ValueError, match="Keras 3 operation 'NoSuchOp'"):
        keras.Model.from_config({**config, "layers": config["layers"][:1] + [{"module": "keras.src.ops.numpy", "class_name": "NoSuchOp", "config": {}, "name": "x", "inbound_nodes": []}]})
