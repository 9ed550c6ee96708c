"""Keras 3's Layer state API side by side with real Keras 3 (torch backend)."""

import inspect
import json

import keras
import numpy as np
import pytest
import torch

import kerasish


def _listed(value):
    return json.loads(json.dumps(value))


def test_add_variable_signature_and_result():
    assert list(inspect.signature(kerasish.layers.Layer.add_variable).parameters) == list(
        inspect.signature(keras.Layer.add_variable).parameters
    )
    ours, theirs = kerasish.layers.Layer(), keras.Layer()
    w_ours = ours.add_variable((2, 3), "ones", trainable=False, name="w")
    w_theirs = theirs.add_variable((2, 3), "ones", trainable=False, name="w")
    np.testing.assert_array_equal(w_ours.numpy(), keras.ops.convert_to_numpy(w_theirs))
    assert [v.name for v in ours.non_trainable_weights] == [v.name for v in theirs.non_trainable_weights]


def _two_shapes(lib):
    class TwoShapes(lib.layers.Layer):
        def build(self, a_shape, b_shape):
            self.w = self.add_weight(shape=(a_shape[-1], b_shape[-1]), name="w")

        def call(self, a):
            return a

    return TwoShapes


@pytest.mark.parametrize("build_args", [((None, 3),), ((None, 3), (None, 4))])
def test_get_build_config_matches(build_args):
    if len(build_args) == 1:
        ours, theirs = kerasish.layers.Dense(2), keras.layers.Dense(2)
    else:
        ours, theirs = _two_shapes(kerasish)(), _two_shapes(keras)()
    assert ours.get_build_config() is None and theirs.get_build_config() is None
    ours.build(*build_args)
    theirs.build(*build_args)
    assert _listed(ours.get_build_config()) == _listed(theirs.get_build_config())
    rebuilt = type(ours)() if len(build_args) == 2 else kerasish.layers.Dense(2)
    rebuilt.build_from_config(_listed(theirs.get_build_config()))
    assert [w.shape for w in rebuilt.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]


def test_build_config_in_a_functional_model_matches():
    def model(lib):
        x = lib.Input((5,))
        return lib.Model(x, lib.layers.Dense(2, name="d")(x))

    assert _listed(model(kerasish).get_layer("d").get_build_config()) == _listed(
        model(keras).get_layer("d").get_build_config()
    )


def _counter(lib):
    @lib.saving.register_keras_serializable(package="layerapi_compat")
    class Counter(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.count = 0
            self.scale = None

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, x):
            return x * self.scale

        def save_own_variables(self, store):
            store["scale"] = np.asarray(keras.ops.convert_to_numpy(self.scale) if lib is keras
                                        else self.scale.detach().numpy())
            store["count"] = np.array(self.count)

        def load_own_variables(self, store):
            self.count = int(np.asarray(store["count"]))
            self.scale.assign(np.asarray(store["scale"])) if lib is keras else \
                self.scale.data.copy_(torch.as_tensor(np.asarray(store["scale"])))

    return Counter


def _counter_model(lib):
    x = lib.Input((3,))
    return lib.Model(x, _counter(lib)(name="counter")(x))


@pytest.mark.parametrize("direction", ["kerasish_to_keras", "keras_to_kerasish"])
def test_save_own_variables_override_crosses_over(tmp_path, direction):
    source_lib, target_lib = (kerasish, keras) if direction == "kerasish_to_keras" else (keras, kerasish)
    source = _counter_model(source_lib)
    source.get_layer("counter").count = 5
    scale = np.array([1.0, 2.0, 3.0], "float32")
    source.get_layer("counter").set_weights([scale])
    path = str(tmp_path / "c.weights.h5")
    source.save_weights(path)
    target = _counter_model(target_lib)
    target.load_weights(path)
    assert target.get_layer("counter").count == 5
    np.testing.assert_array_equal(target.get_layer("counter").get_weights()[0], scale)


