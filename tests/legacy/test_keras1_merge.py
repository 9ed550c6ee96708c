"""Keras 1's ``Merge``/``merge`` in scripts and configs (no real Keras needed)."""

import warnings

import numpy as np
import pytest
import torch

import kerasish
from kerasish import layers as L
from kerasish.legacy.interfaces import Keras2APIWarning


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Keras2APIWarning)
        yield


def _inputs():
    return L.Input((3,)), L.Input((3,))


@pytest.mark.parametrize(
    "mode, cls, reference",
    [
        ("sum", L.Add, lambda a, b: a + b),
        ("mul", L.Multiply, lambda a, b: a * b),
        ("ave", L.Average, lambda a, b: (a + b) / 2),
        ("max", L.Maximum, np.maximum),
        ("concat", L.Concatenate, lambda a, b: np.concatenate([a, b], -1)),
        ("dot", L.Dot, lambda a, b: np.sum(a * b, 1, keepdims=True)),
    ],
)
def test_functional_merge_modes(mode, cls, reference):
    a, b = _inputs()
    out = L.merge([a, b], mode=mode)
    assert isinstance(out._keras_history.layer, cls)
    model = kerasish.Model([a, b], out)
    x, y = np.random.rand(4, 3).astype("float32"), np.random.rand(4, 3).astype("float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), reference(x, y), atol=1e-6)


def test_merge_warns_like_keras_2_1():
    a, b = _inputs()
    with pytest.warns(Keras2APIWarning, match="The `merge` function is deprecated"):
        L.merge([a, b])
    with pytest.warns(UserWarning, match="The `Merge` layer is deprecated"):
        L.Merge(mode="sum")


def test_default_names_are_keras1s():
    first, second = L.Merge(mode="sum"), L.Merge(mode="concat")
    assert first.name.startswith("merge_") and second.name.startswith("merge_")
    assert first.name != second.name
    assert isinstance(first, L.Merge) and not isinstance(L.Add(), L.Merge)


def test_cos_mode_is_cosine_proximity():
    a, b = _inputs()
    model = kerasish.Model([a, b], L.merge([a, b], mode="cos"))
    x = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]], "float32")
    y = np.array([[0.0, 2.0, 0.0], [2.0, 2.0, 0.0]], "float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), [[0.0], [1.0]], atol=1e-6)


def test_unconnected_merge_is_called_on_a_list():
    merge = L.Merge(mode="concat", concat_axis=1, name="m")
    a, b = _inputs()
    assert tuple(merge([a, b]).shape) == (None, 6)
    eager = merge([torch.ones(2, 3), torch.zeros(2, 3)])
    assert tuple(eager.shape) == (2, 6)


def test_callable_mode_in_scripts_runs_as_lambda():
    a, b = _inputs()
    out = L.merge([a, b], mode=lambda xs, scale: (xs[0] - xs[1]) * scale, output_shape=(3,),
                  arguments={"scale": 2.0})
    model = kerasish.Model([a, b], out)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(model.predict([x, 3 * x], verbose=0), -4 * x)


def test_sequential_with_merged_branches():
    left = kerasish.Sequential([L.Dense(4, input_dim=3, name="l1"), L.Dense(2, name="l2")])
    right = kerasish.Sequential([L.Dense(2, input_dim=5, name="r1")])
    model = kerasish.Sequential()
    model.add(L.Merge([left, right], mode="concat", name="m"))
    model.add(L.Dense(1, name="out"))
    assert [layer.name for layer in model.layers] == ["m", "out"]
    assert [layer.name for layer in model.keras1_flattened_layers()] == ["l1", "l2", "r1", "out"]
    assert len(model.weights) == 8
    assert model.get_layer("r1") is right.layers[0]
    x, y = np.random.rand(3, 3).astype("float32"), np.random.rand(3, 5).astype("float32")
    expected = np.concatenate([left.predict(x, verbose=0), right.predict(y, verbose=0)], -1)
    expected = expected @ model.get_layer("out").get_weights()[0] + model.get_layer("out").get_weights()[1]
    np.testing.assert_allclose(model.predict([x, y], verbose=0), expected, atol=1e-5)
    model.compile("sgd", "mse")
    model.fit([x, y], np.zeros((3, 1)), epochs=1, verbose=0)
    model.pop()
    assert [layer.name for layer in model.layers] == ["m"]
    with pytest.raises(TypeError, match="cannot be popped"):
        model.pop()
    with pytest.raises(NotImplementedError, match="Keras 1 `Merge`"):
        model.get_config()


def test_node_and_tensor_indices():
    shared = L.Dense(3, name="shared")
    a, b = _inputs()
    shared(a)
    shared(b)
    merged = L.Merge([shared, shared], mode="sum", node_indices=[0, 1], name="m")
    inputs = merged._inbound_nodes[0].keras_inputs
    assert inputs[0] is shared.get_output_at(0) and inputs[1] is shared.get_output_at(1)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda a, b: L.merge([a, b], mode="minus"), ValueError, "Invalid merge mode: minus"),
        (lambda a, b: L.merge([a], mode="sum"), TypeError, "at least 2 elements"),
        (lambda a, b: L.merge([a, L.Input((4,))], mode="sum"), ValueError, "Only layers of same output shape can be merged using sum mode"),
        (lambda a, b: L.merge([a, b, a], mode="dot"), ValueError, "dot merge takes exactly 2 layers"),
        (lambda a, b: L.merge([a, L.Input((4,))], mode="dot"), ValueError, "Dimension incompatibility using dot mode: 3 != 4"),
        (lambda a, b: L.merge([a, L.Input((2, 4))], mode="concat"), ValueError, '"concat" mode can only merge'),
        (lambda a, b: L.merge([a, b], mode="cos", dot_axes="x"), TypeError, "Invalid type for dot_axes"),
        (lambda a, b: L.merge(a, mode="sum"), TypeError, "not a single tensor"),
        (lambda a, b: L.merge([L.Input((2, 3)), L.Input((2, 3))], mode="cos"), NotImplementedError, "mode='cos'"),
        (lambda a, b: L.merge([a, b], output_mask=lambda m: m), NotImplementedError, "output_mask"),
        (lambda a, b: L.merge([a, b], mode="sum", output_shape=(3,)), ValueError, "only used with a callable"),
    ],
)
def test_keras1_errors(call, error, message):
    a, b = _inputs()
    with pytest.raises(error, match=message):
        call(a, b)


