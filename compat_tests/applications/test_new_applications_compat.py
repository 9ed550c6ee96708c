"""MobileNetV3, EfficientNetV2, ConvNeXt, InceptionResNetV2 and NASNet side by side with Keras 3.

Each case builds the model in Keras 3 and in kerasish with ``weights=None``, gives Keras' batch
norms non-trivial statistics (fresh ones are the identity, which would hide a mix-up), copies
Keras' weights into kerasish's model with ``set_weights`` and compares: layer names and classes
in order, every weight's layer/name and shape, parameter counts and eval-mode predictions.

Arithmetic on tensors (MobileNetV3's hard sigmoid, ConvNeXt's residual ``inputs + x``) is an
operation outside ``model.layers`` in Keras 3 and an op layer in kerasish, so kerasish's op
layers are left out of the layer comparison. Keras 3 prefixes NASNet's weight paths with name
scopes; weights are compared by their last two path parts (layer, weight).

Keras 3.15 refuses ``NASNetMobile`` on the torch backend; the reference is its ``NASNet`` with
NASNetMobile's arguments. The default run covers the smallest variant of each family at a small
input; the rest are ``slow``.
"""

import importlib

import h5py
import numpy as np
import pytest

import kerasish
from kerasish import applications
from kerasish.ops.op_layer import TFOpLambda

