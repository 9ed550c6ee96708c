"""Keras 3's model-level state API: compile configs, switches, step functions, state trees."""

import warnings

import numpy as np
import pytest
import torch

import kerasish as keras


def _model():
    x = keras.Input((3,), name="x")
    return keras.Model(x, keras.layers.Dense(2, name="d")(x), name="m")


def test_compile_config_round_trip():
    model = _model()
    assert model.get_compile_config() == {}
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    config = model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    other = _model()
    other.compile_from_config(config)
    assert isinstance(other.optimizer, keras.optimizers.Adam)
    assert other.optimizer.learning_rate == pytest.approx(0.01)


def test_compile_from_config_skips_a_custom_compile():
    class Custom(keras.Model):
        def compile(self, **kwargs):
            raise AssertionError("not called")

    with pytest.warns(UserWarning, match="`compile\\(\\)` was not called"):
        Custom().compile_from_config({"loss": "mse"})


def test_jit_compile_and_run_eagerly_properties():
    model = _model()
    model.compile("sgd", "mse")
    assert model.jit_compile is False and model.run_eagerly is False
    model.compile("sgd", "mse", run_eagerly=True, jit_compile=True)
    assert model.jit_compile is True and model.run_eagerly is True
    model.jit_compile = False
    model.run_eagerly = False
    assert not model.jit_compile and not model.run_eagerly


def test_step_functions_run_one_step_on_the_first_batch():
    model = _model()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x, y = torch.rand(4, 3), torch.rand(4, 2)
    train = model.make_train_function()
    assert model.make_train_function() is train and model.train_function is train
    before = model.get_weights()[0].copy()
    logs = train([(x, y), (x, y)])
    assert "loss" in logs and not np.allclose(model.get_weights()[0], before)
    assert float(model.metrics[0].count.value) == 4  # one step: data[0] only, as Keras 3.15
    model.reset_metrics()
    logs = model.make_test_function()([(x, y)])
    with torch.no_grad():
        expected = float(((model(x) - y) ** 2).mean())
    assert float(logs["loss"]) == pytest.approx(expected, rel=1e-5)
    outputs = model.make_predict_function()([(x,)])
    torch.testing.assert_close(outputs, model(x))


def test_state_tree_round_trip():
    model = _model()
    model.compile("adam", "mse", metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    tree = model.get_state_tree("numpy_array")
    assert set(tree) == {"trainable_variables", "non_trainable_variables",
                         "optimizer_variables", "metrics_variables"}
    assert tree["trainable_variables"]["d"]["kernel"].shape == (3, 2)
    assert set(tree["optimizer_variables"]["adam"]) >= {"iteration", "d_kernel_momentum"}
    assert set(tree["metrics_variables"]["mae"]) == {"total", "count"}
    kernel = np.full((3, 2), 0.5, "float32")
    model.set_state_tree({"trainable_variables": {"d": {"kernel": kernel}},
                          "optimizer_variables": {"adam": {"d_kernel_momentum": kernel}}})
    np.testing.assert_array_equal(model.get_weights()[0], kernel)
    again = model.get_state_tree()
    assert isinstance(again["trainable_variables"]["d"]["kernel"], torch.Tensor)
    np.testing.assert_array_equal(again["optimizer_variables"]["adam"]["d_kernel_momentum"], kernel)
    with pytest.raises(ValueError, match="Unknown variable name: weights"):
        model.set_state_tree({"weights": {}})
    with pytest.raises(ValueError, match="Invalid `value_format`"):
        model.get_state_tree("list")


def test_quantization_layer_structure_is_none():
    with warnings.catch_warnings():
        assert _model().get_quantization_layer_structure("gptq") is None


def test_stateless_compute_loss_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="Model.stateless_compute_loss"):
        _model().stateless_compute_loss([], [], [], x=None)
