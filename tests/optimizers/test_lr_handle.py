"""Keras 2's K.set_value / K.get_value on optimizer.lr, and tf.keras' optimizer.lr.assign."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import kerasish
from kerasish import backend as K


def test_set_value_changes_the_optimizer():
    optimizer = kerasish.optimizers.Adam(lr=0.01)
    assert K.get_value(optimizer.lr) == pytest.approx(0.01)
    K.set_value(optimizer.lr, 0.5)
    assert optimizer.learning_rate == pytest.approx(0.5)
    optimizer.learning_rate.assign(0.25)
    assert float(optimizer.lr) == pytest.approx(0.25) and optimizer.lr * 2 == pytest.approx(0.5)
    optimizer.lr = 0.125
    assert K.eval(optimizer.learning_rate) == pytest.approx(0.125)


def test_handle_is_a_plain_float_when_copied():
    handle = kerasish.optimizers.SGD(0.1).lr
    for copied in (pickle.loads(pickle.dumps(handle)), copy.deepcopy(handle)):
        assert type(copied) is float and copied == pytest.approx(0.1)


def test_new_rate_is_used_by_the_next_step():
    model = kerasish.Sequential([kerasish.layers.Dense(1, use_bias=False, kernel_initializer="zeros", input_shape=(1,))])
    model.compile(kerasish.optimizers.SGD(lr=1.0), "mse")
    x, y = np.ones((1, 1), "float32"), np.ones((1, 1), "float32")
    K.set_value(model.optimizer.lr, 0.1)
    model.train_on_batch(x, y)
    # d/dw (w - 1)^2 at w = 0 is -2: one step of 0.1 gives w = 0.2.
    np.testing.assert_allclose(model.get_weights()[0], [[0.2]], rtol=1e-6)
    assert isinstance(model.optimizer._learning_rate, torch.Tensor)
