"""InceptionResNetV2: Keras 3's CustomScaleLayer, block structure, errors and weight files.

Parameter counts are Keras 3.15's for the same arguments (compat_tests/applications compares
whole models side by side).
"""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.applications import inception_resnet_v2
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


def test_custom_scale_layer_adds_the_scaled_residual():
    layer = inception_resnet_v2.CustomScaleLayer(0.2)
    shortcut, residual = torch.ones(1, 2, 2, 3), torch.full((1, 2, 2, 3), 5.0)
    np.testing.assert_allclose(layer([shortcut, residual]).numpy(), np.full((1, 2, 2, 3), 2.0))
    assert layer.weights == [] and layer.name == "custom_scale_layer"
    assert inception_resnet_v2.CustomScaleLayer.from_config(layer.get_config()).scale == 0.2


@pytest.mark.parametrize("block_type, branches", [("block35", 3), ("block17", 2), ("block8", 2)])
def test_block_names_and_shapes(block_type, branches):
    inputs = keras.Input((9, 9, 20))
    outputs = inception_resnet_v2.inception_resnet_block(inputs, 0.1, block_type, 4)
    model = keras.Model(inputs, outputs)
    names = [layer.name for layer in model.layers]
    assert names[-4:] == [f"{block_type}_4_mixed", f"{block_type}_4_conv", "custom_scale_layer",
                          f"{block_type}_4_ac"]
    assert len(model.get_layer(f"{block_type}_4_mixed").input) == branches
    assert model.get_layer(f"{block_type}_4_conv").use_bias
    assert model.output_shape == (None, 9, 9, 20)


def test_last_block_has_no_activation_and_bad_block_types_are_refused():
    inputs = keras.Input((9, 9, 20))
    outputs = inception_resnet_v2.inception_resnet_block(inputs, 1.0, "block8", 10, activation=None)
    assert outputs._keras_history.layer.name == "custom_scale_layer"
    with pytest.raises(ValueError, match='Expects "block35", "block17" or "block8", but got: block9'):
        inception_resnet_v2.inception_resnet_block(inputs, 1.0, "block9", 1)


def test_conv2d_bn_names():
    inputs = keras.Input((9, 9, 3))
    model = keras.Model(inputs, inception_resnet_v2.conv2d_bn(inputs, 4, 3, name="c"))
    assert [layer.name for layer in model.layers[1:]] == ["c", "c_bn", "c_ac"]
    assert not model.get_layer("c_bn").scale and not model.get_layer("c").use_bias


def test_whole_network():
    model = inception_resnet_v2.InceptionResNetV2(weights=None, include_top=False,
                                                  input_shape=(75, 75, 3), pooling="avg")
    assert model.count_params() == 54_336_736
    assert model.output_shape == (None, 1536)
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["input_1", "conv2d", "batch_normalization"]
    assert {"mixed_5b", "mixed_6a", "mixed_7a", "block35_10_ac", "block17_20_ac"} <= set(names)
    assert "block8_10_ac" not in names and names[-4:-1] == ["conv_7b", "conv_7b_bn", "conv_7b_ac"]
    assert sum(type(layer).__name__ == "CustomScaleLayer" for layer in model.layers) == 40


def test_errors():
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        inception_resnet_v2.InceptionResNetV2(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 75x75"):
        inception_resnet_v2.InceptionResNetV2(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="`input_shape` should be \\(299, 299, 3\\)"):
        inception_resnet_v2.InceptionResNetV2(weights="imagenet", input_shape=(75, 75, 3))


def test_imagenet_weights_are_keras_files(monkeypatch):
    """Keras' file names, URLs and md5 hashes, as in keras/src/applications/inception_resnet_v2.py."""
    assert inception_resnet_v2.WEIGHT_FILES == {
        True: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
               "e693bd0210a403b3192acc6073ad2e96"),
        False: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "d19885ff4a710c122648d3b5c3b684e4"),
    }
    file_name = "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5"
    fname, origin, options = _requested_download(monkeypatch, lambda: (
        inception_resnet_v2.InceptionResNetV2(weights="imagenet", include_top=False,
                                              input_shape=(75, 75, 3))
    ))
    assert fname == file_name
    assert origin == ("https://storage.googleapis.com/tensorflow/keras-applications/"
                      "inception_resnet_v2/" + file_name)
    assert options == {"cache_subdir": "models", "file_hash": "d19885ff4a710c122648d3b5c3b684e4"}


def test_preprocess_input_scales_to_minus_one_one():
    np.testing.assert_allclose(
        inception_resnet_v2.preprocess_input(np.array([[[[0.0, 127.5, 255.0]]]])), [[[[-1.0, 0.0, 1.0]]]]
    )
