"""Keras 1 argument names that Keras 2.2.5 accepted, with their Keras 2 meaning and warning."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish
from kerasish import layers
from kerasish.legacy.interfaces import Keras2APIWarning


def test_warning_is_a_user_and_deprecation_warning():
    assert issubclass(Keras2APIWarning, UserWarning) and issubclass(Keras2APIWarning, DeprecationWarning)
    with pytest.warns(Keras2APIWarning, match=r'Update your `Dense` call to the Keras 2 API: `Dense\(units=3, kernel_initializer="uniform"\)`') as record:
        dense = layers.Dense(output_dim=3, init="uniform")
    assert record[0].filename == __file__  # points at the caller
    assert dense.units == 3 and type(dense.kernel_initializer).__name__ == "RandomUniform"


def test_dense_weight_arguments():
    with pytest.warns(Keras2APIWarning):
        dense = layers.Dense(4, W_regularizer="l2", b_constraint="non_neg", bias=False)
    assert dense.kernel_regularizer is not None and dense.use_bias is False
    config = dense.get_config()
    assert config["units"] == 4 and "W_regularizer" not in config


def test_convolution2d_keras1_forms(monkeypatch):
    from kerasish.compat import import_hook

    # Library use keeps tf.keras/Keras 3's reading: the third positional argument is strides.
    assert layers.Conv2D(8, 3, 2).strides == (2, 2)
    monkeypatch.setattr(import_hook, "is_installed", lambda: True)  # as under `python -m kerasish`
    with pytest.warns(Keras2APIWarning, match=r"Conv2D\(8, \(3, 5\), strides=\(2, 2\), padding=\"same\", data_format=\"channels_last\"\)"):
        conv = layers.Convolution2D(8, 3, 5, border_mode="same", subsample=(2, 2), dim_ordering="tf")
    assert (conv.kernel_size, conv.strides, conv.padding) == ((3, 5), (2, 2), "same")
    with pytest.warns(Keras2APIWarning):
        assert layers.Conv2D(8, nb_row=2, nb_col=3).kernel_size == (2, 3)
    with pytest.warns(Keras2APIWarning):
        assert layers.Conv2D(8, 2, nb_col=4).kernel_size == (2, 4)
    with pytest.warns(Keras2APIWarning):
        assert layers.Conv3D(2, 1, 2, 3).kernel_size == (1, 2, 3)
    # With a Keras 2 keyword the third positional argument keeps its Keras 2/3 meaning.
    conv = layers.Conv2D(8, 3, 2, padding="same")
    assert conv.kernel_size == (3, 3) and conv.strides == (2, 2)


def test_conv1d_and_recurrent_input_dim():
    with pytest.warns(Keras2APIWarning):
        conv = layers.Conv1D(nb_filter=4, filter_length=3, input_dim=7, input_length=10, border_mode="same")
    assert conv.filters == 4 and conv.kernel_size == (3,) and conv._batch_input_shape == (None, 10, 7)
    with pytest.warns(Keras2APIWarning) as record:
        lstm = layers.LSTM(output_dim=6, input_dim=3, input_length=4, forget_bias_init="one",
                           inner_activation="sigmoid", dropout_W=0.1, dropout_U=0.2, consume_less="gpu")
    assert (lstm.units, lstm.unit_forget_bias, lstm.dropout, lstm.recurrent_dropout) == (6, True, 0.1, 0.2)
    assert lstm._batch_input_shape == (None, 4, 3)
    messages = [str(w.message) for w in record]
    assert any("The `input_dim` and `input_length` arguments in recurrent layers" in m for m in messages)
    assert any("implementation=2" in m for m in messages)  # consume_less="gpu"
    with pytest.warns(Keras2APIWarning, match="`forget_bias_init` argument has been ignored"):
        layers.GRU(2, forget_bias_init="zero")


def test_other_layers():
    with pytest.warns(Keras2APIWarning):
        assert layers.Dropout(p=0.25).rate == 0.25
    with pytest.warns(Keras2APIWarning):
        pool = layers.MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert (pool.pool_size, pool.strides, pool.padding) == ((3,), (1,), "same")
    with pytest.warns(Keras2APIWarning):
        assert layers.MaxPooling2D(dim_ordering="th").data_format == "channels_first"
    with pytest.warns(Keras2APIWarning) as record:
        embedding = layers.Embedding(10, 4, init="uniform", dropout=0.5)
    assert [str(w.message)[:44] for w in record] == [
        "The `dropout` argument is no longer support ",
        'Update your `Embedding` call to the Keras 2 ',
    ]
    assert type(embedding.embeddings_initializer).__name__ == "RandomUniform"
    with pytest.warns(Keras2APIWarning):
        assert layers.GaussianNoise(sigma=0.3).stddev == 0.3
    with pytest.warns(Keras2APIWarning):
        assert layers.ZeroPadding2D(padding={"top_pad": 1, "right_pad": 2}).padding == ((1, 0), (0, 2))
    with pytest.warns(Keras2APIWarning):
        bn = layers.BatchNormalization(mode=0, gamma_init="zeros")
    assert type(bn.gamma_initializer).__name__ == "Zeros"
    with pytest.raises(TypeError, match="`mode=1` and `mode=2` are no longer supported"):
        layers.BatchNormalization(mode=1)
    with pytest.raises(TypeError, match="received both the legacy keyword argument `output_dim` and the Keras 2 keyword argument `units`"):
        layers.Dense(3, output_dim=3, units=3)


def test_numpy_integers_are_ints_and_plain_calls_do_not_warn(recwarn):
    dense = layers.Dense(np.max(np.array([1, 4])) + 1)
    assert dense.units == 5 and type(dense.units) is int
    layers.Embedding(np.int64(10), np.int32(3))
    layers.Conv2D(4, (3, 3), padding="same")
    assert not [w for w in recwarn if issubclass(w.category, Keras2APIWarning)]


def test_model_and_training_methods():
    x = kerasish.Input((3,))
    y = layers.Dense(1)(x)
    with pytest.warns(Keras2APIWarning, match="Update your `Model` call"):
        model = kerasish.Model(input=x, output=y)
    assert isinstance(model, kerasish.models.Functional)
    model.compile("sgd", "mse")
    data = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    with pytest.warns(Keras2APIWarning, match="The `nb_epoch` argument in `fit` has been renamed `epochs`"):
        history = model.fit(*data, nb_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 2

    def batches():
        while True:
            yield data

    with pytest.warns(Keras2APIWarning) as record:
        history = model.fit_generator(batches(), samples_per_epoch=3, nb_epoch=2, verbose=0)
    assert "not the same as the Keras 1 argument `samples_per_epoch`" in str(record[0].message)
    assert "`fit_generator(<generator..., verbose=0, steps_per_epoch=3, epochs=2)`" in str(record[1].message)
    assert len(history.history["loss"]) == 2
    flow = kerasish.preprocessing.image.ImageDataGenerator().flow(
        np.ones((8, 2, 2, 1)), np.ones(8), batch_size=4
    )
    assert flow.batch_size == 4  # samples_per_epoch // batch_size steps with such a generator
    with pytest.warns(Keras2APIWarning, match="steps_per_epoch=2"):
        conv = kerasish.Sequential([layers.Flatten(input_shape=(2, 2, 1)), layers.Dense(1)])
        conv.compile("sgd", "mse")
        conv.fit_generator(flow, samples_per_epoch=8, verbose=0)
    with pytest.warns(Keras2APIWarning):
        model.evaluate_generator(batches(), val_samples=2)
