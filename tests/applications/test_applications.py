"""Application builders: Keras' arguments, their errors, and where ImageNet weights come from.

Parameter counts are Keras 3's for the same arguments (compat_tests/applications compares
whole models side by side).
"""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import applications


def test_mobilenet_v2_small_with_its_default_name():
    model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3), classes=6)
    assert model.name == "mobilenetv2_0.35_32"
    assert model.count_params() == 417_894
    assert model.output_shape == (None, 6)
    names = [layer.name for layer in model.layers]
    assert names[1:4] == ["Conv1", "bn_Conv1", "Conv1_relu"]
    assert "expanded_conv_project_BN" in names and "block_16_project_BN" in names
    assert "block_2_add" in names and "block_1_add" not in names


def test_mobilenet_small():
    model = applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), classes=6)
    assert model.name == "mobilenet_0.25_32"
    assert model.count_params() == 220_086
    assert [layer.name for layer in model.layers][-4:] == [
        "dropout", "conv_preds", "reshape_2", "predictions"
    ]


@pytest.mark.parametrize("pooling, shape, last", [
    (None, (None, 1, 1, 1280), "out_relu"),
    ("avg", (None, 1280), "global_average_pooling2d"),
    ("max", (None, 1280), "global_max_pooling2d"),
])
def test_pooling_without_the_top(pooling, shape, last):
    model = applications.MobileNetV2(
        weights=None, alpha=0.35, include_top=False, input_shape=(32, 32, 3), pooling=pooling
    )
    assert model.output_shape == shape  # alpha <= 1 keeps the last convolution at 1280
    assert model.layers[-1].name == last


def test_input_tensor_after_other_layers_gives_a_model_from_the_true_input(rng):
    raw = keras.Input((32, 32, 3))
    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1)(raw)
    model = applications.MobileNetV2(
        weights=None, alpha=0.35, include_top=False, input_tensor=scaled, pooling="avg"
    )
    assert model.inputs == [raw]
    assert model.layers[1].name == "rescaling"
    images = rng.random((2, 32, 32, 3)).astype("float32")
    assert model.predict(images, verbose=0).shape == (2, 1280)


def test_input_tensor_must_be_symbolic():
    with pytest.raises(ValueError, match="KerasTensor"):
        applications.VGG16(weights=None, include_top=False, input_tensor=torch.zeros(1, 32, 32, 3))


def test_weights_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        applications.VGG16(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="static `input_shape`"):
        applications.DenseNet121(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 71x71"):
        applications.Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="alpha must be one of"):
        applications.MobileNetV2(weights="imagenet", alpha=0.3, include_top=False)
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        applications.MobileNet(weights="imagenet", depth_multiplier=2, include_top=False)
    with pytest.raises(ValueError, match="classifier_activation"):
        applications.MobileNetV2(
            weights="imagenet", alpha=0.35, input_shape=(96, 96, 3), classifier_activation="relu"
        )


def test_imagenet_weights_missing_from_the_cache_name_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        applications.MobileNetV2(weights="imagenet", alpha=0.35, include_top=False,
                                 input_shape=(96, 96, 3))
    message = str(info.value)
    assert "'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5'" in message
    assert str(tmp_path / "models") in message
    assert "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/" in message


def test_imagenet_weights_load_from_the_keras_cache(tmp_path, monkeypatch, rng):
    """A Keras 2 HDF5 file (the layout of Keras' published files) under Keras' file name."""
    source = applications.MobileNet(weights=None, alpha=0.25, include_top=False,
                                    input_shape=(128, 128, 3))
    for layer in source.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.weights])
    (tmp_path / "models").mkdir()
    source.save_weights(str(tmp_path / "models" / "mobilenet_2_5_128_tf_no_top.h5"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    keras.backend.clear_session()
    model = applications.MobileNet(weights="imagenet", alpha=0.25, include_top=False,
                                   input_shape=(128, 128, 3))
    images = rng.random((1, 128, 128, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(images, verbose=0), source.predict(images, verbose=0))


def test_weights_from_a_path_and_a_round_trip(tmp_path, rng):
    first = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3), classes=3)
    path = str(tmp_path / "m.weights.h5")
    first.save_weights(path)
    second = applications.MobileNetV2(weights=path, alpha=0.35, input_shape=(32, 32, 3), classes=3)
    images = rng.random((2, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(second.predict(images, verbose=0), first.predict(images, verbose=0))


def test_every_builder_is_exported_with_its_family_module():
    for module, builders in {
        "inception_v3": ["InceptionV3"], "resnet": ["ResNet50", "ResNet101", "ResNet152"],
        "resnet50": ["ResNet50"], "resnet_v2": ["ResNet50V2", "ResNet101V2", "ResNet152V2"],
        "vgg16": ["VGG16"], "vgg19": ["VGG19"], "mobilenet": ["MobileNet"],
        "mobilenet_v2": ["MobileNetV2"], "xception": ["Xception"],
        "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
        "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
    }.items():
        family = getattr(applications, module)
        assert callable(family.preprocess_input) and callable(family.decode_predictions)
        for builder in builders:
            assert getattr(family, builder) is getattr(applications, builder)
    import kerasish

    assert "applications" in kerasish.__all__ and kerasish.applications is applications


def test_densenet_refuses_channels_first():
    keras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels_first"):
            applications.DenseNet121(weights=None)
    finally:
        keras.backend.set_image_data_format("channels_last")


def test_channels_first_mobilenet_v2(rng):
    keras.backend.set_image_data_format("channels_first")
    try:
        model = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                         input_shape=(3, 32, 32), pooling="avg")
        assert model.output_shape == (None, 1280)
        assert model.predict(rng.random((1, 3, 32, 32)).astype("float32"), verbose=0).shape == (1, 1280)
    finally:
        keras.backend.set_image_data_format("channels_last")


@pytest.mark.slow
def test_efficientnet_imagenet_weights_add_the_original_input_scaling(tmp_path, monkeypatch, rng):
    """Keras' ImageNet EfficientNets rescale by 1/sqrt(std) after Normalization (the original
    model divided by the variance); with ``weights=None`` that layer is absent."""
    plain = applications.EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
    (tmp_path / "models").mkdir()
    plain.save_weights(str(tmp_path / "models" / "efficientnetb0_notop.h5"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    pretrained = applications.EfficientNetB0(
        weights="imagenet", include_top=False, input_shape=(32, 32, 3)
    )
    assert [type(layer).__name__ for layer in pretrained.layers[1:5]] == [
        "Rescaling", "Normalization", "Rescaling", "ZeroPadding2D"
    ]
    assert len(pretrained.layers) == len(plain.layers) + 1
    scale = 1 / np.sqrt(np.array([0.229, 0.224, 0.225], "float32"))
    images = (rng.random((1, 32, 32, 3)) * 255).astype("float32")
    np.testing.assert_allclose(
        pretrained.predict(images, verbose=0), plain.predict(images * scale, verbose=0),
        rtol=1e-4, atol=1e-5,
    )
