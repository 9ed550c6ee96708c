"""Keras 3's "customizing fit()" code, unchanged, gives the same histories and weights on
kerasish as on Keras 3: the torch guide's train_step, own trackers with a ``metrics`` property,
a compute_loss override, a custom test_step, and a two-optimizer (GAN-style) step."""

from __future__ import annotations

import keras
import numpy as np
import torch

import kerasish


def _classes(lib):
    class GuideModel(lib.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    class OwnTrackers(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = lib.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            self.loss_tracker.update_state(self.loss_fn(y, y_pred))
            self.mae_metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class ShiftedLoss(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.1 * lib.ops.mean(lib.ops.abs(y_pred))

    class TwoOptimizers(lib.Model):
        def compile(self, first, second, loss_fn):
            super().compile()
            self.first, self.second, self.loss_fn = first, second, loss_fn
            self.first_tracker = lib.metrics.Mean(name="first_loss")

        def train_step(self, data):
            x, y = data
            hidden, head = self.layers[1], self.layers[2]
            self.zero_grad()
            loss = self.loss_fn(y, self(x, training=True))
            loss.backward()
            grads = [v.value.grad for v in hidden.trainable_weights]
            with torch.no_grad():
                self.first.apply(grads, hidden.trainable_weights)
            self.zero_grad()
            loss = self.loss_fn(y, self(x, training=True))
            loss.backward()
            grads = [v.value.grad for v in head.trainable_weights]
            with torch.no_grad():
                self.second.apply(grads, head.trainable_weights)
            self.first_tracker.update_state(loss)
            return {"first_loss": self.first_tracker.result()}

        @property
        def metrics(self):
            return [self.first_tracker]

    return {
        "guide": GuideModel,
        "own_trackers": OwnTrackers,
        "shifted_loss": ShiftedLoss,
        "two_optimizers": TwoOptimizers,
    }


def _build(lib, kind, weights):
    inputs = lib.Input((6,))
    hidden = lib.layers.Dense(5, activation="tanh")(inputs)
    model = _classes(lib)[kind](inputs, lib.layers.Dense(2)(hidden))
    if weights is not None:
        model.set_weights(weights)
    if kind == "two_optimizers":
        model.compile(lib.optimizers.Adam(0.01), lib.optimizers.SGD(0.1), lib.losses.MeanSquaredError())
    else:
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def _run(lib, kind, weights, x, y):
    model = _build(lib, kind, weights)
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    try:
        evaluation = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    except ValueError as error:  # the built-in test_step of a model compiled without a loss
        evaluation = str(error).split(".")[0]
    return model, history, evaluation


def test_custom_fit_code_runs_as_in_keras(rng):
    x = rng.random((48, 6), dtype=np.float32)
    y = rng.random((48, 2), dtype=np.float32)
    for kind in ("guide", "own_trackers", "shifted_loss", "two_optimizers"):
        reference = _build(keras, kind, None)
        weights = [w + rng.normal(0, 0.3, w.shape).astype(np.float32) for w in reference.get_weights()]
        k_model, k_history, k_eval = _run(keras, kind, weights, x, y)
        m_model, m_history, m_eval = _run(kerasish, kind, weights, x, y)
        assert set(m_history) == set(k_history), kind
        for key in k_history:
            np.testing.assert_allclose(m_history[key], k_history[key], rtol=1e-4, err_msg=f"{kind} {key}")
        if isinstance(k_eval, str):
            assert m_eval == k_eval == "No loss to compute", kind
            k_eval = m_eval = {}
        assert set(m_eval) == set(k_eval), kind
        for key in k_eval:
            np.testing.assert_allclose(m_eval[key], k_eval[key], rtol=1e-4, err_msg=f"{kind} {key}")
        for received, expected in zip(m_model.get_weights(), k_model.get_weights()):
            np.testing.assert_allclose(received, expected, atol=1e-4, err_msg=kind)