def test_supports_masking_passes_the_mask_through_like_keras():
    def model(lib):
        class Twice(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, x):
                return x * 2.0

        x = lib.Input((4,), dtype="int32")
        h = Twice()(lib.layers.Embedding(10, 3, mask_zero=True)(x))
        return lib.Model(x, lib.layers.SimpleRNN(2)(h))

    theirs, ours = model(keras), model(kerasish)
    ours.set_weights(theirs.get_weights())
    data = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], "int32")
    np.testing.assert_allclose(ours.predict(data, verbose=0), theirs.predict(data, verbose=0),
                               atol=1e-5, rtol=0)


def test_input_spec_class_attribute_is_checked_like_keras():
    def rank2(lib):
        class Rank2(lib.layers.Layer):
            input_spec = lib.layers.InputSpec(ndim=2)

            def call(self, x):
                return x

        return Rank2()

    messages = []
    for lib in (keras, kerasish):
        with pytest.raises(ValueError) as info:
            rank2(lib)(lib.Input((4, 5)))
        messages.append(str(info.value).split("incompatible with the layer:")[1])
    assert messages[0] == messages[1]


def test_stateless_call_matches_keras():
    data = np.random.default_rng(0).random((4, 3)).astype("float32")
    gamma, beta = np.full(3, 2.0, "float32"), np.full(3, 0.5, "float32")
    moving = [np.full(3, 0.1, "float32"), np.full(3, 2.0, "float32")]
    results = []
    for lib in (keras, kerasish):
        bn = lib.layers.BatchNormalization()
        bn.build((None, 3))
        out, updated = bn.stateless_call(
            [torch.tensor(gamma), torch.tensor(beta)], [torch.tensor(m) for m in moving],
            torch.tensor(data), training=True,
        )
        results.append((out.detach().cpu().numpy(), [u.detach().cpu().numpy() for u in updated],
                        bn.get_weights()))
    (k_out, k_new, k_weights), (o_out, o_new, o_weights) = results
    np.testing.assert_allclose(o_out, k_out, atol=1e-5, rtol=0)
    for a, b in zip(o_new, k_new):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    for a, b in zip(o_weights, k_weights):  # both layers untouched
        np.testing.assert_array_equal(a, b)


def test_symbolic_call_and_path_in_a_name_scope():
    specs, paths = [], []
    for lib in (keras, kerasish):
        with lib.name_scope("outer"):
            dense = lib.layers.Dense(4, name="d")
            dense.build((None, 3))
        paths.append(dense.path)
        specs.append(tuple(dense.symbolic_call(lib.Input((3,))).shape))
    assert paths[0] == paths[1] == "outer/d"
    assert specs[0] == specs[1]


def test_stateless_scope_matches_keras():
    kernel = np.arange(6, dtype="float32").reshape(3, 2)
    data = np.ones((1, 3), "float32")
    outputs = []
    for lib in (keras, kerasish):
        dense = lib.layers.Dense(2, use_bias=False)
        dense.build((None, 3))
        with lib.StatelessScope(state_mapping=[(dense.kernel if lib is keras else dense.weights[0],
                                                torch.tensor(kernel))]):
            outputs.append(keras.ops.convert_to_numpy(dense(torch.tensor(data))))
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-6)


@pytest.mark.parametrize("mode", ["full", "activations", "larger_than"])
def test_remat_scope_outputs_and_gradients_match_keras(mode):
    def model(lib):
        with lib.RematScope(mode=mode, output_size_threshold=4):
            x = lib.Input((5,))
            h = lib.layers.Dense(6, activation="tanh")(x)
            return lib.Model(x, lib.layers.Dense(2)(h))

    theirs, ours = model(keras), model(kerasish)
    ours.set_weights(theirs.get_weights())
    data = torch.tensor(np.random.default_rng(1).random((3, 5)).astype("float32"))
    grads = []
    for m, params in ((theirs, lambda: [v.value for v in theirs.trainable_variables]),
                      (ours, lambda: [v.tensor for v in ours.trainable_weights])):
        out = m(data, training=True)
        tensors = params()
        grads.append([g.detach().cpu().numpy() for g in torch.autograd.grad(out.sum(), tensors)])
    for (k_g, o_g, var) in zip(grads[0], grads[1], ours.trainable_weights):
        if var._layout:  # torch-layout gradient of a Keras-layout weight
            o_g = var._layout.to_keras(torch.tensor(o_g)).numpy()
        np.testing.assert_allclose(o_g, k_g, atol=1e-5, rtol=0)
