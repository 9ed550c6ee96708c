"""LoRA on Dense, Conv, EinsumDense and Embedding (layers/lora.py), without real Keras: the
formula, storage layouts, trainability, dispatch, configs, errors, training and files."""

import copy
import pickle

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers


def _randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in layer.weights])


def _np(tensor):
    return tensor.detach().numpy()


# ------------------------------------------------------------------ Dense


def test_dense_weights_layout_and_trainability():
    layer = layers.Dense(3, lora_rank=2)
    layer.build((None, 4))
    assert [(v.name, v.shape) for v in layer.weights] == [
        ("kernel", (4, 3)), ("bias", (3,)), ("lora_kernel_a", (4, 2)), ("lora_kernel_b", (2, 3))
    ]
    assert [v.name for v in layer.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert [v.name for v in layer.non_trainable_weights] == ["kernel"]
    # torch layout, as PEFT stores a LoRA Linear: lora_A (rank, in), lora_B (out, rank).
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == {
        "weight": (3, 4), "bias": (3,), "lora_A": (2, 4), "lora_B": (3, 2)
    }
    assert not layer.weight.requires_grad and layer.lora_A.requires_grad
    assert not layer.lora_B.detach().any()  # zeros: a fresh adapter changes nothing


def test_dense_computes_kernel_plus_scaled_product():
    layer = layers.Dense(3, activation="tanh", lora_rank=2)
    layer.build((None, 4))
    layer.enable_lora  # noqa: B018 - the Keras method exists on every LoRA layer
    _randomize(layer)
    kernel, bias, a, b = layer.get_weights()
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    expected = np.tanh(x @ (kernel + (2 / 2) * a @ b) + bias)
    np.testing.assert_allclose(_np(layer(torch.from_numpy(x))), expected, atol=1e-5)
    np.testing.assert_allclose(_np(layer.kernel), kernel + a @ b, atol=1e-6)
    np.testing.assert_array_equal(_np(layer.lora_kernel_a), a)
    np.testing.assert_array_equal(_np(layer.lora_kernel_b), b)


def test_dense_constructor_alpha_becomes_the_rank_when_built_as_in_keras_3_15():
    layer = layers.Dense(3, lora_rank=2, lora_alpha=8)
    assert layer.lora_alpha == 8 and layer.get_config()["lora_alpha"] == 8
    layer.build((None, 4))
    assert layer.lora_alpha == 2 and layer.get_config()["lora_alpha"] == 2


def test_enable_lora_keeps_its_alpha_and_scales_by_alpha_over_rank():
    layer = layers.Dense(3)
    layer.build((None, 4))
    layer.enable_lora(4, lora_alpha=2.0, a_initializer="ones", b_initializer="ones")
    assert (layer.lora_rank, layer.lora_alpha) == (4, 2.0)
    kernel = layer.get_weights()[0]
    np.testing.assert_allclose(_np(layer.kernel), kernel + 0.5 * 4.0, atol=1e-6)
    assert layer.get_config()["lora_rank"] == 4


def test_plain_layers_keep_their_class_call_and_lora_layers_switch():
    plain = layers.Dense(2)
    plain.build((None, 3))
    assert "call" not in plain.__dict__ and "lora_rank" not in plain.get_config()
    plain.enable_lora(1)
    assert plain.__dict__["call"].__func__ is layers.Dense._lora_call
    conv = layers.Conv2D(2, 2, lora_rank=1)
    conv.build((None, 4, 4, 3))
    assert conv.__dict__["_convolve"].__func__ is layers.Conv2D._lora_convolve


def test_factors_are_created_beside_the_kernel():
    layer = layers.Dense(2)
    with keras.device("meta"):  # built on another device than the default one
        layer.build((None, 3))
    layer.enable_lora(1)
    assert {t.device.type for t in layer.parameters()} == {"meta"}


def test_copies_and_pickles_keep_the_lora_call():
    layer = layers.Dense(2, lora_rank=1)
    layer.build((None, 3))
    _randomize(layer)
    x = torch.randn(4, 3)
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert clone.call.__self__ is clone
        np.testing.assert_allclose(_np(clone(x)), _np(layer(x)), atol=1e-6)


def test_layer_trainable_toggle_unfreezes_the_kernel_as_keras_does():
    layer = layers.Dense(2, lora_rank=1)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    layer.trainable = True  # Keras sets every weight's trainable flag, the kernel's included
    assert [v.name for v in layer.trainable_weights] == ["kernel", "bias", "lora_kernel_a", "lora_kernel_b"]


def test_variable_trainable_setter():
    layer = layers.Dense(2)
    layer.build((None, 3))
    kernel = layer.weights[0]
    kernel.trainable = False
    assert not kernel.trainable and [v.name for v in layer.trainable_weights] == ["bias"]
    kernel.trainable = True
    assert kernel.trainable
    stats = layers.BatchNormalization()
    stats.build((None, 3))
    moving_mean = stats.non_trainable_weights[0]
    moving_mean.trainable = False
    with pytest.raises(NotImplementedError, match="moving_mean"):
        moving_mean.trainable = True


def test_factors_take_the_kernel_regularizer_and_the_frozen_kernel_none():
    layer = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5), lora_rank=1)
    layer.build((None, 3))
    _randomize(layer)
    _, _, a, b = layer.get_weights()
    losses = layer.losses
    assert len(losses) == 2
    np.testing.assert_allclose(float(sum(losses).detach()), 0.5 * ((a**2).sum() + (b**2).sum()), rtol=1e-5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.Dense(2), "Cannot enable lora on a layer that isn't yet built."),
        (lambda: layers.Dense(2, kernel_constraint="max_norm"), "Lora is incompatible with kernel constraints. In order to enable lora on this layer, remove the `kernel_constraint` argument."),
        (lambda: layers.Embedding(3, 2, embeddings_constraint="non_neg"), "Lora is incompatible with embedding constraints. In order to enable lora on this layer, remove the `embeddings_constraint` argument."),
    ],
)
def test_enable_lora_errors(make, message):
    with pytest.raises(ValueError) as info:
        make().enable_lora(2)
    assert str(info.value) == message


