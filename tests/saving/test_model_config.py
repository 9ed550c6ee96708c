import json

import numpy as np
import pytest

import kerasish as keras
from kerasish.saving.model_config import deserialize_layer, serialize_layer

L = keras.layers


def _nested_called_twice():
    inner_in = keras.Input(shape=(3,), name="inner_in")
    inner = keras.Model(inner_in, L.Dense(2, name="inner_dense")(inner_in), name="inner")
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    return keras.Model([a, b], [inner(a), inner(b)], name="outer")


def test_written_config_uses_tf_keras_schema_and_numbering():
    config = _nested_called_twice().get_config()
    by_name = {entry["name"]: entry for entry in config["layers"]}
    # A nested model's calls are numbered from 1, as tf.keras writes them.
    assert by_name["inner"]["inbound_nodes"] == [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["inner", 1, 0], ["inner", 2, 0]]
    assert by_name["inner"]["class_name"] == "Functional"
    assert by_name["a"]["config"]["batch_input_shape"] == (None, 3)


def test_round_trip_through_json_keeps_predictions():
    model = _nested_called_twice()
    clone = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = [np.random.rand(2, 3), np.random.rand(2, 3)]
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want)


def test_reads_keras2_model_class_name_and_single_input_triple():
    config = {
        "name": "m",
        "layers": [
            {"class_name": "InputLayer", "name": "i", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "i"}},
            {"class_name": "Dense", "name": "d", "inbound_nodes": [[["i", 0, 0, {}]]],
             "config": {"name": "d", "units": 2, "activation": "relu",
                        "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                            "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}}},
        ],
        "input_layers": ["i", 0, 0],
        "output_layers": [["d", 0, 0]],
    }
    wrapped = deserialize_layer({"class_name": "Model", "config": config})
    assert wrapped.output_shape == (None, 2)
    assert wrapped.get_layer("d").get_config()["activation"] == "relu"


def test_unknown_layer_and_disconnected_config_errors():
    with pytest.raises(ValueError, match="Unknown layer: 'Mystery'"):
        deserialize_layer({"class_name": "Mystery", "config": {}})
    config = {
        "name": "m",
        "layers": [
            {"class_name": "InputLayer", "name": "i", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "name": "i"}},
            {"class_name": "Dense", "name": "d", "inbound_nodes": [[["ghost", 0, 0, {}]]],
             "config": {"name": "d", "units": 2}},
        ],
        "input_layers": [["i", 0, 0]],
        "output_layers": [["d", 0, 0]],
    }
    with pytest.raises(ValueError, match="unknown layer 'ghost'"):
        keras.Model.from_config(config)


def test_custom_objects_resolve_custom_layers():
    class Doubler(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2

    layer = Doubler(name="twice")
    rebuilt = deserialize_layer(serialize_layer(layer), custom_objects={"Doubler": Doubler})
    assert isinstance(rebuilt, Doubler) and rebuilt.name == "twice"


def test_sequential_as_a_bare_list_of_layer_configs():
    """Keras 1 and Keras 2 before 2.2.3 wrote a Sequential's config as a list of layers."""
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d1", "units": 3, "batch_input_shape": [None, 4]}},
        {"class_name": "Dense", "config": {"name": "d2", "units": 1}},
    ]}
    model = keras.models.model_from_config(config)
    assert [layer.name for layer in model.layers] == ["d1", "d2"]
    assert model.output_shape == (None, 1)
