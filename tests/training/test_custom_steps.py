"""Keras' "customizing what happens in fit()": overridden train_step/test_step/predict_step,
compute_loss and compute_metrics, on subclasses of Model built from (inputs, outputs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.training.custom_steps import pack_x_y_sample_weight, unpack_x_y_sample_weight


def _data(n: int = 64):
    rng = np.random.default_rng(0)
    return rng.random((n, 5), dtype=np.float32), rng.random((n, 1), dtype=np.float32)


def _functional(cls, seed: int = 0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((5,))
    return cls(inputs, keras.layers.Dense(1)(keras.layers.Dense(4, activation="relu")(inputs)))


class GuideModel(keras.Model):
    """Keras' torch guide, verbatim."""

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


def test_a_subclass_built_from_inputs_and_outputs_is_functional():
    model = _functional(GuideModel)
    assert isinstance(model, GuideModel) and isinstance(model, keras.Model)
    assert [layer.__class__.__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert model(torch.ones(2, 5)).shape == (2, 1)


def test_the_guides_train_step_trains_exactly_as_the_built_in_step():
    x, y = _data()
    histories, weights = [], []
    for cls in (GuideModel, keras.Model):
        model = _functional(cls)
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        histories.append(history.history)
        weights.append(model.get_weights())
    assert set(histories[0]) == {"loss", "mae"}
    for key in ("loss", "mae"):
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5)
    for custom, built_in in zip(*weights):
        np.testing.assert_allclose(custom, built_in, atol=1e-6)


def test_super_train_step_and_a_compute_loss_override_are_used_by_fit():
    calls = []

    class Delegating(keras.Model):
        def train_step(self, data):
            calls.append(type(data))
            return super().train_step(data)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return super().compute_loss(x, y, y_pred, sample_weight, training) + 1.0

    x, y = _data(32)
    model = _functional(Delegating)
    model.compile(optimizer="sgd", loss="mse")
    reference = _functional(keras.Model)
    reference.compile(optimizer="sgd", loss="mse")
    loss = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"][0]
    expected = reference.evaluate(x, y, verbose=0)
    assert calls == [tuple]
    np.testing.assert_allclose(loss, expected + 1.0, rtol=1e-5)


def test_custom_test_step_and_predict_step_serve_evaluate_and_predict():
    class Scaled(keras.Model):
        def test_step(self, data):
            x, y = data
            return {"gap": torch.mean(torch.abs(self(x) - y)) * 10}

        def predict_step(self, data):
            return self(data) * 2

    x, y = _data(20)
    model = _functional(Scaled)
    model.compile(optimizer="sgd", loss="mse")
    plain = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model.predict(x, batch_size=8, verbose=0), plain * 2, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), plain * 2, atol=1e-6)
    logs = model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["gap"], np.mean(np.abs(plain - y)) * 10, rtol=1e-5)
    assert set(model.test_on_batch(x, y, return_dict=True)) == {"gap"}


def test_own_trackers_gan_style_optimizers_and_data_without_targets():
    class TwoOptimizers(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="energy")

        def compile(self, first, second):
            super().compile()
            self.first, self.second = first, second

        def train_step(self, data):
            self.seen = data
            energy = torch.mean(self(data) ** 2)
            self.zero_grad()
            energy.backward()
            kernel, bias = self.layers[1].trainable_weights
            self.first.apply([kernel.value.grad], [kernel])
            self.second.apply([bias.value.grad], [bias])
            self.loss_tracker.update_state(energy)
            return {"energy": self.loss_tracker.result()}

    x, _ = _data(16)
    inputs = keras.Input((5,))
    model = TwoOptimizers(inputs, keras.layers.Dense(3)(inputs))
    model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.0))
    bias_before = model.layers[1].bias.detach().clone()
    history = model.fit(x, epochs=3, batch_size=16, verbose=0)
    assert isinstance(model.seen, torch.Tensor)  # fit(x) alone passes x itself, as Keras packs it
    assert history.history["energy"][2] < history.history["energy"][0]
    torch.testing.assert_close(model.layers[1].bias, bias_before)  # its optimizer has lr 0
    assert model.metrics[-1] is model.loss_tracker


def test_variable_value_grad_is_the_keras_layout_gradient():
    dense = keras.layers.Dense(3)
    dense.build((None, 5))
    kernel = dense.trainable_weights[0]
    dense(torch.ones(2, 5)).sum().backward()
    assert kernel.value.shape == (5, 3) and kernel.tensor.shape == (3, 5)
    torch.testing.assert_close(kernel.value.grad, kernel.tensor.grad.T)
    optimizer = keras.optimizers.SGD(1.0)
    before = kernel.value.detach().clone()
    optimizer.apply([kernel.value.grad], [kernel])
    torch.testing.assert_close(kernel.value.detach(), before - kernel.tensor.grad.T)


def test_pack_and_unpack_follow_keras():
    x, y, w = torch.ones(1), torch.zeros(1), torch.ones(1)
    assert unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    assert unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert unpack_x_y_sample_weight(x) == (x, None, None)
    assert pack_x_y_sample_weight(x) is x
    assert pack_x_y_sample_weight([x, y]) == ([x, y],)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        unpack_x_y_sample_weight((x, y, w, w))


def test_compile_records_loss_and_compiled_as_keras():
    model = _functional(keras.Model)
    assert model.compiled is False
    model.compile(optimizer="sgd", loss="mse")
    assert model.compiled is True and model.loss == "mse"
