"""Lambda: shape inference, arguments, masks, and (unsafe) deserialization of its function."""

import json

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.saving.serialization import SafeModeScope, in_safe_mode

K = keras.backend
L = keras.layers


def double_it(x):
    return 2 * x


def test_output_shape_is_inferred_on_meta_tensors():
    x = keras.Input((3, 4))
    assert L.Lambda(lambda t: K.sum(t, axis=1))(x).shape == (None, 4)
    assert L.Lambda(lambda t: t[:, :, None] * 2)(x).shape == (None, 3, 1, 4)
    tokens = keras.Input((5,), dtype="int32")
    assert L.Lambda(lambda t: t[:, 0])(tokens).dtype == "int32"


def test_output_shape_argument_forms():
    x = keras.Input((3, 4))
    assert L.Lambda(lambda t: t, output_shape=(3, 4))(x).shape == (None, 3, 4)
    assert L.Lambda(lambda t: t, output_shape=lambda s: (s[0], 12))(x).shape == (None, 12)
    first, second = L.Lambda(lambda t: [t, t], output_shape=[(3, 4), (3, 4)])(x)
    assert first.shape == second.shape == (None, 3, 4)


def test_uninferable_output_shape_asks_for_output_shape():
    x = keras.Input((3,))
    with pytest.raises(NotImplementedError, match="specify `output_shape`"):
        L.Lambda(lambda t: t.reshape(7))(x)


def test_arguments_training_and_masks():
    layer = L.Lambda(lambda t, factor: t * factor, arguments={"factor": 3.0})
    torch.testing.assert_close(layer(torch.ones(2)), torch.full((2,), 3.0))

    seen = {}

    def record(t, training=None):
        seen["training"] = training
        return t

    L.Lambda(record)(torch.ones(1), training=True)
    assert seen["training"] is True

    tokens = keras.Input((4,), dtype="int32")
    embedded = L.Embedding(5, 2, mask_zero=True)(tokens)
    assert L.Lambda(lambda t: t * 2)(embedded)._keras_mask is None  # mask=None drops it
    kept = L.Lambda(lambda t: t * 2, mask=lambda inputs, mask: mask)(embedded)
    assert kept._keras_mask is not None


def test_random_noise_in_a_lambda_follows_the_input_device():
    def sampling(args):
        mean, log_var = args
        epsilon = K.random_normal(shape=(K.shape(mean)[0], 2))
        return mean + K.exp(0.5 * log_var) * epsilon

    mean, log_var = keras.Input((2,)), keras.Input((2,))
    z = L.Lambda(sampling)([mean, log_var])
    assert z.shape == (None, 2)
    out = keras.Model([mean, log_var], z)(torch.zeros(3, 2), torch.full((3, 2), -100.0))
    torch.testing.assert_close(out, torch.zeros(3, 2), atol=1e-10, rtol=0)


def test_closures_over_real_tensors_still_infer_shapes():
    weights = torch.tensor([1.0, 2.0])
    assert L.Lambda(lambda t: t * weights)(keras.Input((2,))).shape == (None, 2)


def test_config_of_a_lambda_is_tf_keras_bytecode():
    config = L.Lambda(lambda t: t + 1, output_shape=(3,)).get_config()
    assert config["function_type"] == "lambda"
    code, defaults, closure = config["function"]
    assert isinstance(code, str) and defaults is None and closure is None
    assert config["module"] == __name__
    assert config["output_shape"] == (3,) and config["output_shape_type"] == "raw"


def test_lambda_loads_only_when_unsafe():
    x = keras.Input((3,))
    offset = 5.0
    model = keras.Model(x, L.Lambda(lambda t: K.sum(t, axis=-1) + offset)(x))
    config = json.loads(json.dumps(model.get_config()))
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.Model.from_config(config)
    layer_config = config["layers"][1]["config"]
    with pytest.raises(ValueError, match="arbitrary code execution"):
        L.Lambda.from_config(dict(layer_config))
    layer = L.Lambda.from_config(dict(layer_config), safe_mode=False)
    torch.testing.assert_close(layer(torch.ones(2, 3)), torch.full((2,), 8.0))
    with SafeModeScope(False):
        rebuilt = keras.Model.from_config(config)
    np.testing.assert_allclose(rebuilt.predict(np.ones((1, 3)), verbose=0), [8.0])


def test_enable_unsafe_deserialization():
    config = L.Lambda(lambda t: t * 3).get_config()
    previous = in_safe_mode()
    try:
        keras.config.enable_unsafe_deserialization()
        layer = L.Lambda.from_config(config)
    finally:
        SafeModeScope(previous).__enter__()
    torch.testing.assert_close(layer(torch.ones(1)), torch.full((1,), 3.0))


def test_named_functions_are_saved_by_name_and_load_safely():
    config = L.Lambda(double_it).get_config()
    assert config["function"] == "double_it" and config["function_type"] == "function"
    layer = L.Lambda.from_config(json.loads(json.dumps(config)))
    assert layer.function is double_it
    backend_fn = L.Lambda.from_config(L.Lambda(K.batch_flatten).get_config())
    assert backend_fn(torch.ones(2, 3, 4)).shape == (2, 12)
    with pytest.raises(ValueError, match="Could not locate function 'missing'"):
        L.Lambda.from_config({"function": "missing", "function_type": "function", "module": None})


def test_reads_keras3_lambda_configs():
    from kerasish.saving.serialization import func_dump

    code, defaults, closure = func_dump(lambda t, k=2.0: t * k)
    config = {
        "name": "lambda",
        "function": {"class_name": "__lambda__", "config": {"code": code, "defaults": [2.0], "closure": None}},
        "arguments": {},
    }
    layer = L.Lambda.from_config(config, safe_mode=False)
    torch.testing.assert_close(layer(torch.ones(1)), torch.full((1,), 2.0))
    named = L.Lambda.from_config(
        {"function": {"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"}}
    )
    torch.testing.assert_close(named(torch.tensor([-1.0, 2.0])), torch.tensor([0.0, 2.0]))


def test_numpy_arguments_survive_json():
    layer = L.Lambda(double_it, arguments={})
    config = L.Lambda(lambda t, w: t * w, arguments={"w": np.array([1.0, 2.0])}).get_config()
    assert config["arguments"] == {"w": {"type": "ndarray", "value": [1.0, 2.0]}}
    restored = L.Lambda.from_config(json.loads(json.dumps(config)), safe_mode=False)
    np.testing.assert_array_equal(restored.arguments["w"], [1.0, 2.0])
    assert layer.get_config()["arguments"] == {}
