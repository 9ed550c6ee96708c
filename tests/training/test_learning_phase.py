"""K.set_learning_phase with its Keras 2 meaning: it fixes the phase for fit/evaluate/predict."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish
from kerasish import backend as K


class _RecordMode(kerasish.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        if inputs.device.type != "meta":  # not shape inference
            self.seen.append(self.training if training is None else bool(training))
        return inputs


@pytest.fixture
def model():
    K.clear_session()
    recorder = _RecordMode()
    model = kerasish.Sequential([kerasish.layers.Dense(1, input_shape=(2,)), recorder])
    model.compile("sgd", "mse")
    yield model, recorder
    K.clear_session()


def test_default_phases(model):
    model, recorder = model
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert recorder.seen == [True, False]


def test_phase_zero_trains_in_inference_mode(model):
    model, recorder = model
    K.set_learning_phase(0)
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, verbose=0)
    model.train_on_batch(x, y)
    assert recorder.seen == [False, False]


def test_phase_one_predicts_in_training_mode_until_clear_session(model):
    model, recorder = model
    K.set_learning_phase(1)
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert recorder.seen == [True, True]
    K.clear_session()
    assert K.learning_phase() == 0
    model.predict(x, verbose=0)
    assert recorder.seen[-1] is False
