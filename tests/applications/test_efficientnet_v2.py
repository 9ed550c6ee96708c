"""EfficientNetV2: Keras 3's block tables, preprocessing layers, arguments and weight files.

Parameter counts are Keras 3.15's for the same arguments (compat_tests/applications compares
whole models side by side).
"""

import numpy as np
import pytest

from kerasish import layers
from kerasish.applications import efficientnet_v2
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
    """EfficientNetV2's B table at a quarter of the width and a third of the depth."""
    return efficientnet_v2.EfficientNetV2(
        width_coefficient=0.25, depth_coefficient=0.3, default_size=224, weights=None,
        name="efficientnetv2-b0", input_shape=(32, 32, 3), **kwargs
    )


def test_small_network_structure():
    model = _mini(include_top=False, pooling="avg")
    assert model.count_params() == 161_002
    assert len(model.layers) == 108
    assert [type(layer).__name__ for layer in model.layers[1:5]] == [
        "Rescaling", "Normalization", "Conv2D", "BatchNormalization"
    ]
    names = [layer.name for layer in model.layers]
    # Fused blocks first (a kxk expansion, or the projection itself without expansion)...
    assert "block1a_project_activation" in names and "block2a_expand_conv" in names
    assert "block2a_dwconv2" not in names
    # ...then MBConv blocks with squeeze-and-excitation.
    assert "block4a_dwconv2" in names and "block4a_se_excite" in names
    assert model.get_layer("block1a_project_conv").kernel_size == (3, 3)
    assert model.output_shape == (None, 320)


