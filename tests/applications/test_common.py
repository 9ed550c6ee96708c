"""``applications/common.py``: what the builders share."""

import inspect
import pickle

from kerasish.applications import common, densenet, resnet, resnet_v2

_KERAS_PARAMETERS = [
    "include_top", "weights", "input_tensor", "input_shape", "pooling", "classes",
    "classifier_activation", "name",
]


def test_standard_arguments_give_each_variant_keras_signature_and_identity():
    for module, function, default_name in [
        (resnet, resnet.ResNet50, "resnet50"),
        (resnet_v2, resnet_v2.ResNet152V2, "resnet152v2"),
        (densenet, densenet.DenseNet121, "densenet121"),
    ]:
        parameters = inspect.signature(function).parameters
        assert list(parameters) == _KERAS_PARAMETERS
        assert parameters["name"].default == default_name
        assert parameters["weights"].default == "imagenet" and parameters["classes"].default == 1000
        assert function.__module__ == module.__name__
        assert getattr(module, function.__name__) is function
        assert function.__doc__
        assert pickle.loads(pickle.dumps(function)) is function


def test_tf_kernels_file_names():
    assert common.tf_kernels_file("resnet50", True) == (
        "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
    )
    assert common.tf_kernels_file("xception", False) == (
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
    )
