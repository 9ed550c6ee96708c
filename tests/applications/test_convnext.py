"""ConvNeXt: Keras 3's LayerScale and StochasticDepth layers, structure, errors, weight files.

Parameter counts are Keras 3.15's for the same arguments (compat_tests/applications compares
whole models side by side).
"""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.applications import convnext
from kerasish.ops.op_layer import TFOpLambda
from kerasish.utils import file_utils


class _Requested(Exception):
    pass


def _requested_download(monkeypatch, build):
    """The ``get_file`` arguments a builder asks for (the download itself is stopped)."""
    calls = []

    def get_file(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        raise _Requested

    monkeypatch.setattr(file_utils, "get_file", get_file)
    with pytest.raises(_Requested):
        build()
    return calls[0]


def _mini(**kwargs):
    arguments = {"depths": [1, 1, 2, 1], "projection_dims": [8, 16, 24, 32], "weights": None,
                 "name": "convnext_mini", "input_shape": (32, 32, 3), **kwargs}
    return convnext.ConvNeXt(**arguments)


def test_layer_scale_multiplies_each_channel_by_a_learned_scale():
    layer = convnext.LayerScale(0.5, 4, name="scale")
    x = torch.ones(2, 3, 4)
    np.testing.assert_allclose(layer(x).detach().numpy(), np.full((2, 3, 4), 0.5))
    assert [(w.name, w.shape, w.trainable) for w in layer.weights] == [("variable", (4,), True)]
    assert [name for name, _ in layer.named_parameters()] == ["gamma"]
    layer.set_weights([np.array([1.0, 2.0, 3.0, 4.0], "float32")])
    np.testing.assert_allclose(layer(x).detach().numpy()[0, 0], [1.0, 2.0, 3.0, 4.0])
    config = layer.get_config()
    assert (config["init_values"], config["projection_dim"]) == (0.5, 4)
    assert convnext.LayerScale.from_config(config).projection_dim == 4


def test_unnamed_layer_scale_weights_are_numbered_as_keras_names_them():
    first, second = convnext.LayerScale(1e-6, 2), convnext.LayerScale(1e-6, 2)
    first.build((None, 2))
    second.build((None, 2))
    assert [first.weights[0].name, second.weights[0].name] == ["variable", "variable_1"]


def test_stochastic_depth_drops_whole_samples_in_training_only():
    layer = convnext.StochasticDepth(0.5)
    x = torch.ones(64, 2, 2, 3)
    assert layer(x) is x  # inference
    assert layer(x, training=False) is x
    dropped = layer(x, training=True)
    per_sample = dropped.reshape(64, -1)
    assert set(torch.unique(per_sample).tolist()) <= {0.0, 2.0}
    assert torch.all(per_sample == per_sample[:, :1])  # one draw per sample
    assert 0 < int((per_sample[:, 0] == 0).sum()) < 64
    assert convnext.StochasticDepth.from_config(layer.get_config()).drop_path_rate == 0.5


def test_small_network_structure():
    model = _mini(drop_path_rate=0.3, classes=3)
    assert model.count_params() == 31_859
    names = [layer.name for layer in model.layers]
    assert names[1:3] == ["convnext_mini_prestem_normalization", "convnext_mini_stem"]
    assert isinstance(model.get_layer("convnext_mini_stem"), keras.Sequential)
    assert [layer.name for layer in model.get_layer("convnext_mini_downsampling_block_0").layers] == [
        "convnext_mini_downsampling_layernorm_0", "convnext_mini_downsampling_conv_0"
    ]
    # Stochastic depth rises linearly from 0 (an identity Activation) to drop_path_rate.
    assert "convnext_mini_stage_0_block_0_identity" in names
    assert model.get_layer("convnext_mini_stage_3_block_0_stochastic_depth").drop_path_rate == 0.3
    assert sum(isinstance(layer, TFOpLambda) for layer in model.layers) == 5  # the residual adds
    assert names[-3:] == ["convnext_mini_head_gap", "convnext_mini_head_layernorm",
                          "convnext_mini_head_dense"]
    assert model.output_shape == (None, 3)


def test_without_top_a_layer_normalization_follows_the_pooling():
    model = _mini(include_top=False, pooling="avg", include_preprocessing=False)
    assert model.layers[1].name == "convnext_mini_stem"
    assert type(model.layers[-1]).__name__ == "LayerNormalization"
    assert model.output_shape == (None, 32)
    assert _mini(include_top=False).output_shape == (None, 1, 1, 32)


def test_tiny_parameter_count():
    model = convnext.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert model.count_params() == 27_820_128
    assert model.name == "convnext_tiny"


def test_input_tensor_after_other_layers():
    raw = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(2.0)(raw)
    model = _mini(include_top=False, input_tensor=x, input_shape=None)
    assert model.inputs == [raw]


def test_errors(monkeypatch):
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        convnext.ConvNeXtSmall(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        convnext.ConvNeXtBase(weights="no/such/file.h5")
    with pytest.raises(ValueError, match='Model name "my_net" does not match weights variant'):
        _requested_download(monkeypatch, lambda: convnext.ConvNeXt(
            depths=[3, 3, 9, 3], projection_dims=[96, 192, 384, 768], weights="imagenet",
            name="my_net", weights_name="convnext_tiny", include_top=False, input_shape=(32, 32, 3)))
    with pytest.raises(ValueError, match="Architecture configuration does not match convnext_tiny"):
        _mini(weights="imagenet", weights_name="convnext_tiny", include_top=False)
    keras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="ConvNeXt does not support the `channels_first`"):
            convnext.ConvNeXtTiny(weights=None)
    finally:
        keras.backend.set_image_data_format("channels_last")


@pytest.mark.parametrize("include_top, file_name, file_hash", [
    (True, "convnext_tiny.h5", "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff"),
    (False, "convnext_tiny_notop.h5",
     "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
])
def test_imagenet_weights_are_keras_files(include_top, file_name, file_hash, monkeypatch):
    """Keras' file names, URLs and sha256 hashes, as in keras/src/applications/convnext.py."""
    fname, origin, options = _requested_download(
        monkeypatch, lambda: convnext.ConvNeXtTiny(weights="imagenet", include_top=include_top)
    )
    assert fname == file_name
    assert origin == "https://storage.googleapis.com/tensorflow/keras-applications/convnext/" + file_name
    assert options == {"cache_subdir": "models", "file_hash": file_hash}


def test_every_variant_has_keras_hashes_and_configuration():
    assert sorted(convnext.WEIGHTS_HASHES) == [
        "convnext_base", "convnext_large", "convnext_small", "convnext_tiny", "convnext_xlarge"
    ]
    assert convnext.WEIGHTS_HASHES["convnext_xlarge"][1].startswith("de3f8a5417413")
    assert convnext.MODEL_CONFIGS["xlarge"]["projection_dims"] == [256, 512, 1024, 2048]


def test_preprocess_input_is_the_identity():
    x = np.arange(6.0)
    assert convnext.preprocess_input(x) is x
