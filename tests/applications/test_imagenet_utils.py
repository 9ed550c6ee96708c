"""Preprocessing modes, prediction decoding and Keras' input-shape rules."""

import json

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.applications import imagenet_utils


def test_tf_mode_scales_a_float_array_in_place():
    images = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    result = imagenet_utils.preprocess_input(images, mode="tf")
    np.testing.assert_allclose(result, [[[[-1.0, 0.0, 1.0]]]])
    assert result is images  # Keras' documented in-place behaviour for float arrays


def test_integer_arrays_become_floatx_copies():
    images = np.full((1, 2, 2, 3), 255, dtype="uint8")
    result = imagenet_utils.preprocess_input(images, mode="tf")
    assert result.dtype == np.float32 and images.dtype == np.uint8
    np.testing.assert_allclose(result, 1.0)


def test_caffe_mode_reverses_channels_and_subtracts_the_bgr_mean():
    images = np.array([[[[10.0, 20.0, 30.0]]]], dtype="float32")
    result = imagenet_utils.preprocess_input(images.copy(), mode="caffe")
    np.testing.assert_allclose(result[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)
    np.testing.assert_allclose(  # one channels-first image (3, 1, 1): axis 0 holds the channels
        imagenet_utils.preprocess_input(np.ones((3, 1, 1), "float32"), data_format="channels_first")[:, 0, 0],
        [1 - 103.939, 1 - 116.779, 1 - 123.68], rtol=1e-6,
    )


def test_torch_mode_normalizes_each_channel():
    images = np.full((2, 1, 1, 3), 255.0, dtype="float32")
    result = imagenet_utils.preprocess_input(images, mode="torch")
    expected = (1.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(result[1, 0, 0], expected, rtol=1e-6)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_tensors_and_arrays_agree(mode, rng):
    images = rng.integers(0, 256, size=(2, 3, 3, 3)).astype("float32")
    expected = imagenet_utils.preprocess_input(images.copy(), mode=mode)
    received = imagenet_utils.preprocess_input(torch.from_numpy(images.copy()), mode=mode)
    np.testing.assert_allclose(received.numpy(), expected, rtol=1e-6, atol=1e-5)
    integers = imagenet_utils.preprocess_input(torch.from_numpy(images.astype("uint8")), mode=mode)
    assert integers.dtype == torch.float32


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocessing_inside_a_model(mode, rng):
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, imagenet_utils.preprocess_input(inputs, mode=mode))
    images = rng.integers(0, 256, size=(2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        model.predict(images, verbose=0),
        imagenet_utils.preprocess_input(images.copy(), mode=mode),
        rtol=1e-6, atol=1e-5,
    )


def test_bad_mode_and_data_format():
    with pytest.raises(ValueError, match="mode=opencv"):
        imagenet_utils.preprocess_input(np.zeros((1, 1, 1, 3)), mode="opencv")
    with pytest.raises(ValueError, match="data_format=nhwc"):
        imagenet_utils.preprocess_input(np.zeros((1, 1, 1, 3)), data_format="nhwc")


def test_decode_predictions_reads_the_class_index_from_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    (tmp_path / "models").mkdir()
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [7, 3, 999]] = [0.5, 0.3, 0.2]
    preds[1, 42] = 1.0
    decoded = imagenet_utils.decode_predictions(preds, top=3)
    assert [entry[:2] for entry in decoded[0]] == [
        ("n00000007", "class_7"), ("n00000003", "class_3"), ("n00000999", "class_999")
    ]
    assert decoded[0][0][2] == pytest.approx(0.5)
    assert decoded[1][0][:2] == ("n00000042", "class_42")


def test_decode_predictions_without_the_class_index(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json") as info:
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    assert str(tmp_path / "models") in str(info.value)
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros((1, 10)))


def test_obtain_input_shape_rules():
    shape = imagenet_utils.obtain_input_shape
    assert shape(None, 224, 32, "channels_last", True) == (224, 224, 3)
    assert shape(None, 224, 32, "channels_last", False) == (None, None, 3)
    assert shape(None, 224, 32, "channels_first", False) == (3, None, None)
    assert shape((64, 48, 3), 224, 32, "channels_last", False) == (64, 48, 3)
    with pytest.raises(ValueError, match="at least 75x75"):
        shape((70, 80, 3), 299, 75, "channels_last", False)
    with pytest.raises(ValueError, match="static `input_shape`"):
        shape((None, None, 3), 224, 32, "channels_last", True)
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
        shape((64, 64, 3), 224, 32, "channels_last", True, weights="imagenet")
    with pytest.raises(ValueError, match="3 channels"):
        shape((64, 64, 1), 224, 32, "channels_last", False, weights="imagenet")
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        shape((64, 64, 5), 224, 32, "channels_last", False)


def test_correct_pad():
    assert imagenet_utils.correct_pad(keras.Input((32, 32, 3)), 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(keras.Input((33, 33, 3)), 5) == ((2, 2), (2, 2))
    assert imagenet_utils.correct_pad(keras.Input((None, None, 3)), (3, 3)) == ((0, 1), (0, 1))


def test_validate_activation():
    imagenet_utils.validate_activation("relu", None)
    imagenet_utils.validate_activation("softmax", "imagenet")
    imagenet_utils.validate_activation(None, "imagenet")
    with pytest.raises(ValueError, match="classifier_activation=relu"):
        imagenet_utils.validate_activation("relu", "imagenet")
