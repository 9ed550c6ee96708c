"""install_as_keras: keras / tensorflow.keras / tf_keras resolve to kerasish; the tensorflow
stub names what it lacks; uninstall restores sys.modules."""

from __future__ import annotations

import importlib
import sys
import types

import pytest

import kerasish
from kerasish.compat import import_hook
from kerasish.compat.tensorflow_stub import TensorFlowFeatureError


@pytest.fixture
def hook():
    sentinel = types.ModuleType("keras")
    previous = sys.modules.get("keras")
    sys.modules["keras"] = sentinel  # stands for a real keras imported before
    try:
        with pytest.warns(UserWarning, match="were already imported"):
            kerasish.install_as_keras()
        yield
    finally:
        import_hook.uninstall()
        assert sys.modules["keras"] is sentinel
        if previous is None:
            del sys.modules["keras"]
        else:
            sys.modules["keras"] = previous
    assert not import_hook.is_installed()


def test_modules_resolve_to_kerasish(hook):
    import keras
    from keras.layers import Dense
    from keras.models import Sequential
    from tensorflow.keras import layers
    from tensorflow.keras.models import Model

    assert Dense is kerasish.layers.Dense and Sequential is kerasish.Sequential
    assert layers.Conv2D is kerasish.layers.Conv2D and Model is kerasish.Model
    assert keras.layers.LSTM is kerasish.layers.LSTM
    assert importlib.import_module("tf_keras.optimizers").Adam is kerasish.optimizers.Adam
    assert importlib.import_module("tensorflow.python.keras.layers").Dense is Dense
    # kerasish's own modules are untouched.
    assert kerasish.layers.__name__ == "kerasish.layers"
    assert kerasish.layers.__spec__.name == "kerasish.layers"


def test_keras2_module_paths(hook):
    from keras.engine import InputSpec, Layer, Network
    from keras.engine.topology import Input
    from keras.engine.training import Model
    from keras.layers.convolutional import Conv2D, ZeroPadding2D
    from keras.layers.core import Dense, Lambda
    from keras.layers.recurrent import LSTM
    from keras.preprocessing.image import ImageDataGenerator
    from keras.preprocessing.sequence import pad_sequences
    from keras.preprocessing.text import Tokenizer
    from keras.utils.generic_utils import CustomObjectScope
    from keras.utils.np_utils import to_categorical

    assert Lambda is kerasish.layers.Lambda and ZeroPadding2D is kerasish.layers.ZeroPadding2D
    assert Network is kerasish.models.Functional and Model is kerasish.Model
    assert to_categorical is kerasish.utils.to_categorical
    assert pad_sequences is kerasish.utils.pad_sequences
    assert {Input, Layer, InputSpec, Conv2D, Dense, LSTM, ImageDataGenerator, Tokenizer, CustomObjectScope}
    import keras

    assert keras.layers.core is sys.modules["keras.layers.core"]  # attribute == import
    assert keras.backend.image_data_format() == "channels_last"
    assert keras.datasets.mnist.load_data is kerasish.datasets.mnist.load_data


def test_star_import_and_dir(hook):
    namespace: dict = {}
    exec("from keras.layers import *", namespace)
    assert namespace["Dense"] is kerasish.layers.Dense
    import keras.layers

    assert "Dense" in dir(keras.layers)


def test_missing_modules_and_attributes_are_named(hook):
    import keras

    with pytest.raises(ModuleNotFoundError, match="kerasish stands in for keras and does not provide 'keras.estimator'"):
        importlib.import_module("keras.estimator")
    with pytest.raises(AttributeError, match="module 'keras.layers' has no attribute 'Nope'"):
        keras.layers.Nope


def test_tensorflow_stub(hook):
    import tensorflow as tf

    assert tf.keras.layers.Dense is kerasish.layers.Dense
    assert tf.__version__.startswith("2.")
    with pytest.raises(NotImplementedError, match="kerasish provides tf.keras only; tf.constant needs TensorFlow"):
        tf.constant(1.0)
    with pytest.raises(TensorFlowFeatureError):
        tf.data
    assert not hasattr(tf, "Session")
    with pytest.raises(ImportError, match="tf.compat needs TensorFlow"):
        importlib.import_module("tensorflow.compat.v1")
    with pytest.raises(ImportError, match="tf.random needs TensorFlow"):
        exec("from tensorflow import random", {})


def test_install_is_idempotent(hook):
    kerasish.install_as_keras()
    assert sys.meta_path.count(import_hook._FINDER) == 1
