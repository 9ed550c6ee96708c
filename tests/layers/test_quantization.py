"""Keras 3 quantization of Dense, EinsumDense and Embedding (``layer.quantize``, quantized
policies, ``Model.quantize``). Bit-exactness against real Keras: compat_tests/quantization."""

import warnings

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import kerasish as keras
from kerasish import layers


def _dense(units=6, input_dim=40, **kwargs):
    layer = layers.Dense(units, **kwargs)
    layer.build((None, input_dim))
    return layer


@pytest.mark.parametrize(
    "mode, config, names, tolerance",
    [
        ("int8", None, [("bias", "float32", (6,)), ("kernel", "int8", (40, 6)), ("kernel_scale", "float32", (6,))], 0.05),
        ("int4", None, [("bias", "float32", (6,)), ("kernel", "int8", (40, 3)), ("kernel_scale", "float32", (1, 6)),
                        ("kernel_zero", "int8", (1, 6)), ("g_idx", "float32", (40,))], 0.5),
        ("int4", keras.quantizers.Int4QuantizationConfig(block_size=None),
         [("bias", "float32", (6,)), ("kernel", "int8", (40, 3)), ("kernel_scale", "float32", (6,))], 0.5),
    ],
)
def test_dense_quantize_replaces_the_kernel(mode, config, names, tolerance):
    torch.manual_seed(0)
    layer = _dense()
    x = torch.randn(3, 40)
    expected = layer(x).detach()
    layer.quantize(mode, config=config)
    assert [(v.name, v.dtype, v.shape) for v in layer.weights] == names
    assert [v.name for v in layer.trainable_weights] == ["bias"]
    assert layer.kernel.dtype == torch.int8 and layer.kernel.shape == (40, 6)
    assert (layer(x).detach() - expected).abs().max() < tolerance
    assert layer.dtype_policy.quantization_mode == mode


def test_quantize_errors():
    with pytest.raises(ValueError, match="isn't yet built"):
        layers.Dense(2).quantize("int8")
    layer = _dense()
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        layer.quantize("int2")
    with pytest.raises(NotImplementedError, match="GPTQ"):
        layer.quantize("gptq")
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int8_from_float32'"):
        layer.quantize("int4")
    with pytest.raises(ValueError, match="compute_dtype='float16'"):
        _dense(dtype="float16").quantize("int8")

    class MyDense(layers.Dense):
        pass

    custom = MyDense(2)
    custom.build((None, 3))
    with pytest.raises(NotImplementedError, match="MyDense does not have a `quantize` method"):
        custom.quantize("int8")
    custom.quantize("int8", type_check=False)
    assert custom.dtype_policy.name == "int8_from_float32"


def test_a_quantized_policy_builds_or_quantizes():
    layer = layers.Dense(3, dtype="int8_from_float32")
    layer.build((None, 4))
    assert [(v.name, v.dtype) for v in layer.weights] == [("bias", "float32"), ("kernel", "int8"), ("kernel_scale", "float32")]
    built = _dense()
    # As in Keras 3.15, the setter quantizes with the default int4 config (block size 128)
    # and keeps the policy it was given.
    built.dtype_policy = "int4/-1_from_float32"
    assert built.kernel.dtype == torch.int8 and built._variable("kernel_scale").shape == (1, 6)
    assert built.dtype_policy.name == "int4/-1_from_float32"


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_config_round_trip_rebuilds_the_quantized_layer(mode):
    layer = _dense()
    layer.quantize(mode)
    config = layer.get_config()
    assert config["dtype"]["module"] == "keras.dtype_policies"
    assert config["quantization_config"]["module"] == "keras.quantizers"
    clone = layers.Dense.from_config(config)
    clone.build((None, 40))
    # Built from a config, float8's variables come before the kernel, as in Keras.
    assert sorted((v.name, v.dtype, v.shape) for v in clone.weights) == sorted(
        (v.name, v.dtype, v.shape) for v in layer.weights)
    for variable in clone.weights:
        variable.assign(layer._variable(variable.name).numpy())
    x = torch.randn(2, 40)
    assert torch.equal(clone(x), layer(x))


def test_einsum_dense_with_an_ellipsis_quantizes():
    # Keras 3.15 crashes here (it passes the input rank where it wants a shape); kerasish does it.
    layer = layers.EinsumDense("...b,bc->...c", 5, bias_axes="c")
    layer.build((None, 3, 16))
    x = torch.randn(2, 3, 16)
    expected = layer(x).detach()
    layer.quantize("int8")
    assert layer._variable("kernel_scale").shape == (1, 1, 5)  # broadcasts against (batch, 3, 5)
    assert (layer(x) - expected).abs().max() < 0.05


@pytest.mark.parametrize("block_size", [None, 2])
def test_embedding_int4_lookups(block_size):
    torch.manual_seed(0)
    layer = layers.Embedding(10, 5)
    layer.build()
    ids = torch.tensor([[0, 3, 9]])
    expected = layer(ids).detach()
    layer.quantize("int4", config=keras.quantizers.Int4QuantizationConfig(block_size=block_size))
    assert layer._variable("embeddings").shape == (10, 3)
    assert layer.embeddings.shape == (10, 5)
    assert (layer(ids) - expected).abs().max() < 0.05  # Keras clips zero points of one-signed blocks


def test_float8_scales_move_only_in_training():
    layer = _dense(3, 4)
    layer.quantize("float8")
    x = torch.randn(5, 4)
    layer(x)
    assert float(layer.inputs_scale) == 1.0 and float(layer.inputs_amax_history.abs().sum()) == 0.0
    layer.train()
    layer(x).sum().backward()
    assert float(layer.inputs_amax_history[0]) == float(x.abs().max())
    assert float(layer.outputs_grad_amax_history[0]) == 1.0  # d(sum)/d(output)
    assert layer.inputs_scale.grad is None  # optimizers skip the overwritten variables
    layer.enable_lora(1)
    with pytest.raises(NotImplementedError, match="doesn't support LoRA"):
        layer(x)


def test_model_quantize_walks_layers_with_filters_and_warnings(tmp_path):
    inputs = keras.Input((4,), dtype="int32")
    x = layers.Embedding(8, 6, name="emb")(inputs)
    x = layers.Flatten()(x)
    x = layers.Dense(3, name="head")(x)
    model = keras.Model(inputs, x)
    ids = np.array([[1, 2, 3, 7]], "int32")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model.quantize("int8", bogus=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.quantize("int8", filters=lambda layer: layer.name != "head")
    assert sorted(str(w.message) for w in caught) == [
        "Layer Flatten does not have a `quantize` method implemented.",
        "Layer InputLayer does not have a `quantize` method implemented.",
    ]
    assert model.get_layer("emb").dtype_policy.name == "int8_from_float32"
    assert model.get_layer("head").dtype_policy.name == "float32"
    expected = model.predict(ids, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), expected)


class _NoHostSync(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten._local_scalar_dense.default:
            raise AssertionError("host sync (.item()) in a quantized call")
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_quantized_calls_do_not_sync_with_the_host(mode):
    inputs = keras.Input((3,), dtype="int32")
    x = layers.Embedding(8, 6)(inputs)
    x = layers.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d")(x)
    x = layers.Dense(2)(x)
    model = keras.Model(inputs, x)
    model.quantize(mode, filters=None if mode != "float8" else lambda layer: not isinstance(layer, layers.Embedding))
    model.train()  # float8's training path too
    ids = torch.tensor([[1, 2, 3]])
    with _NoHostSync():
        model(ids).sum().backward()