def test_b_variants_normalize_with_imagenet_statistics_without_weights():
    normalization = _mini(include_top=False).layers[2]
    assert isinstance(normalization, layers.Normalization)
    assert normalization.weights == []  # mean and variance are constants, as in Keras
    x = np.full((1, 2, 2, 3), 255.0, "float32")
    expected = (1.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(
        normalization(layers.Rescaling(1 / 255)(x)).numpy()[0, 0, 0], expected, rtol=1e-5
    )


def test_s_m_l_rescale_to_minus_one_one_and_b_variants_share_a_block_table():
    model = efficientnet_v2.EfficientNetV2(
        width_coefficient=0.25, depth_coefficient=0.2, default_size=384, weights=None,
        name="efficientnetv2-s", input_shape=(32, 32, 3), include_top=False,
    )
    rescaling = model.layers[1]
    assert isinstance(rescaling, layers.Rescaling)
    assert not isinstance(model.layers[2], layers.Normalization)
    np.testing.assert_allclose(rescaling(np.array([[0.0, 128.0, 255.0]], "float32")).numpy(),
                               [[-1.0, 0.0, 255 / 128 - 1]])
    tables = efficientnet_v2.DEFAULT_BLOCKS_ARGS
    assert tables["efficientnetv2-b3"] == tables["efficientnetv2-b0"] != tables["efficientnetv2-s"]
    assert [stage["num_repeat"] for stage in tables["efficientnetv2-m"]] == [3, 5, 5, 7, 14, 18, 5]


@pytest.mark.parametrize("variant, expected", [
    ("EfficientNetV2B0", (1.0, 1.0, 224, "b0", "efficientnetv2-b0")),
    ("EfficientNetV2B1", (1.0, 1.1, 240, "b1", "efficientnetv2-b1")),
    ("EfficientNetV2B2", (1.1, 1.2, 260, "b2", "efficientnetv2-b2")),
    ("EfficientNetV2B3", (1.2, 1.4, 300, "b3", "efficientnetv2-b3")),
    ("EfficientNetV2S", (1.0, 1.0, 384, "-s", "efficientnetv2-s")),
    ("EfficientNetV2M", (1.0, 1.0, 480, "-m", "efficientnetv2-m")),
    ("EfficientNetV2L", (1.0, 1.0, 480, "-l", "efficientnetv2-l")),
])
def test_variants_scale_as_keras(variant, expected, monkeypatch):
    seen = {}
    monkeypatch.setattr(efficientnet_v2, "EfficientNetV2", lambda **kwargs: seen.update(kwargs))
    getattr(efficientnet_v2, variant)(weights=None, include_preprocessing=False)
    assert (seen["width_coefficient"], seen["depth_coefficient"], seen["default_size"],
            seen["weights_name"], seen["name"]) == expected
    assert seen["include_preprocessing"] is False


def test_without_preprocessing_or_with_other_channels_only_rescaling_is_skipped():
    model = _mini(include_top=False, include_preprocessing=False)
    assert model.layers[1].name == "stem_conv"
    model = efficientnet_v2.EfficientNetV2(
        width_coefficient=0.25, depth_coefficient=0.3, default_size=224, weights=None,
        name="efficientnetv2-b0", input_shape=(32, 32, 1), include_top=False,
    )
    rescaling = model.layers[1]
    assert isinstance(rescaling, layers.Rescaling) and rescaling.scale == 1.0 / 128.0


def test_top_and_dropout():
    model = _mini(classes=7, dropout_rate=0.5)
    assert [layer.name for layer in model.layers[-3:]] == ["avg_pool", "top_dropout", "predictions"]
    assert model.get_layer("top_dropout").rate == 0.5
    assert model.output_shape == (None, 7)


def test_round_filters_may_round_down_more_than_ten_percent():
    assert efficientnet_v2.round_filters(24, 0.25, 8, 8) == 8
    assert efficientnet_v2.round_filters(1280, 1.1, 8, 8) == 1408
    assert efficientnet_v2.round_repeats(15, 1.4) == 21


def test_errors():
    with pytest.raises(KeyError, match="my_net"):  # Keras looks the block table up by name
        efficientnet_v2.EfficientNetV2B0(weights=None, name="my_net")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        efficientnet_v2.EfficientNetV2B1(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        efficientnet_v2.EfficientNetV2B2(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="at least 32x32"):
        efficientnet_v2.EfficientNetV2B3(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="repeats in `EfficientNetV2` must be > 0"):
        efficientnet_v2.EfficientNetV2(
            1.0, 1.0, 224, weights=None, name="efficientnetv2-s", include_top=False,
            blocks_args=[{**efficientnet_v2.DEFAULT_BLOCKS_ARGS["efficientnetv2-s"][0], "num_repeat": 0}],
        )


@pytest.mark.parametrize("variant, include_top, file_name, file_hash", [
    ("b0", True, "efficientnetv2-b0.h5", "21ecbf6da12460d5c40bb2f29ceb2188"),
    ("b3", False, "efficientnetv2-b3_notop.h5", "f6abf7b5849ac99a89b50dd3fd532856"),
    ("-s", False, "efficientnetv2-s_notop.h5", "af0682fb74e8c54910f2d4393339c070"),
    ("-l", True, "efficientnetv2-l.h5", "27e6d408b53c7ebc868fefa357689935"),
])
def test_imagenet_weights_are_keras_files(variant, include_top, file_name, file_hash, monkeypatch):
    """Keras' file names, URLs and md5 hashes, as in keras/src/applications/efficientnet_v2.py
    (on a narrow, shallow instance: the file only depends on the name and the variant)."""
    fname, origin, options = _requested_download(monkeypatch, lambda: efficientnet_v2.EfficientNetV2(
        width_coefficient=0.25, depth_coefficient=0.2, default_size=224, weights="imagenet",
        name=f"efficientnetv2-{variant.lstrip('-')}", weights_name=variant,
        include_top=include_top, input_shape=None if include_top else (32, 32, 3),
    ))
    assert fname == file_name
    assert origin == "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/" + file_name
    assert options == {"cache_subdir": "models", "file_hash": file_hash}


def test_preprocess_input_is_the_identity():
    x = np.arange(6.0)
    assert efficientnet_v2.preprocess_input(x) is x
