"""TorchModuleWrapper: a torch.nn.Module as a Keras layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import TorchModuleWrapper


def _linear_bn() -> torch.nn.Module:
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    module[0].bias.requires_grad_(False)  # frozen before wrapping: a non-trainable weight
    return module


def _model(module: torch.nn.Module) -> keras.Model:
    inputs = keras.Input((4,))
    wrapped = TorchModuleWrapper(module, name="wrapped")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(wrapped))


def test_symbolic_output_shape_is_inferred_without_output_shape():
    conv = TorchModuleWrapper(torch.nn.Conv2d(3, 5, 3, stride=2))
    outputs = conv(keras.Input((3, 9, None)))
    assert outputs.shape == (None, 5, 4, None)
    assert outputs.dtype == "float32"


def test_multiple_inputs_and_keyword_arguments():
    class Scale(torch.nn.Module):
        def forward(self, x, y, factor=1.0):
            return (x + y) * factor

    a, b = keras.Input((3,)), keras.Input((3,))
    out = TorchModuleWrapper(Scale())(a, b, factor=2.0)
    model = keras.Model([a, b], out)
    x, y = np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), np.full((2, 3), 6.0))


def test_declared_output_shape_is_used_as_given():
    layer = TorchModuleWrapper(torch.nn.Linear(4, 3), output_shape=(None, 3))
    assert layer(keras.Input((4,))).shape == (None, 3)
    assert layer.compute_output_shape((None, 4)) == (None, 3)


def test_a_module_that_cannot_run_on_meta_asks_for_output_shape():
    class DataDependent(torch.nn.Module):
        def forward(self, x):
            return x[: int(x.sum())]

    with pytest.raises(ValueError, match="pass `output_shape=`"):
        TorchModuleWrapper(DataDependent())(keras.Input((4,)))


def test_weights_are_the_parameters_in_keras_3_order():
    module = _linear_bn()
    model = _model(module)
    wrapped = model.get_layer("wrapped")
    # Trainable when wrapped first (Linear weight, BN weight, BN bias), then the frozen bias.
    expected = [module[0].weight, module[1].weight, module[1].bias, module[0].bias]
    assert [v.tensor for v in wrapped.weights] == expected
    assert [v.name for v in wrapped.weights] == ["0.weight", "1.weight", "1.bias", "0.bias"]
    assert [v.tensor for v in wrapped.non_trainable_weights] == [module[0].bias]
    # BatchNorm's running statistics are buffers, not weights (as in Keras 3).
    assert wrapped.count_params() == 12 + 3 + 3 + 3
    assert model.count_params() == 21 + 3 * 2 + 2


def test_get_and_set_weights_round_trip():
    module = _linear_bn()
    wrapped = TorchModuleWrapper(module)
    values = [np.full(v.shape, i, "float32") for i, v in enumerate(wrapped.weights, start=1)]
    wrapped.set_weights(values)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), values[0])
    np.testing.assert_array_equal(module[0].bias.detach().numpy(), values[3])
    for got, want in zip(wrapped.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="expecting 4 weights"):
        wrapped.set_weights(values[:2])


def test_summary_counts_the_module_parameters():
    lines: list[str] = []
    _model(_linear_bn()).summary(print_fn=lines.append)
    text = "\n".join(lines)
    (row,) = [line for line in text.splitlines() if line.lstrip().startswith("wrapped ")]
    assert row.split()[-1] == "21"
    assert "Total params: 29" in text
    assert "Non-trainable params: 3" in text


def test_fit_trains_the_module_parameters_only_where_trainable():
    module = _linear_bn()
    model = _model(module)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    frozen = module[0].bias.detach().clone()
    weight = module[0].weight.detach().clone()
    moving_mean = module[1].running_mean.clone()
    x = np.random.default_rng(0).random((32, 4), dtype=np.float32)
    model.fit(x, x[:, :2] * 3, epochs=2, batch_size=8, verbose=0)
    assert not torch.equal(module[0].weight, weight)
    assert torch.equal(module[0].bias, frozen)
    # fit runs the module in training mode: BatchNorm updated its statistics.
    assert not torch.equal(module[1].running_mean, moving_mean)
    assert not module.training  # back in inference mode after fit


def test_training_argument_and_inference_default():
    dropout = torch.nn.Dropout(0.5)
    layer = TorchModuleWrapper(dropout)
    x = torch.ones(1000)
    assert not dropout.training  # layers start in inference mode, as every kerasish layer
    torch.testing.assert_close(layer(x), x)
    assert (layer(x, training=True) == 0).any()
    assert not dropout.training  # an explicit training= does not stick
    layer.train()
    assert (layer(x) == 0).any()
    torch.testing.assert_close(layer(x, training=False), x)
    assert dropout.training


def test_trainable_flag_leaves_parameters_frozen_at_wrapping_frozen():
    module = _linear_bn()
    wrapped = TorchModuleWrapper(module)
    wrapped.trainable = False
    assert wrapped.trainable_weights == []
    assert not any(p.requires_grad for p in module.parameters())
    wrapped.trainable = True
    assert module[0].weight.requires_grad and not module[0].bias.requires_grad
    assert not TorchModuleWrapper(torch.nn.Linear(2, 2), trainable=False).trainable_weights


def test_keras_weights_file_round_trip_keeps_the_running_statistics(tmp_path):
    module = _linear_bn()
    model = _model(module)
    model.train()
    model(torch.rand(16, 4))
    model.eval()
    x = np.random.default_rng(1).random((5, 4), dtype=np.float32)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "model.weights.h5"
    model.save_weights(str(path))

    keras.backend.clear_session()
    fresh = _model(_linear_bn())
    fresh.load_weights(str(path))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-6)
    reloaded_bn = fresh.get_layer("wrapped").module[1]
    torch.testing.assert_close(reloaded_bn.running_var, module[1].running_var)


def test_legacy_h5_weights_round_trip(tmp_path):
    module = torch.nn.Linear(4, 3)
    model = _model(module)
    x = np.random.default_rng(2).random((5, 4), dtype=np.float32)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "weights.h5"
    model.save_weights(str(path))
    keras.backend.clear_session()
    fresh = _model(torch.nn.Linear(4, 3))
    fresh.load_weights(str(path))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-6)


def test_state_dict_keys_name_the_layer_and_the_module_keys():
    model = _model(_linear_bn())
    assert list(model.state_dict())[:7] == [
        "wrapped.module.0.weight",
        "wrapped.module.0.bias",
        "wrapped.module.1.weight",
        "wrapped.module.1.bias",
        "wrapped.module.1.running_mean",
        "wrapped.module.1.running_var",
        "wrapped.module.1.num_batches_tracked",
    ]


def test_get_config_pickles_the_module_and_from_config_needs_unsafe_mode():
    from kerasish.saving.serialization import SafeModeScope

    layer = TorchModuleWrapper(torch.nn.Linear(4, 3), name="lin", output_shape=(None, 3))
    config = layer.get_config()
    assert set(config) == {"name", "trainable", "dtype", "module", "output_shape"}
    assert isinstance(config["module"], str)
    with pytest.raises(ValueError, match="arbitrary code execution"):
        TorchModuleWrapper.from_config(config)
    restored = TorchModuleWrapper.from_config(config, safe_mode=False)
    torch.testing.assert_close(restored.module.weight, layer.module.weight)
    assert restored.name == "lin" and restored.compute_output_shape((None, 4)) == (None, 3)
    with SafeModeScope(False):
        assert isinstance(TorchModuleWrapper.from_config(config).module, torch.nn.Linear)


def test_keras_model_file_round_trip_needs_unsafe_mode(tmp_path):
    model = _model(torch.nn.Linear(4, 3))
    x = np.random.default_rng(3).random((5, 4), dtype=np.float32)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "model.keras"
    model.save(str(path))
    with pytest.raises(ValueError, match="arbitrary code execution"):
        keras.models.load_model(str(path))
    restored = keras.models.load_model(str(path), safe_mode=False)
    np.testing.assert_allclose(restored.predict(x, verbose=0), expected, atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="expects a `torch.nn.Module`.*int"):
        TorchModuleWrapper(3)
    with pytest.raises(ValueError, match="LazyModules are not supported"):
        TorchModuleWrapper(torch.nn.LazyLinear(3))


def test_a_wrapped_model_compiles_and_exports():
    model = _model(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(), torch.nn.Linear(8, 3)))
    x = torch.rand(5, 4)
    expected = model(x)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0
    torch.testing.assert_close(torch.export.export(model, (x,)).module()(x), expected)


def test_keras_3_per_layer_store_is_the_module_state_dict():
    source, target = TorchModuleWrapper(_linear_bn()), TorchModuleWrapper(_linear_bn())
    with torch.no_grad():
        source.module[1].running_mean.fill_(0.25)
    store: dict = {}
    source.save_own_variables(store)
    assert sorted(store) == sorted(source.module.state_dict())
    target.load_own_variables(store)
    for key, value in source.module.state_dict().items():
        torch.testing.assert_close(target.module.state_dict()[key], value)
