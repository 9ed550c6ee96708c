"""Keras 2 spellings Keras 3 rejects, with their Keras 2 meaning: lr/decay, input_dim,
batch_input_shape, the loss and metric aliases."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish
from kerasish import layers


def test_lr_and_time_based_decay():
    model = kerasish.Sequential([layers.Dense(1, use_bias=False, kernel_initializer="zeros", input_dim=1)])
    model.compile(kerasish.optimizers.SGD(lr=0.1, decay=1.0), "mse")
    x, y = np.ones((1, 1), "float32"), np.ones((1, 1), "float32")
    model.train_on_batch(x, y)  # gradient -2, lr 0.1 / (1 + 1 * 0): w = 0.2
    model.train_on_batch(x, y)  # gradient -1.6, lr 0.1 / (1 + 1 * 1) = 0.05: w = 0.28
    np.testing.assert_allclose(model.get_weights()[0], [[0.28]], rtol=1e-6)
    assert model.optimizer.get_config()["decay"] == 1.0


def test_input_dim_and_batch_input_shape():
    model = kerasish.Sequential([layers.Dense(2, input_dim=3), layers.Dense(1)])
    assert model.input_shape == (None, 3)
    model = kerasish.Sequential([layers.Dense(2, batch_input_shape=(4, 3))])
    assert model.input_shape == (4, 3)


@pytest.mark.parametrize(
    "loss", ["mse", "mae", "mape", "msle", "kld", "logcosh", "kullback_leibler_divergence"]
)
def test_loss_and_metric_aliases(loss):
    model = kerasish.Sequential([layers.Dense(2, activation="softmax", input_dim=3)])
    model.compile("sgd", loss, metrics=[loss, "acc"])
    x = np.random.default_rng(0).uniform(size=(8, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[np.arange(8) % 2]
    history = model.fit(x, y, epochs=1, verbose=0)
    assert "acc" in history.history and np.isfinite(history.history["loss"][0])
    assert len(history.history) == 3


def test_lowercase_object_spellings_and_get_uid():
    from kerasish import backend as K

    dense = layers.Dense(
        2,
        kernel_initializer=kerasish.initializers.he_normal(seed=1),
        kernel_regularizer=kerasish.regularizers.l2(0.01),
        kernel_constraint=kerasish.constraints.max_norm(2.0),
    )
    assert type(dense.kernel_initializer) is kerasish.initializers.HeNormal
    assert kerasish.regularizers.l1_l2 is kerasish.regularizers.L1L2
    assert kerasish.constraints.non_neg is kerasish.constraints.NonNeg
    K.clear_session()
    assert (K.get_uid("block"), K.get_uid("block"), K.get_uid("other")) == (1, 2, 1)
    K.clear_session()
    assert K.get_uid("block") == 1
