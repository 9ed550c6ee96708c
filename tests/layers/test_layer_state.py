"""Keras 3's per-layer state API: build configs, own-variable hooks, paths, stateless calls."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers.input_spec import InputSpec


class TwoShapes(keras.layers.Layer):
    def build(self, a_shape, b_shape):
        self.w = self.add_weight(shape=(a_shape[-1], b_shape[-1]), name="w")

    def call(self, a):
        return a


def test_add_variable_is_add_weight_with_shape_first():
    layer = keras.layers.Layer()
    w = layer.add_variable((2, 3), "ones", name="w", trainable=False)
    assert tuple(w.shape) == (2, 3) and torch.all(w == 1)
    assert [v.name for v in layer.non_trainable_weights] == ["w"]


def test_build_config_of_a_direct_build_and_a_multi_shape_build():
    dense = keras.layers.Dense(2)
    assert dense.get_build_config() is None and dense.path is None
    dense.build((None, 3))
    assert dense.built and dense.get_build_config() == {"input_shape": [None, 3]}
    two = TwoShapes()
    two.build((None, 3), (None, 4))
    config = two.get_build_config()
    assert config == {"shapes_dict": {"a_shape": [None, 3], "b_shape": [None, 4]}}
    rebuilt = TwoShapes()
    rebuilt.build_from_config(config)
    assert rebuilt.built and tuple(rebuilt.w.shape) == (3, 4)


def test_custom_build_config_round_trips_through_a_keras_file(tmp_path):
    @keras.saving.register_keras_serializable(package="layerapi_test")
    class Lazy(keras.layers.Layer):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

        def call(self, x):
            return x @ self.w

        def get_build_config(self):
            return {"features": self.w.shape[0]}

        def build_from_config(self, config):
            self.build((None, config["features"]))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    x = keras.Input((3,))
    model = keras.Model(x, Lazy(name="lazy")(x))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    data = np.random.rand(2, 3).astype("float32")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_save_own_variables_override_is_written_and_read(tmp_path):
    class Counter(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.count = 0

        def call(self, x):
            return x

        def save_own_variables(self, store):
            store["count"] = np.array(self.count)

        def load_own_variables(self, store):
            self.count = int(store["count"])

    def build():
        x = keras.Input((2,))
        return keras.Model(x, Counter(name="counter")(x))

    model = build()
    model.get_layer("counter").count = 7
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    other = build()
    other.load_weights(path)
    assert other.get_layer("counter").count == 7


def test_default_own_variables_store_round_trip_and_count_error():
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    store = {}
    dense.save_own_variables(store)
    assert sorted(store) == ["0", "1"] and store["0"].shape == (3, 2)
    other = keras.layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.get_weights()[0], store["0"])
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        other.load_own_variables({"0": store["0"]})


def test_path_nests_sublayers_built_inside_a_build():
    class Outer(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = keras.layers.Dense(2, name="inner")

        def build(self, input_shape):
            self.inner._maybe_build(input_shape)

        def call(self, x):
            return self.inner(x)

    outer = Outer(name="outer")
    outer(np.ones((1, 3), "float32"))
    assert outer.path == "outer" and outer.inner.path == "outer/inner"


def test_supports_masking_and_input_spec_as_class_attributes():
    class PassMask(keras.layers.Layer):
        supports_masking = True

    class Rank2(keras.layers.Layer):
        input_spec = InputSpec(ndim=2)

    assert PassMask().supports_masking
    x = keras.Input((4,))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        Rank2()(keras.Input((4, 5)))
    assert Rank2()(x).shape == (None, 4)


def test_stateless_call_leaves_the_layer_untouched():
    bn = keras.layers.BatchNormalization()
    data = np.random.rand(4, 3).astype("float32")
    bn(data)
    before = [w.copy() for w in bn.get_weights()]
    gamma = torch.full((3,), 2.0, requires_grad=True)
    beta = torch.zeros(3)
    moving = [torch.zeros(3), torch.ones(3)]
    out, updated = bn.stateless_call([gamma, beta], moving, data, training=True)
    out.sum().backward()
    assert gamma.grad is not None  # gradients reach the given values
    for w, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(w, b)
    np.testing.assert_array_equal(moving[0].numpy(), np.zeros(3))  # caller's tensors unchanged
    expected_mean = 0.01 * data.mean(axis=0)
    np.testing.assert_allclose(updated[0].detach().numpy(), expected_mean, rtol=1e-5, atol=1e-7)


def test_stateless_call_errors():
    dense = keras.layers.Dense(2)
    with pytest.raises(ValueError, match="must be built"):
        dense.stateless_call([], [], np.ones((1, 3)))
    dense.build((None, 3))
    with pytest.raises(ValueError, match="Received list with length 1, but expected 2"):
        dense.stateless_call([torch.zeros(3, 2)], [], np.ones((1, 3)))


def test_symbolic_call_gives_a_spec_without_a_node():
    dense = keras.layers.Dense(5)
    x = keras.Input((3,))
    dense(x)
    nodes = len(dense._inbound_nodes)
    spec = dense.symbolic_call(x)
    assert spec.shape == (None, 5) and len(dense._inbound_nodes) == nodes


def test_quantization_api_of_a_plain_layer():
    layer = keras.layers.Dropout(0.5)
    assert layer.quantization_mode is None
    with pytest.raises(NotImplementedError, match="does not have a `quantize` method"):
        layer.quantize("int8")
    with pytest.raises(NotImplementedError, match="does not have a `quantized_build` method"):
        layer.quantized_build((None, 2), "int8")
    with pytest.raises(NotImplementedError, match="Invalid quantization mode"):
        layer.quantized_call(torch.ones(1))
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    dense.quantize("int8")
    x = torch.ones(1, 3)
    assert dense.quantization_mode == "int8"
    torch.testing.assert_close(dense.quantized_call(x), dense(x))
