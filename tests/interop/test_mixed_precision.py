"""Mixed precision: dtype policies, the compute dtype of calls and outputs, loss scaling."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import mixed_precision
from kerasish.mixed_precision import DTypePolicy, LossScaleOptimizer, Policy

# ------------------------------------------------------------------- policies


@pytest.mark.parametrize(
    "name, compute, variable",
    [
        ("mixed_float16", "float16", "float32"),
        ("mixed_bfloat16", "bfloat16", "float32"),
        ("float32", "float32", "float32"),
        ("float64", "float64", "float64"),
        ("bfloat16", "bfloat16", "bfloat16"),
        ("int32", "int32", "int32"),
    ],
)
def test_policy_dtypes(name, compute, variable):
    policy = DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)


def test_policy_identity():
    assert Policy is DTypePolicy
    assert DTypePolicy("mixed_float16") == Policy("mixed_float16")
    assert DTypePolicy("mixed_float16") != DTypePolicy("float32")
    assert DTypePolicy("mixed_float16") != "mixed_float16"
    assert repr(DTypePolicy("mixed_bfloat16")) == '<DTypePolicy "mixed_bfloat16">'
    assert DTypePolicy("mixed_float16").get_config() == {"name": "mixed_float16"}
    assert DTypePolicy.from_config({"name": "float16"}) == DTypePolicy("float16")


def test_invalid_policies_are_named():
    with pytest.raises(ValueError, match="Cannot convert 'mixed_foo' to a mixed precision"):
        DTypePolicy("mixed_foo")
    with pytest.raises(TypeError, match="'name' must be a string"):
        DTypePolicy(3)
    with pytest.raises(ValueError, match="Invalid `policy` argument.*policy=3"):
        mixed_precision.set_global_policy(3)
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        keras.layers.Dense(2, dtype={"class_name": "Adam", "config": {}})


def test_global_policy_follows_floatx_until_set():
    assert mixed_precision.global_policy() == DTypePolicy("float32")
    keras.backend.set_floatx("float64")
    try:
        assert mixed_precision.global_policy().name == "float64"
        assert keras.layers.Dense(2).compute_dtype == "float64"
    finally:
        keras.backend.set_floatx("float32")
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy() == DTypePolicy("mixed_float16")
    assert keras.config.dtype_policy() == DTypePolicy("mixed_float16")
    assert mixed_precision.dtype_policy is mixed_precision.global_policy
    mixed_precision.set_global_policy(DTypePolicy("float32"))
    assert mixed_precision.global_policy().name == "float32"


def test_layers_take_the_global_policy_unless_given_one():
    mixed_precision.set_global_policy("mixed_bfloat16")
    dense = keras.layers.Dense(2)
    assert dense.dtype_policy == DTypePolicy("mixed_bfloat16")
    assert (dense.dtype, dense.variable_dtype, dense.compute_dtype) == (
        "float32",
        "float32",
        "bfloat16",
    )
    assert keras.layers.Dense(2, dtype="float32").compute_dtype == "float32"
    assert keras.layers.Dense(2, dtype=Policy("mixed_float16")).compute_dtype == "float16"
    # Inputs stay float32, as in Keras.
    assert keras.Input((3,)).dtype == "float32"


def test_policy_setter():
    dense = keras.layers.Dense(2)
    dense.dtype_policy = "mixed_bfloat16"
    assert dense.compute_dtype == "bfloat16"


def test_configs_write_tf_keras_policies_and_read_keras_3_ones():
    dense = keras.layers.Dense(2, dtype="mixed_float16")
    assert dense.get_config()["dtype"] == {"class_name": "Policy", "config": {"name": "mixed_float16"}}
    assert keras.layers.Dense.from_config(dense.get_config()).compute_dtype == "float16"
    assert keras.layers.Dense(2).get_config()["dtype"] == "float32"
    keras3 = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}}
    assert keras.layers.Dense(2, dtype=keras3).dtype_policy == DTypePolicy("mixed_bfloat16")


# ------------------------------------------------------------ computing


def _mlp(head_dtype=None) -> keras.Model:
    inputs = keras.Input((8,))
    x = keras.layers.Dense(16, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    outputs = keras.layers.Dense(3, activation="softmax", dtype=head_dtype)(x)
    return keras.Model(inputs, outputs)


def test_mixed_layers_keep_float32_weights_and_compute_in_bfloat16():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp()
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(v.dtype == "float32" for v in model.weights)
    assert model.output.dtype == "bfloat16"
    x = torch.rand(4, 8)
    assert model(x).dtype == torch.bfloat16
    assert model.layers[1](x).dtype == torch.bfloat16


def test_a_float32_head_outputs_float32():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp(head_dtype="float32")
    assert model.output.dtype == "float32"
    assert model(torch.rand(4, 8)).dtype == torch.float32


def test_mixed_outputs_are_close_to_float32_outputs():
    float_model = _mlp()
    keras.backend.clear_session()
    mixed_precision.set_global_policy("mixed_bfloat16")
    mixed_model = _mlp()
    mixed_model.load_state_dict(float_model.state_dict())
    x = torch.rand(16, 8)
    torch.testing.assert_close(mixed_model(x).float(), float_model(x), atol=2e-2, rtol=2e-2)


def test_predict_returns_bfloat16_arrays_as_keras_does():
    mixed_precision.set_global_policy("mixed_bfloat16")
    result = _mlp().predict(np.random.default_rng(0).random((5, 8), dtype=np.float32), verbose=0)
    # Keras returns ml_dtypes' bfloat16 arrays; without ml_dtypes numpy has no bfloat16.
    expected = "bfloat16" if importlib.util.find_spec("ml_dtypes") else "float32"
    assert result.dtype.name == expected
    assert result.shape == (5, 3)


def test_shape_inference_of_a_custom_layer_reports_the_compute_dtype():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.scale

    mixed_precision.set_global_policy("mixed_float16")
    layer = Scale()
    out = layer(keras.Input((None, 3)))
    assert (out.shape, out.dtype) == ((None, None, 3), "float16")
    assert layer.scale.dtype == torch.float32
    assert layer(torch.ones(2, 4, 3)).dtype == torch.float16


def test_a_float32_sublayer_turns_autocast_off_inside_a_mixed_layer():
    seen = {}

    class Probe(keras.layers.Layer):
        def call(self, inputs):
            seen["dtype"] = inputs.dtype
            seen["autocast"] = torch.is_autocast_enabled("cpu")
            return inputs @ inputs.transpose(-1, -2)

    class Outer(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe = Probe(dtype="float32")

        def call(self, inputs):
            seen["outer_autocast"] = torch.is_autocast_enabled("cpu")
            return self.probe(inputs)

    out = Outer(dtype="mixed_bfloat16")(torch.rand(2, 3))
    assert seen == {"outer_autocast": True, "dtype": torch.float32, "autocast": False}
    assert out.dtype == torch.bfloat16  # the outer layer's compute dtype


def test_a_users_autocast_still_applies_to_float32_models():
    mixed_precision.set_global_policy("mixed_bfloat16")
    keras.layers.Dense(1)  # a mixed layer exists in the process
    mixed_precision.set_global_policy("float32")
    model = _mlp()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(torch.rand(4, 8)).dtype == torch.bfloat16


def test_float32_layers_cast_nothing_unless_their_graph_says_so():
    """Casting depends on the model, not on whether mixed layers exist elsewhere."""
    keras.layers.Dense(1, dtype="mixed_bfloat16")
    model = _mlp()
    model.to(torch.float64)  # torch's way to run a module in float64 keeps working
    assert model(torch.rand(2, 8, dtype=torch.float64)).dtype == torch.float64
    assert not any(layer._casts_inputs for layer in model.layers)
    # A float32 layer fed float16 by the graph casts, as Keras does.
    inputs = keras.Input((8,), dtype="float16")
    dense = keras.layers.Dense(2)
    assert keras.Model(inputs, dense(inputs))(torch.rand(2, 8).half()).dtype == torch.float32
    assert dense._casts_inputs


def test_integer_inputs_are_not_cast():
    mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = keras.Input((5,), dtype="int64")
    embedded = keras.layers.Embedding(10, 4)(inputs)
    model = keras.Model(inputs, keras.layers.LSTM(3)(embedded))
    assert embedded.dtype == "bfloat16"
    assert model(torch.randint(0, 10, (2, 5))).dtype == torch.bfloat16


def test_mixed_model_compiles_as_one_graph_and_exports():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp()
    x = torch.rand(4, 8)
    expected = model(x)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0
    exported = torch.export.export(model, (x,)).module()(x)
    assert exported.dtype == torch.bfloat16
    torch.testing.assert_close(exported, expected)


def test_fit_under_mixed_bfloat16_trains_float32_weights():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp(head_dtype="float32")
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    assert not isinstance(model.optimizer, LossScaleOptimizer)  # only float16 needs scaling
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8), dtype=np.float32), rng.integers(0, 3, 64)
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(p.dtype == torch.float32 for p in model.parameters())


# --------------------------------------------------------------- loss scaling


def test_compile_wraps_the_optimizer_under_mixed_float16():
    mixed_precision.set_global_policy("mixed_float16")
    model = _mlp(head_dtype="float32")
    model.compile("sgd", "mse")
    assert isinstance(model.optimizer, LossScaleOptimizer)
    assert type(model.optimizer.inner_optimizer).__name__ == "SGD"
    assert model.optimizer.name == "loss_scale_optimizer"
    model.compile("sgd", "mse", auto_scale_loss=False)
    assert not isinstance(model.optimizer, LossScaleOptimizer)


def test_fit_under_mixed_float16_scales_the_loss():
    mixed_precision.set_global_policy("mixed_float16")
    model = _mlp(head_dtype="float32")
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8), dtype=np.float32), rng.integers(0, 3, 64)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    optimizer = model.optimizer
    # Every skipped step halved the scale (growth needs 2000 steps): applied + skipped = 12.
    skipped = int(round(np.log2(optimizer.initial_scale / float(optimizer.dynamic_scale))))
    assert int(optimizer.iterations) + skipped == 12
    assert int(optimizer.iterations) > 0


def test_loss_scale_optimizer_unscales_skips_and_grows():
    variable = torch.nn.Parameter(torch.ones(2))
    optimizer = LossScaleOptimizer(
        keras.optimizers.SGD(0.5), initial_scale=8.0, dynamic_growth_steps=2
    )
    assert float(optimizer.scale_loss(torch.tensor(1.0))) == 8.0
    optimizer.apply([torch.full((2,), 8.0)], [variable])  # unscaled gradient: 1
    torch.testing.assert_close(variable.detach(), torch.full((2,), 0.5))
    assert (int(optimizer.step_counter), float(optimizer.dynamic_scale)) == (1, 8.0)
    optimizer.apply([torch.full((2,), 8.0)], [variable])  # second finite step: scale doubles
    assert (int(optimizer.step_counter), float(optimizer.dynamic_scale)) == (0, 16.0)
    torch.testing.assert_close(variable.detach(), torch.zeros(2))
    optimizer.apply([torch.tensor([1.0, float("inf")])], [variable])  # skipped, halved
    torch.testing.assert_close(variable.detach(), torch.zeros(2))
    assert (int(optimizer.step_counter), float(optimizer.dynamic_scale)) == (0, 8.0)
    assert int(optimizer.iterations) == 2
    assert float(optimizer.scale_loss(torch.tensor(2.0))) == 16.0


def test_loss_scale_optimizer_config_and_arguments():
    optimizer = LossScaleOptimizer(keras.optimizers.Adam(1e-3), initial_scale=4.0)
    config = optimizer.get_config()
    assert config["initial_scale"] == 4.0 and config["dynamic_growth_steps"] == 2000
    restored = LossScaleOptimizer.from_config(config)
    assert type(restored.inner_optimizer).__name__ == "Adam"
    assert restored.learning_rate == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        LossScaleOptimizer(keras.optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="no longer supports `dynamic=False`"):
        LossScaleOptimizer(keras.optimizers.SGD(), dynamic=False)


def test_loss_scale_optimizer_serializes_like_any_optimizer():
    assert keras.optimizers.LossScaleOptimizer is LossScaleOptimizer
    optimizer = LossScaleOptimizer(keras.optimizers.SGD(0.2), initial_scale=16.0)
    config = keras.optimizers.serialize(optimizer)
    assert (config["module"], config["class_name"]) == ("keras.optimizers", "LossScaleOptimizer")
    assert config["config"]["inner_optimizer"]["class_name"] == "SGD"
    restored = keras.optimizers.deserialize(config)
    assert isinstance(restored, LossScaleOptimizer) and restored.initial_scale == 16.0
    assert restored.learning_rate == pytest.approx(0.2)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        keras.optimizers.get("LossScaleOptimizer")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_compiled_mixed_float16_model_saves_and_loads(tmp_path, suffix):
    mixed_precision.set_global_policy("mixed_float16")
    model = _mlp(head_dtype="float32")
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 8), dtype=np.float32), rng.integers(0, 3, 16)
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / f"model{suffix}")
    model.save(path)
    mixed_precision.set_global_policy(None)
    restored = keras.models.load_model(path)
    assert isinstance(restored.optimizer, LossScaleOptimizer)
    assert [layer.dtype_policy.name for layer in restored.layers[1:]] == [
        "mixed_float16",
        "mixed_float16",
        "float32",
    ]
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mixed_float16_fit_on_cuda_scales_the_loss():
    keras.config.set_device("cuda")
    mixed_precision.set_global_policy("mixed_float16")
    model = _mlp(head_dtype="float32")
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8), dtype=np.float32), rng.integers(0, 3, 64)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert all(p.device.type == "cuda" and p.dtype == torch.float32 for p in model.parameters())
    assert model.optimizer.dynamic_scale.device.type == "cuda"
    assert model(torch.rand(2, 8, device="cuda")).dtype == torch.float32
    assert model.layers[1](torch.rand(2, 8, device="cuda")).dtype == torch.float16
