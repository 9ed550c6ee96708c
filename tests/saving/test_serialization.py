import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import activations, constraints, initializers, regularizers
from kerasish.saving import registry
from kerasish.saving.serialization import (
    SafeModeScope,
    deserialize_keras_object,
    func_dump,
    serialize_keras_object,
)

L = keras.layers


def test_builtin_objects_serialize_with_keras_modules_and_round_trip():
    init = initializers.HeNormal(seed=3)
    config = serialize_keras_object(init)
    assert config == {
        "module": "keras.initializers",
        "class_name": "HeNormal",
        "config": {"seed": 3},
        "registered_name": None,
    }
    assert isinstance(deserialize_keras_object(config), initializers.HeNormal)
    reg = deserialize_keras_object(serialize_keras_object(regularizers.L2(0.5)))
    assert isinstance(reg, regularizers.L2) and reg.l2 == 0.5
    con = deserialize_keras_object(serialize_keras_object(constraints.MaxNorm(3.0)))
    assert isinstance(con, constraints.MaxNorm) and con.max_value == 3.0


def test_layer_serializes_in_keras3_schema_and_round_trips():
    layer = L.Dense(3, activation="relu", name="d")
    layer.build((None, 4))
    config = serialize_keras_object(layer)
    assert config["module"] == "keras.layers" and config["class_name"] == "Dense"
    assert config["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert config["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert "batch_input_shape" not in config["config"]
    rebuilt = deserialize_keras_object(config)
    assert isinstance(rebuilt, L.Dense) and rebuilt.units == 3 and rebuilt.name == "d"


def test_build_config_builds_a_standalone_layer():
    config = {
        "module": "keras.layers", "class_name": "Dense", "registered_name": None,
        "config": {"units": 2, "name": "built"},
        "build_config": {"input_shape": [None, 5]},
    }
    layer = deserialize_keras_object(config)
    assert layer.built and layer.kernel.shape == (5, 2)


def test_keras3_function_and_special_entries():
    assert deserialize_keras_object(
        {"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"}
    ) is activations.relu
    array = deserialize_keras_object({"class_name": "__numpy__", "config": {"value": [1, 2], "dtype": "int32"}})
    assert array.dtype == np.int32 and array.tolist() == [1, 2]
    assert deserialize_keras_object({"class_name": "__bytes__", "config": {"value": "ab"}}) == b"ab"
    tensor = deserialize_keras_object(serialize_keras_object(torch.tensor([1.5, 2.0])))
    assert torch.equal(tensor, torch.tensor([1.5, 2.0]))
    assert deserialize_keras_object(serialize_keras_object(slice(1, None, 2))) == slice(1, None, 2)
    assert deserialize_keras_object(
        {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    ) == "float32"


def test_lambda_needs_safe_mode_off():
    config = serialize_keras_object(lambda x: x * 3)
    assert config["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        deserialize_keras_object(config)
    fn = deserialize_keras_object(config, safe_mode=False)
    assert fn(2) == 6
    with SafeModeScope(True), pytest.raises(ValueError, match="safe_mode=False"):
        deserialize_keras_object(config, safe_mode=False)  # an enclosing scope wins, as in Keras


def test_func_dump_round_trips_closures():
    offset = 5

    def shifted(x, scale=2):
        return x * scale + offset

    fn = deserialize_keras_object({"class_name": "__lambda__", "config": {"value": func_dump(shifted)}}, safe_mode=False)
    assert fn(1) == 7


def test_register_keras_serializable_and_lookups():
    @registry.register_keras_serializable(package="pkgA", name="Twice")
    class Twice(L.Layer):
        def call(self, x):
            return x * 2

    assert registry.get_registered_name(Twice) == "pkgA>Twice"
    assert registry.get_registered_object("pkgA>Twice") is Twice
    assert keras.saving.get_custom_objects()["pkgA>Twice"] is Twice
    config = serialize_keras_object(Twice(name="t"))
    assert config["registered_name"] == "pkgA>Twice" and config["module"] == __name__
    assert isinstance(deserialize_keras_object(config), Twice)
    # tf.keras files name registered classes by bare or "Custom>" prefixed names.
    assert registry.get_registered_object("Twice") is Twice


def test_register_rejects_classes_without_get_config():
    class NoConfig:
        pass

    with pytest.raises(ValueError, match="get_config"):
        registry.register_keras_serializable()(NoConfig)


def test_unregistered_custom_class_is_not_found_by_name():
    class NeverRegisteredLayer(L.Layer):
        pass

    with pytest.raises(TypeError, match="Could not locate class 'NeverRegisteredLayer'"):
        deserialize_keras_object({"module": "mine", "class_name": "NeverRegisteredLayer", "config": {}, "registered_name": None})
    with pytest.raises(ValueError, match="Unknown object: 'NeverRegisteredLayer'"):
        deserialize_keras_object({"class_name": "NeverRegisteredLayer", "config": {}})
    found = deserialize_keras_object(
        {"class_name": "NeverRegisteredLayer", "config": {"name": "n"}},
        custom_objects={"NeverRegisteredLayer": NeverRegisteredLayer},
    )
    assert isinstance(found, NeverRegisteredLayer)


def test_custom_object_scope_nesting_replaces_like_keras3():
    class ScopedA(L.Layer):
        pass

    class ScopedB(L.Layer):
        pass

    with keras.saving.custom_object_scope({"ScopedA": ScopedA}):
        assert registry.get_registered_object("ScopedA") is ScopedA
        with keras.saving.CustomObjectScope({"ScopedB": ScopedB}):
            assert registry.get_registered_object("ScopedB") is ScopedB
            assert registry.get_registered_object("ScopedA") is None
        assert registry.get_registered_object("ScopedA") is ScopedA
    assert registry.get_registered_object("ScopedA") is None


def test_custom_activation_regularizer_initializer_found_through_scope():
    def swishy(x):
        return x * torch.sigmoid(x)

    class Tiny(regularizers.Regularizer):
        def __init__(self, factor=0.1):
            self.factor = factor

        def __call__(self, x):
            return self.factor * x.sum()

        def get_config(self):
            return {"factor": self.factor}

    config = {
        "class_name": "Dense",
        "config": {
            "units": 2, "activation": "swishy",
            "kernel_regularizer": {"class_name": "Tiny", "config": {"factor": 0.3}},
        },
    }
    with pytest.raises(ValueError, match="swishy"):
        deserialize_keras_object(config)
    layer = deserialize_keras_object(config, custom_objects={"swishy": swishy, "Tiny": Tiny})
    assert layer.activation is swishy
    assert isinstance(layer.kernel_regularizer, Tiny) and layer.kernel_regularizer.factor == 0.3


def test_module_objects_legacy_signature():
    fn = deserialize_keras_object("tanh", module_objects={"tanh": activations.tanh})
    assert fn is activations.tanh
    assert deserialize_keras_object("not_there", module_objects={}) == "not_there"


def test_serialize_rejects_objects_without_config():
    with pytest.raises(TypeError, match="get_config"):
        serialize_keras_object(object())