DEFAULT = [
    ("MobileNetV3Large", {"input_shape": (32, 32, 3), "include_top": False, "minimalistic": True,
                          "alpha": 0.75, "pooling": "max"}),
]
SLOW = [
    ("MobileNetV3Small", {"input_shape": (32, 32, 3), "classes": 5, "classifier_activation": None}),
    ("EfficientNetV2B0", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
    ("NASNetMobile", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
    ("MobileNetV3Large", {"input_shape": (64, 64, 3), "classes": 7, "alpha": 1.25}),
    ("MobileNetV3Small", {"input_shape": (48, 64, 3), "include_top": False, "minimalistic": True,
                          "include_preprocessing": False}),
    ("EfficientNetV2B1", {"input_shape": (32, 32, 3), "classes": 4}),
    ("EfficientNetV2B2", {"input_shape": (32, 32, 3), "include_top": False}),
    ("EfficientNetV2B3", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "max"}),
    ("EfficientNetV2S", {"input_shape": (32, 32, 3), "classes": 4}),
    ("EfficientNetV2M", {"input_shape": (32, 32, 3), "include_top": False,
                         "include_preprocessing": False}),
    ("EfficientNetV2L", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
    ("ConvNeXtTiny", {"input_shape": (32, 32, 3), "classes": 3}),
    ("ConvNeXtSmall", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
    ("ConvNeXtBase", {"input_shape": (32, 32, 3), "include_top": False,
                      "include_preprocessing": False}),
    ("ConvNeXtLarge", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "max"}),
    ("ConvNeXtXLarge", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
    ("InceptionResNetV2", {"input_shape": (75, 75, 3), "include_top": False, "pooling": "avg"}),
    ("InceptionResNetV2", {"input_shape": (75, 75, 3), "classes": 6}),
    ("NASNetMobile", {"input_shape": (40, 40, 3), "classes": 5}),
    ("NASNetLarge", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "max"}),
]
# Small instances of the families' own builders (``ConvNeXt``, ``EfficientNetV2``, ``NASNet``,
# public in both libraries), so the default run covers each family's blocks and layers quickly:
# ConvNeXt with stochastic depth (LayerScale, StochasticDepth, nested Sequential stems, residual
# operations), EfficientNetV2's B table at a quarter width, a NASNet-A of one cell per stack.
MINI = {
    "convnext": ("ConvNeXt", {"depths": [1, 1, 2, 1], "projection_dims": [8, 16, 24, 32],
                              "drop_path_rate": 0.3, "name": "convnext_mini", "classes": 3}),
    "efficientnet_v2": ("EfficientNetV2", {"width_coefficient": 0.25, "depth_coefficient": 0.3,
                                           "default_size": 224, "name": "efficientnetv2-b0",
                                           "include_top": False, "pooling": "avg"}),
    "nasnet": ("NASNet", {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8,
                          "skip_reduction": False, "default_size": 224, "classes": 4}),
}


_FAMILIES = {
    "MobileNetV3Small": "mobilenet_v3", "MobileNetV3Large": "mobilenet_v3",
    **{f"EfficientNetV2{v}": "efficientnet_v2" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    **{f"ConvNeXt{v}": "convnext" for v in ("Tiny", "Small", "Base", "Large", "XLarge")},
    "InceptionResNetV2": "inception_resnet_v2", "NASNetMobile": "nasnet", "NASNetLarge": "nasnet",
}


def _keras_reference(name, kwargs):
    import keras

    if name == "NASNet":
        from keras.src.applications import nasnet

        return nasnet.NASNet(weights=None, **kwargs)
    if name == "NASNetMobile":
        from keras.src.applications import nasnet

        kwargs = {"input_shape": (224, 224, 3), **kwargs}
        return nasnet.NASNet(
            penultimate_filters=1056, num_blocks=4, stem_block_filters=32, skip_reduction=False,
            filter_multiplier=2, default_size=224, name="nasnet_mobile", weights=None, **kwargs,
        )
    return getattr(keras.applications, name)(weights=None, **kwargs)


def _nontrivial_batch_norm(model, rng) -> None:
    """Non-trivial statistics whose scale ``gamma / sqrt(variance)`` stays in [0.7, 1]: deep
    networks (hundreds of batch norms) then keep outputs of order 1-100 instead of growing
    until float32 rounding alone exceeds the tolerance."""
    import keras

    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            size = layer.moving_variance.shape
            variance = rng.uniform(0.5, 1.5, size)
            values = {
                "gamma": np.sqrt(variance) * rng.uniform(0.7, 1.0, size),
                "beta": rng.normal(0.0, 0.1, size),
                "moving_mean": rng.normal(0.0, 0.2, size),
                "moving_variance": variance,
            }
            layer.set_weights([values[w.path.rsplit("/", 1)[-1]].astype("float32") for w in layer.weights])


def _layers(model):
    return [(layer.name, type(layer).__name__) for layer in model.layers[1:]
            if not isinstance(layer, TFOpLambda)]


def _weights(model):
    return [(tuple(w.path.split("/")[-2:]), tuple(w.shape)) for w in model.weights]


def _assert_same_model(reference, ours, images, atol):
    # Input layers follow each library's naming ("input_layer" in Keras 3, "input_1" here).
    assert _layers(ours) == _layers(reference)
    assert _weights(ours) == _weights(reference)
    assert ours.name == reference.name
    assert ours.count_params() == reference.count_params()
    assert len(ours.trainable_weights) == len(reference.trainable_weights)
    assert tuple(ours.output_shape) == tuple(reference.output_shape)
    expected = reference.predict(images, verbose=0)
    received = ours.predict(images, verbose=0)
    assert np.abs(expected).max() > 1e-2  # not two near-zero outputs
    np.testing.assert_allclose(received, expected, atol=atol, rtol=1e-5)


def _side_by_side(build_reference, build_ours, input_shape, rng, atol=1e-4, batch=2,
                  preprocess=None):
    reference = build_reference()
    _nontrivial_batch_norm(reference, rng)
    ours = build_ours()
    ours.set_weights(reference.get_weights())
    images = (rng.random((batch,) + input_shape) * 255).astype("float32")
    if preprocess is not None:  # [-1, 1] for the families that expect it: moderate outputs
        images = preprocess(images)
    _assert_same_model(reference, ours, images, atol)
    return reference, ours, images


def _application_case(name, kwargs, rng, batch=2):
    preprocess = getattr(applications, _FAMILIES[name]).preprocess_input
    if not kwargs.get("include_preprocessing", True):
        # The documented input range without the model's own preprocessing. (Raw [0, 255]
        # pixels make the deepest ones chaotic: Keras itself is then 10 away from float64.)
        def preprocess(images):
            return images / 127.5 - 1

    return _side_by_side(
        lambda: _keras_reference(name, kwargs),
        lambda: getattr(applications, name)(weights=None, **kwargs),
        kwargs["input_shape"], rng, batch=batch, preprocess=preprocess,
    )


@pytest.mark.parametrize("name, kwargs", DEFAULT, ids=[case[0] for case in DEFAULT])
def test_application_matches_keras(name, kwargs, rng):
    _application_case(name, kwargs, rng)


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs", SLOW, ids=[f"{c[0]}-{i}" for i, c in enumerate(SLOW)])
def test_larger_application_matches_keras(name, kwargs, rng):
    _application_case(name, kwargs, rng)


def _cross_load(reference, ours, images, tmp_path):
    """Keras 3's ``.keras`` file into kerasish, and kerasish's into Keras 3."""
    import keras

    reference.save(str(tmp_path / "keras.keras"))
    loaded = kerasish.models.load_model(str(tmp_path / "keras.keras"), compile=False)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), reference.predict(images, verbose=0),
                               atol=1e-4, rtol=1e-5)
    ours.save(str(tmp_path / "kerasish.keras"))
    theirs = keras.models.load_model(str(tmp_path / "kerasish.keras"), compile=False)
    assert _layers(loaded) == _layers(ours)
    assert [layer.name for layer in theirs.layers[1:]] == [layer.name for layer in reference.layers[1:]]
    np.testing.assert_allclose(theirs.predict(images, verbose=0), ours.predict(images, verbose=0),
                               atol=1e-4, rtol=1e-5)


def _mini(family, library):
    builder, kwargs = MINI[family]
    if library == "keras":
        module = importlib.import_module(f"keras.src.applications.{family}")
    else:
        module = getattr(applications, family)
    return getattr(module, builder)(weights=None, input_shape=(32, 32, 3), **kwargs)


@pytest.mark.parametrize("family", sorted(MINI))
def test_family_blocks_match_keras_and_files_cross_load(family, tmp_path, rng):
    reference, ours, images = _side_by_side(
        lambda: _mini(family, "keras"), lambda: _mini(family, "kerasish"), (32, 32, 3), rng,
        preprocess=getattr(applications, family).preprocess_input,
    )
    _cross_load(reference, ours, images, tmp_path)


def test_convnext_has_keras_own_layers(rng):
    kinds = {type(layer).__name__ for layer in _mini("convnext", "kerasish").layers}
    assert {"LayerScale", "StochasticDepth", "Sequential", "Normalization"} <= kinds


def test_mobilenet_v3_keras_files_cross_load(tmp_path, rng):
    kwargs = {"input_shape": (32, 32, 3), "classes": 5, "alpha": 0.75}
    _cross_load(*_application_case("MobileNetV3Small", kwargs, rng), tmp_path)


CROSS_LOAD = [
    ("EfficientNetV2B0", {"input_shape": (32, 32, 3), "include_top": False}, 2),
    ("NASNetMobile", {"input_shape": (32, 32, 3), "include_top": False}, 2),
    ("ConvNeXtTiny", {"input_shape": (32, 32, 3), "include_top": False}, 2),
    ("InceptionResNetV2", {"input_shape": (75, 75, 3), "include_top": False}, 1),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs, batch", CROSS_LOAD, ids=[c[0] for c in CROSS_LOAD])
def test_keras_files_cross_load(name, kwargs, batch, tmp_path, rng):
    _cross_load(*_application_case(name, kwargs, rng, batch), tmp_path)


def test_inception_resnet_blocks_match_keras_and_cross_load(tmp_path, rng):
    """InceptionResNetV2's three residual blocks (``CustomScaleLayer``) on a small input."""
    import keras
    from keras.src.applications import inception_resnet_v2 as keras_irv2

    def build(library, module):
        inputs = library.Input((8, 8, 16))
        x = module.inception_resnet_block(inputs, 0.17, "block35", 1)
        x = module.inception_resnet_block(x, 0.1, "block17", 1)
        x = module.inception_resnet_block(x, 1.0, "block8", 10, activation=None)
        return library.Model(inputs, x, name="blocks")

    reference = build(keras, keras_irv2)
    _nontrivial_batch_norm(reference, rng)
    ours = build(kerasish, applications.inception_resnet_v2)
    ours.set_weights(reference.get_weights())
    images = rng.normal(size=(2, 8, 8, 16)).astype("float32")
    _assert_same_model(reference, ours, images, 1e-5)
    _cross_load(reference, ours, images, tmp_path)


def _write_keras2_weights(reference, path) -> None:
    """The Keras 2 HDF5 layout of Keras' published ImageNet files (loaded by layer order)."""
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)


def _with_hash(table, key, position, file_hash):
    entry = list(table[key])
    entry[position] = file_hash
    return {**table, key: tuple(entry)}


# (builder, arguments, Keras' cache file name, family module, its table, key, hash position).
FROM_CACHE = [
    ("MobileNetV3Small", {"include_top": False, "input_shape": (224, 224, 3)},
     "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5", "mobilenet_v3", "WEIGHTS_HASHES",
     "small_224_1.0_float", 1),
    ("EfficientNetV2B0", {"include_top": False, "input_shape": (32, 32, 3)},
     "efficientnetv2-b0_notop.h5", "efficientnet_v2", "WEIGHTS_HASHES", "b0", 1),
    # NASNet-A's file depends on its default size only: a small one asks for NASNetMobile's.
    ("NASNet", {**MINI["nasnet"][1], "include_top": False, "input_shape": (32, 32, 3)},
     "nasnet_mobile_no_top.h5", "nasnet", "WEIGHT_FILES", (224, False), 2),
]
FROM_CACHE_SLOW = [
    ("ConvNeXtTiny", {"include_top": False, "input_shape": (32, 32, 3)},
     "convnext_tiny_notop.h5", "convnext", "WEIGHTS_HASHES", "convnext_tiny", 1),
    ("InceptionResNetV2", {"include_top": False, "input_shape": (75, 75, 3)},
     "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "inception_resnet_v2",
     "WEIGHT_FILES", False, 1),
    ("NASNetMobile", {"include_top": False, "input_shape": (32, 32, 3)},
     "nasnet_mobile_no_top.h5", "nasnet", "WEIGHT_FILES", (224, False), 2),
]


def _imagenet_from_cache(name, kwargs, file_name, module, table, key, position, tmp_path, rng,
                         monkeypatch):
    """Keras' file name in the Keras cache folder, in the Keras 2 HDF5 layout of the published
    files, checked against the hash in Keras' table (here: the test file's own hash), then
    loaded by layer order (with or without op layers in between)."""
    import hashlib

    reference = _keras_reference(name, kwargs)
    _nontrivial_batch_norm(reference, rng)
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / file_name
    _write_keras2_weights(reference, path)
    family = getattr(applications, module)
    file_hash = hashlib.new("sha256" if module == "convnext" else "md5", path.read_bytes()).hexdigest()
    monkeypatch.setattr(family, table, _with_hash(getattr(family, table), key, position, file_hash))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    kerasish.backend.clear_session()
    ours = getattr(family, name)(weights="imagenet", **kwargs)
    images = family.preprocess_input((rng.random((1,) + kwargs["input_shape"]) * 255).astype("float32"))
    _assert_same_model(reference, ours, images, 1e-4)


@pytest.mark.parametrize("case", FROM_CACHE, ids=[case[0] for case in FROM_CACHE])
def test_imagenet_weights_load_from_the_keras_cache(case, tmp_path, rng, monkeypatch):
    _imagenet_from_cache(*case, tmp_path, rng, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("case", FROM_CACHE_SLOW, ids=[case[0] for case in FROM_CACHE_SLOW])
def test_larger_imagenet_weights_load_from_the_keras_cache(case, tmp_path, rng, monkeypatch):
    _imagenet_from_cache(*case, tmp_path, rng, monkeypatch)


@pytest.mark.parametrize("module, table", [
    ("mobilenet_v3", "WEIGHTS_HASHES"),
    ("efficientnet_v2", "WEIGHTS_HASHES"),
    ("convnext", "WEIGHTS_HASHES"),
    ("convnext", "MODEL_CONFIGS"),
    ("efficientnet_v2", "DEFAULT_BLOCKS_ARGS"),
])
def test_tables_are_keras_own(module, table):
    keras_module = importlib.import_module(f"keras.src.applications.{module}")
    ours = getattr(getattr(applications, module), table)
    theirs = getattr(keras_module, table)
    assert ours == theirs


def test_download_locations_are_keras_own():
    from keras.src.applications import convnext as kc
    from keras.src.applications import efficientnet_v2 as ke
    from keras.src.applications import inception_resnet_v2 as ki
    from keras.src.applications import mobilenet_v3 as km
    from keras.src.applications import nasnet as kn

    assert applications.mobilenet_v3.BASE_WEIGHT_PATH == km.BASE_WEIGHT_PATH
    assert applications.efficientnet_v2.BASE_WEIGHTS_PATH == ke.BASE_WEIGHTS_PATH
    assert applications.convnext.BASE_WEIGHTS_PATH == kc.BASE_WEIGHTS_PATH
    assert applications.inception_resnet_v2.BASE_WEIGHT_URL == ki.BASE_WEIGHT_URL
    origins = {kn.NASNET_MOBILE_WEIGHT_PATH, kn.NASNET_MOBILE_WEIGHT_PATH_NO_TOP,
               kn.NASNET_LARGE_WEIGHT_PATH, kn.NASNET_LARGE_WEIGHT_PATH_NO_TOP}
    ours = {applications.nasnet.BASE_WEIGHTS_PATH + remote
            for _, remote, _ in applications.nasnet.WEIGHT_FILES.values()}
    assert ours == origins


@pytest.mark.parametrize("module", ["mobilenet_v3", "efficientnet_v2", "convnext",
                                    "inception_resnet_v2", "nasnet"])
def test_each_family_preprocesses_as_keras(module, rng):
    keras_module = importlib.import_module(f"keras.applications.{module}")
    images = rng.integers(0, 256, size=(2, 4, 4, 3)).astype("uint8")
    expected = keras_module.preprocess_input(images.copy())
    received = getattr(applications, module).preprocess_input(images.copy())
    assert np.asarray(received).dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(received, expected, rtol=1e-6, atol=1e-5)


BUILDERS = [
    ("mobilenet_v3", "MobileNetV3Small"), ("mobilenet_v3", "MobileNetV3Large"),
    *[("efficientnet_v2", f"EfficientNetV2{v}") for v in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    *[("convnext", f"ConvNeXt{v}") for v in ("Tiny", "Small", "Base", "Large", "XLarge")],
    ("inception_resnet_v2", "InceptionResNetV2"), ("nasnet", "NASNetMobile"), ("nasnet", "NASNetLarge"),
]


@pytest.mark.parametrize("module, name", BUILDERS, ids=[b[1] for b in BUILDERS])
def test_signatures_are_keras_own(module, name):
    import inspect

    import keras

    ours = getattr(getattr(applications, module), name)
    assert getattr(applications, name) is ours
    theirs = getattr(keras.applications, name)
    assert [(p.name, p.default) for p in inspect.signature(ours).parameters.values()] == [
        (p.name, p.default) for p in inspect.signature(theirs).parameters.values()
    ]


def _error(build):
    with pytest.raises(Exception) as info:
        build()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("name, kwargs", [
    ("MobileNetV3Small", {"weights": "imagenet", "alpha": 0.5, "include_top": False}),
    ("MobileNetV3Large", {"weights": "imagenet", "minimalistic": True, "alpha": 0.75}),
    ("MobileNetV3Small", {"weights": None, "input_shape": (16, 16, 3)}),
    ("MobileNetV3Small", {"weights": "missing.h5"}),
    ("MobileNetV3Large", {"weights": "imagenet", "classes": 10}),
    ("InceptionResNetV2", {"weights": "missing.h5"}),
    ("NASNetLarge", {"weights": "missing.h5"}),
    ("EfficientNetV2M", {"weights": "missing.h5"}),
    ("EfficientNetV2B0", {"weights": "imagenet", "classes": 10}),
    ("EfficientNetV2B0", {"weights": None, "name": "my_net"}),
    ("EfficientNetV2S", {"weights": None, "input_shape": (16, 16, 3), "include_top": False}),
    ("ConvNeXtTiny", {"weights": "imagenet", "classes": 10}),
    ("ConvNeXtTiny", {"weights": "missing.h5"}),
    ("InceptionResNetV2", {"weights": None, "input_shape": (64, 64, 3), "include_top": False}),
    ("InceptionResNetV2", {"weights": "imagenet", "input_shape": (75, 75, 3)}),
    ("NASNetLarge", {"weights": "imagenet", "input_shape": (None, None, 3), "include_top": False}),
    ("NASNetLarge", {"weights": "imagenet", "classes": 3}),
])
def test_argument_errors_are_keras_own(name, kwargs):
    import keras

    expected = _error(lambda: getattr(keras.applications, name)(**kwargs))
    received = _error(lambda: getattr(applications, name)(**kwargs))
    assert received == expected
