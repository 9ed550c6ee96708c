"""keras.applications side by side: Keras 3 builds each model, kerasish loads Keras' weights.

For every application: build it with ``weights=None`` in Keras 3, give its BatchNormalization
layers non-trivial statistics (fresh ones are the identity, which would hide a mix-up), save
its weights, build kerasish's with ``weights=<that file>``, and compare layer names, layer
order, output shapes, parameter counts and predictions.

The default run covers InceptionV3 (seed 001 builds on it), MobileNet and MobileNetV2 at small
sizes; the larger models are marked ``slow`` (``pytest -m slow compat_tests/applications``).
"""

import os

import h5py
import numpy as np
import pytest

import kerasish
from kerasish import applications

# (application, keyword arguments): small inputs keep each case fast.
DEFAULT = [
    ("InceptionV3", {"include_top": False, "input_shape": (75, 75, 3)}),
    ("MobileNetV2", {"alpha": 0.35, "input_shape": (32, 32, 3), "classes": 6}),
    ("MobileNet", {"alpha": 0.25, "input_shape": (32, 32, 3), "classes": 6}),
]
SLOW = [
    ("ResNet50", {"input_shape": (32, 32, 3), "classes": 7}),
    # Outputs of ~200 after 33 / 50 residual additions: Keras and kerasish are each ~3e-4 from
    # a float64 evaluation of the same weights, so these two compare at 2e-3.
    ("ResNet101", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}, 2e-3),
    ("ResNet152", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "max"}, 2e-3),
    ("ResNet50V2", {"input_shape": (32, 32, 3), "classes": 5}),
    ("VGG16", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "max"}),
    ("VGG19", {"input_shape": (32, 32, 3), "classes": 5}),
    ("Xception", {"input_shape": (71, 71, 3), "classes": 4}),
    ("DenseNet121", {"input_shape": (32, 32, 3), "classes": 4}),
    ("EfficientNetB0", {"input_shape": (32, 32, 3), "classes": 3}),
    ("MobileNetV2", {"include_top": False, "input_shape": (96, 96, 3), "pooling": "avg"}),
    ("InceptionV3", {"input_shape": (75, 75, 3), "classes": 10, "classifier_activation": None}),
]


def _nontrivial_batch_norm(model, rng) -> None:
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            values = []
            for variable in layer.weights:
                shape, kind = tuple(variable.shape), variable.path.rsplit("/", 1)[-1]
                if kind in ("gamma", "moving_variance"):
                    values.append(rng.uniform(0.5, 1.5, shape))
                else:  # beta, moving_mean
                    values.append(rng.normal(0.0, 0.2, shape))
            layer.set_weights([v.astype("float32") for v in values])


def _keras_reference(name, kwargs, rng):
    import keras

    reference = getattr(keras.applications, name)(weights=None, **kwargs)
    _nontrivial_batch_norm(reference, rng)
    return reference


def _assert_same_model(reference, ours, inputs, atol=1e-4):
    # Input layers are named by each Keras' own convention (Keras 3 "input_layer", tf.keras
    # and kerasish "input_1"); every other layer has Keras' name, in Keras' order.
    assert [layer.name for layer in ours.layers[1:]] == [layer.name for layer in reference.layers[1:]]
    assert [type(layer).__name__ for layer in ours.layers] == [
        type(layer).__name__ for layer in reference.layers
    ]
    assert [tuple(layer.output.shape) for layer in ours.layers] == [
        tuple(layer.output.shape) for layer in reference.layers
    ]
    assert ours.name == reference.name
    assert ours.count_params() == reference.count_params()
    assert len(ours.trainable_weights) == len(reference.trainable_weights)
    assert len(ours.non_trainable_weights) == len(reference.non_trainable_weights)
    expected = reference.predict(inputs, verbose=0)
    received = ours.predict(inputs, verbose=0)
    assert np.abs(expected).max() > 1e-2  # the comparison is not between two near-zero maps
    # Deep unnormalized feature maps reach ~100: float32 summation order shows at 1e-6.
    np.testing.assert_allclose(received, expected, atol=atol, rtol=1e-5)


