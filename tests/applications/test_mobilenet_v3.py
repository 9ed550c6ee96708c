"""MobileNetV3Small/Large: Keras 3's structure, arguments, errors and weight files.

Parameter counts are Keras 3.15's for the same arguments (compat_tests/applications compares
whole models side by side).
"""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.applications import mobilenet_v3
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


def test_small_model_structure_and_names():
    model = mobilenet_v3.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=5)
    assert model.name == "MobileNetV3Small"
    assert model.count_params() == 1_535_093
    names = [layer.name for layer in model.layers if not isinstance(layer, TFOpLambda)]
    assert names[1:5] == ["rescaling", "conv", "conv_bn", "activation"]
    assert names[-7:] == ["global_average_pooling2d", "conv_2", "activation_18", "dropout",
                          "logits", "flatten", "predictions"]
    assert "expanded_conv_squeeze_excite_mul" in names and "expanded_conv_10_add" in names
    assert model.output_shape == (None, 5)


def test_large_minimalistic_has_no_squeeze_excite_nor_hard_swish():
    model = mobilenet_v3.MobileNetV3Large(
        weights=None, input_shape=(32, 32, 3), include_top=False, minimalistic=True, alpha=0.75
    )
    assert model.count_params() == 865_520
    assert not any("squeeze_excite" in layer.name for layer in model.layers)
    assert not any(isinstance(layer, TFOpLambda) for layer in model.layers)
    assert model.output_shape == (None, 1, 1, 720)  # _depth(160 * 0.75 * 6)


def test_hard_sigmoid_is_relu6_of_x_plus_3_over_6():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, mobilenet_v3._hard_sigmoid(inputs))
    assert [type(layer).__name__ for layer in model.layers[1:]] == ["TFOpLambda", "ReLU", "TFOpLambda"]
    x = torch.tensor([[-4.0, -3.0, 0.0, 1.5, 9.0]])
    np.testing.assert_allclose(model(x).numpy(), [[0.0, 0.0, 0.5, 0.75, 1.0]], rtol=1e-6)


def test_alpha_above_one_widens_the_head():
    model = mobilenet_v3.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), alpha=1.25,
                                          classes=3, include_preprocessing=False)
    assert model.get_layer("conv_2").filters == 1280  # _depth(1024 * 1.25)
    assert model.layers[1].name == "conv"


@pytest.mark.parametrize("pooling, shape, last", [
    ("avg", (None, 576), "avg_pool"), ("max", (None, 576), "max_pool"), (None, (None, 1, 1, 576), None),
])
def test_pooling(pooling, shape, last):
    model = mobilenet_v3.MobileNetV3Small(weights=None, input_shape=(32, 32, 3),
                                          include_top=False, pooling=pooling)
    assert model.output_shape == shape
    if last:
        assert model.layers[-1].name == last


def test_input_shape_comes_from_input_tensor_rows_and_columns_swapped():
    model = mobilenet_v3.MobileNetV3Small(weights=None, include_top=False,
                                          input_tensor=keras.Input((40, 48, 3)))
    assert model.input_shape == (None, 40, 48, 3)
    assert mobilenet_v3._input_shape(None, keras.Input((40, 48, 3))) == (48, 40, 3)


def test_argument_errors():
    with pytest.raises(ValueError, match="input_shape\\[1\\] must equal input_tensor.shape\\[2\\]"):
        mobilenet_v3.MobileNetV3Small(weights=None, input_shape=(32, 40, 3),
                                      input_tensor=keras.Input((32, 32, 3)))
    with pytest.raises(ValueError, match="at least 32x32"):
        mobilenet_v3.MobileNetV3Large(weights=None, input_shape=(16, 64, 3))
    with pytest.raises(ValueError, match="alpha can be one of `0.75`, `1.0`"):
        mobilenet_v3.MobileNetV3Small(weights="imagenet", alpha=0.5)
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        mobilenet_v3.MobileNetV3Small(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="KerasTensor"):
        mobilenet_v3.MobileNetV3Small(weights=None, input_tensor=torch.zeros(1, 32, 32, 3))
    with pytest.raises(ValueError, match="classifier_activation"):
        mobilenet_v3.MobileNetV3Small(weights="imagenet", input_shape=(224, 224, 3),
                                      classifier_activation="relu")


@pytest.mark.parametrize("builder, kwargs, file_name, file_hash", [
    (mobilenet_v3.MobileNetV3Large, {}, "weights_mobilenet_v3_large_224_1.0_float.h5",
     "59e551e166be033d707958cf9e29a6a7"),
    (mobilenet_v3.MobileNetV3Small, {"alpha": 0.75, "include_top": False},
     "weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5", "ebdb5cc8e0b497cd13a7c275d475c819"),
    (mobilenet_v3.MobileNetV3Large, {"minimalistic": True, "include_top": False},
     "weights_mobilenet_v3_large_minimalistic_224_1.0_float_no_top_v2.h5",
     "ec5221f64a2f6d1ef965a614bdae7973"),
])
def test_imagenet_weights_are_keras_files(builder, kwargs, file_name, file_hash, monkeypatch):
    """Keras' file names, URLs and md5 hashes, as in keras/src/applications/mobilenet_v3.py."""
    fname, origin, options = _requested_download(
        monkeypatch, lambda: builder(weights="imagenet", input_shape=(224, 224, 3), **kwargs)
    )
    assert fname == file_name
    assert origin == "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/" + file_name
    assert options == {"cache_subdir": "models", "file_hash": file_hash}


def test_imagenet_weights_at_another_size_warn_and_load_the_224_file(monkeypatch):
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"):
        fname, _, _ = _requested_download(monkeypatch, lambda: mobilenet_v3.MobileNetV3Small(
            weights="imagenet", input_shape=(96, 96, 3), include_top=False))
    assert fname == "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"


def test_preprocess_input_is_the_identity():
    x = np.arange(6.0)
    assert mobilenet_v3.preprocess_input(x) is x