def test_enable_lora_twice_is_refused():
    layer = layers.EinsumDense("ab,bc->ac", 2, lora_rank=1)
    layer.build((None, 3))
    with pytest.raises(ValueError, match="lora is already enabled. This can only be done once per layer."):
        layer.enable_lora(1)


# ------------------------------------------------------------------ other layers


def test_conv_factors_are_stored_like_the_kernel():
    layer = layers.Conv2D(6, (2, 3), groups=2, lora_rank=2, lora_alpha=4)
    layer.build((None, 5, 5, 4))
    assert [(v.name, v.shape) for v in layer.weights] == [
        ("kernel", (2, 3, 2, 6)), ("bias", (6,)), ("lora_kernel_a", (2, 3, 2, 2)), ("lora_kernel_b", (2, 6))
    ]
    assert tuple(layer.lora_A.shape) == (2, 2, 2, 3) and tuple(layer.lora_B.shape) == (6, 2)
    _randomize(layer)
    kernel, _, a, b = layer.get_weights()
    np.testing.assert_allclose(_np(layer.kernel), kernel + 2.0 * (a @ b), atol=1e-6)
    x = torch.randn(2, 5, 5, 4)
    plain = layers.Conv2D(6, (2, 3), groups=2)
    plain.build((None, 5, 5, 4))
    plain.set_weights([kernel + 2.0 * (a @ b), layer.get_weights()[1]])
    np.testing.assert_allclose(_np(layer(x)), _np(plain(x)), atol=1e-5)


def test_conv_transposed_and_depthwise_have_no_lora():
    with pytest.raises(ValueError, match="lora_rank"):
        layers.Conv2DTranspose(2, 2, lora_rank=1)
    with pytest.raises(ValueError, match="lora_rank"):
        layers.DepthwiseConv2D(2, lora_rank=1)


def test_einsum_dense_factors_and_output():
    layer = layers.EinsumDense("abc,cde->abde", (None, 3, 5), bias_axes="de", lora_rank=2, lora_alpha=6)
    layer.build((None, 2, 4))
    assert [(v.name, v.shape) for v in layer.weights][2:] == [("lora_kernel_a", (4, 3, 2)), ("lora_kernel_b", (2, 5))]
    _randomize(layer)
    kernel, bias, a, b = layer.get_weights()
    x = np.random.default_rng(2).normal(size=(3, 2, 4)).astype("float32")
    expected = np.einsum("abc,cde->abde", x, kernel + 3.0 * (a @ b)) + bias
    np.testing.assert_allclose(_np(layer(torch.from_numpy(x))), expected, atol=1e-5)
    assert tuple(layer.kernel.shape) == (4, 3, 5)  # the stored kernel parameter (see module doc)
    np.testing.assert_allclose(_np(layer._lora_merged()), kernel + 3.0 * (a @ b), atol=1e-6)