def _side_by_side(name, kwargs, tmp_path, rng, atol=1e-4):
    reference = _keras_reference(name, kwargs, rng)
    path = str(tmp_path / f"{name}.weights.h5")
    reference.save_weights(path)
    ours = getattr(applications, name)(weights=path, **kwargs)
    images = (rng.random((2,) + kwargs["input_shape"]) * 255).astype("float32")
    _assert_same_model(reference, ours, images, atol)
    return reference, ours


@pytest.mark.parametrize("name, kwargs", DEFAULT, ids=[case[0] for case in DEFAULT])
def test_application_matches_keras(name, kwargs, tmp_path, rng):
    _side_by_side(name, kwargs, tmp_path, rng)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW, ids=[f"{case[0]}-{i}" for i, case in enumerate(SLOW)])
def test_larger_application_matches_keras(case, tmp_path, rng):
    _side_by_side(*case[:2], tmp_path, rng, *case[2:])


def _write_keras2_weights(reference, path) -> None:
    """The Keras 2 HDF5 layout Keras' published ImageNet files use (loaded by layer order)."""
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)


def _imagenet_from_cache(name, kwargs, file_name, tmp_path, rng, monkeypatch):
    reference = _keras_reference(name, {**kwargs}, rng)
    (tmp_path / "models").mkdir()
    _write_keras2_weights(reference, tmp_path / "models" / file_name)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    kerasish.backend.clear_session()
    ours = getattr(applications, name)(weights="imagenet", **kwargs)
    images = (rng.random((2,) + kwargs["input_shape"]) * 255).astype("float32")
    _assert_same_model(reference, ours, images)


def test_imagenet_weights_load_from_the_keras_cache(tmp_path, rng, monkeypatch):
    _imagenet_from_cache(
        "MobileNetV2",
        {"alpha": 0.35, "include_top": False, "input_shape": (96, 96, 3)},
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5",
        tmp_path, rng, monkeypatch,
    )


@pytest.mark.slow
def test_inception_imagenet_weights_load_from_the_keras_cache(tmp_path, rng, monkeypatch):
    _imagenet_from_cache(
        "InceptionV3",
        {"include_top": False, "input_shape": (75, 75, 3)},
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        tmp_path, rng, monkeypatch,
    )


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(mode, data_format, rng):
    from keras.applications import imagenet_utils

    batch = rng.integers(0, 256, size=(2, 3, 5, 3)).astype("float32")
    for images in (batch, batch[0]):
        expected = imagenet_utils.preprocess_input(images.copy(), data_format, mode)
        received = applications.imagenet_utils.preprocess_input(images.copy(), data_format, mode)
        np.testing.assert_allclose(received, expected, rtol=1e-6, atol=1e-5)
        import torch

        tensor = applications.imagenet_utils.preprocess_input(
            torch.from_numpy(images.copy()), data_format, mode
        )
        np.testing.assert_allclose(tensor.numpy(), expected, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    "module", ["inception_v3", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "mobilenet",
               "mobilenet_v2", "xception", "densenet", "efficientnet"],
)
def test_each_family_preprocesses_as_keras(module, rng):
    import importlib

    keras_module = importlib.import_module(f"keras.applications.{module}")
    images = rng.integers(0, 256, size=(2, 4, 4, 3)).astype("uint8")
    expected = keras_module.preprocess_input(images.copy())
    received = getattr(applications, module).preprocess_input(images.copy())
    assert np.asarray(received).dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(received, expected, rtol=1e-6, atol=1e-5)


def test_the_cache_folder_is_keras_own():
    from keras.src.backend import config

    from kerasish.applications import weight_files

    # Same environment as when Keras was imported: the same folder.
    assert os.path.samefile(weight_files.keras_cache_dir(), config.keras_home())


@pytest.mark.parametrize("file_name", ["model.keras", "model.h5"])
def test_keras_loads_a_saved_kerasish_application(file_name, tmp_path, rng):
    import keras

    ours = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3), classes=4)
    path = str(tmp_path / file_name)
    ours.save(path)
    theirs = keras.models.load_model(path, compile=False)
    assert [layer.name for layer in theirs.layers[1:]] == [layer.name for layer in ours.layers[1:]]
    images = (rng.random((2, 32, 32, 3)) * 255).astype("float32")
    np.testing.assert_allclose(
        theirs.predict(images, verbose=0), ours.predict(images, verbose=0), atol=1e-5, rtol=0
    )