def test_callable_modes_in_configs_are_refused():
    config = {"class_name": "Merge", "config": {
        "name": "merge_1", "mode": ["bytecode", None, None], "mode_type": "lambda",
        "concat_axis": -1, "dot_axes": -1, "output_shape": None, "output_shape_type": "raw",
        "output_mask": None, "output_mask_type": "raw", "arguments": {}}}
    with pytest.raises(NotImplementedError, match="marshalled bytecode"):
        kerasish.layers.deserialize(config)


def test_functional_config_merge_maps_to_merge_layers():
    config = {"class_name": "Model", "config": {
        "name": "model_1",
        "layers": [
            {"name": "a", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "a"}, "inbound_nodes": []},
            {"name": "b", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "b"}, "inbound_nodes": []},
            {"name": "merge_1", "class_name": "Merge", "config": {
                "name": "merge_1", "mode": "concat", "mode_type": "raw", "concat_axis": 1, "dot_axes": -1,
                "output_shape": None, "output_shape_type": "raw", "output_mask": None,
                "output_mask_type": "raw", "arguments": {}},
             "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]]},
        ],
        "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["merge_1", 0, 0]]}}
    model = kerasish.models.model_from_config(config)
    assert isinstance(model.get_layer("merge_1"), L.Concatenate)
    assert model.get_layer("merge_1").axis == 1
    # Saved back in tf.keras' schema, as a Concatenate.
    assert model.get_config()["layers"][2]["class_name"] == "Concatenate"
