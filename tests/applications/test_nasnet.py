"""NASNetMobile/NASNetLarge: Keras 3's cells, arguments, errors and weight files.

Parameter counts are Keras 3.15's for the same arguments (compat_tests/applications compares
whole models side by side).
"""

import numpy as np
import pytest

import kerasish as keras
from kerasish.applications import nasnet
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
    """A NASNet-A with one normal cell per stack and 96 penultimate filters."""
    arguments = {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8,
                 "skip_reduction": False, "default_size": 224, "weights": None,
                 "input_shape": (32, 32, 3), **kwargs}
    return nasnet.NASNet(**arguments)


def test_small_network_structure():
    model = _mini(classes=4)
    assert model.count_params() == 27_314
    assert len(model.layers) == 363
    names = [layer.name for layer in model.layers]
    assert names[1:4] == ["stem_conv1", "stem_bn1", "activation"]
    assert {"reduction_concat_stem_1", "reduction_concat_stem_2", "normal_concat_0",
            "reduction_concat_reduce_1", "normal_concat_2", "reduction_concat_reduce_2",
            "normal_concat_3", "adjust_avg_pool_1_stem_2", "adjust_avg_pool_2_0",
            "adjust_conv_projection_reduce_2"} <= set(names)
    assert names[-2:] == ["global_average_pooling2d", "predictions"]
    assert model.name == "NASNet" and model.output_shape == (None, 4)


def test_mobile_network():
    model = nasnet.NASNetMobile(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert model.count_params() == 4_269_716
    assert model.name == "nasnet_mobile"
    assert model.output_shape == (None, 1, 1, 1056)


def test_mobile_without_top_defaults_to_224_pixels(monkeypatch):
    seen = {}
    monkeypatch.setattr(nasnet, "NASNet", lambda input_shape, **kwargs: seen.update(
        kwargs, input_shape=input_shape))
    nasnet.NASNetMobile(weights=None, include_top=False)
    assert seen["input_shape"] == (224, 224, 3) and seen["default_size"] == 224
    assert (seen["penultimate_filters"], seen["num_blocks"], seen["skip_reduction"]) == (1056, 4, False)
    nasnet.NASNetLarge(weights=None, include_top=False)
    assert seen["input_shape"] is None and seen["default_size"] == 331
    assert (seen["penultimate_filters"], seen["num_blocks"], seen["skip_reduction"]) == (4032, 6, True)


def test_errors():
    with pytest.raises(ValueError, match="must be a multiple of 24 \\* \\(`filter_multiplier` \\*\\* 2\\)"):
        _mini(penultimate_filters=100)
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        nasnet.NASNetLarge(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="input_shape argument must be static"):
        nasnet.NASNetMobile(weights="imagenet", include_top=False, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="ImageNet weights can only be loaded with NASNetLarge"):
        _mini(weights="imagenet", default_size=96, include_top=False)
    keras.backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="NASNet does not support the `channels_first`"):
            nasnet.NASNetMobile(weights=None)
    finally:
        keras.backend.set_image_data_format("channels_last")


@pytest.mark.parametrize("default_size, include_top, file_name, remote, file_hash", [
    (224, True, "nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
    (224, False, "nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5",
     "1ed92395b5b598bdda52abe5c0dbfd63"),
    (331, True, "nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
    (331, False, "nasnet_large_no_top.h5", "NASNet-large-no-top.h5",
     "d81d89dc07e6e56530c4e77faddd61b5"),
])
def test_imagenet_weights_are_keras_files(default_size, include_top, file_name, remote, file_hash,
                                          monkeypatch):
    """Keras' cache names, URLs (named differently) and md5 hashes, as in
    keras/src/applications/nasnet.py (on a small NASNet: the file depends on the size only)."""
    fname, origin, options = _requested_download(monkeypatch, lambda: _mini(
        weights="imagenet", default_size=default_size, include_top=include_top,
        input_shape=None if include_top else (32, 32, 3),
    ))
    assert fname == file_name
    assert origin == "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/" + remote
    assert options == {"cache_subdir": "models", "file_hash": file_hash}


def test_preprocess_input_scales_to_minus_one_one():
    np.testing.assert_allclose(nasnet.preprocess_input(np.array([[0.0, 127.5, 255.0]])), [[-1.0, 0.0, 1.0]])