@pytest.mark.parametrize("ids_shape", [(1, 3), (3, 4)])  # fewer ids than rows / more
def test_embedding_lookup_of_the_merged_table(ids_shape):
    layer = layers.Embedding(7, 4, lora_rank=2)
    layer.build()
    assert [(v.name, v.shape) for v in layer.weights] == [
        ("embeddings", (7, 4)), ("lora_embeddings_a", (7, 2)), ("lora_embeddings_b", (2, 4))
    ]
    _randomize(layer)
    table, a, b = layer.get_weights()
    ids = np.random.default_rng(3).integers(0, 7, size=ids_shape)
    merged_table = table + a @ b
    np.testing.assert_allclose(_np(layer(torch.from_numpy(ids))), merged_table[ids], atol=1e-6)
    np.testing.assert_allclose(_np(layer.embeddings), merged_table, atol=1e-6)
    with pytest.raises(IndexError, match="input_dim=7"):
        layer(torch.tensor([[9]]))


# ------------------------------------------------------------------ training and files


def _model():
    tokens = keras.Input((5,), dtype="int32")
    x = layers.Embedding(9, 4, lora_rank=2)(tokens)
    x = layers.Conv1D(3, 2, lora_rank=1)(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, layers.Dense(2, lora_rank=2, lora_alpha=4, name="head")(x))


def _data():
    rng = np.random.default_rng(4)
    return rng.integers(0, 9, size=(16, 5)).astype("int32"), rng.normal(size=(16, 2)).astype("float32")


def test_fit_moves_the_factors_and_bias_only():
    model = _model()
    _randomize(model)
    before = {v.path: v.numpy() for v in model.weights}
    model.compile(optimizer="adam", loss="mse")
    model.fit(*_data(), batch_size=8, epochs=2, verbose=0)
    for v in model.weights:
        moved = not np.array_equal(v.numpy(), before[v.path])
        assert moved == v.trainable, v.path
    assert {v.name for v in model.non_trainable_weights} == {"embeddings", "kernel"}


def test_files_hold_the_merged_kernel_and_loading_zeroes_the_factors(tmp_path):
    import h5py

    model = _model()
    _randomize(model)
    x, _ = _data()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5") as f:
        head = f["layers/dense/vars"]
        assert [head[k].shape for k in sorted(head)] == [(3, 2), (2,)]
        np.testing.assert_allclose(head["0"][()], _np(model.get_layer("head").kernel), atol=1e-6)
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5)
    assert all(not v.numpy().any() for v in loaded.weights if "lora_" in v.name)
    assert loaded.get_layer("head").lora_alpha == 2  # Keras 3.15's Dense: alpha = rank once built
    other = _model()
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(other.predict(x, verbose=0), expected, atol=1e-5)


def test_legacy_h5_keeps_every_weight(tmp_path):
    model = _model()
    _randomize(model)
    x, _ = _data()
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5")
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# ------------------------------------------------------------------ dtypes


@pytest.mark.parametrize("policy, out_dtype", [("mixed_bfloat16", torch.bfloat16), ("float16", torch.float16)])
def test_lora_under_half_precision_policies(policy, out_dtype):
    layer = layers.Dense(3, lora_rank=2, dtype=policy)
    layer.build((None, 4))
    assert [v.dtype for v in layer.weights][2:] == ["float32", "float32"]  # factors stay float32
    _randomize(layer)
    kernel, bias, a, b = (w.astype("float32") for w in layer.get_weights())
    x = np.random.default_rng(5).normal(size=(5, 4)).astype("float32")  # cast as Keras casts
    out = layer(x)
    assert out.dtype == out_dtype
    expected = x @ (kernel + a @ b) + bias
    np.testing.assert_allclose(out.float().detach().numpy(), expected, atol=0.1)


# ------------------------------------------------------------------ quantization


def test_gptq_argument_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="gptq_unpacked_column_size"):
        layers.EinsumDense("ab,bc->ac", 2, gptq_unpacked_column_size=4)


def test_lora_after_int4_quantization_adapts_the_unpacked_kernel():
    # (LoRA on quantized layers against Keras: compat_tests/quantization.)
    layer = layers.Dense(5)
    layer.build((None, 4))
    layer.quantize("int4")
    layer.enable_lora(2)
    assert layer._lora_variable("lora_kernel_a").shape == (4, 2)
    assert layer._lora_variable("lora_kernel_b").shape == (2, 5)
