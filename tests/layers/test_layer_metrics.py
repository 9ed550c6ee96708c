"""tf.keras 2's ``add_metric`` and Keras 3's ``layer.metrics``/``metrics_variables``."""

import numpy as np
import pytest
import torch

import kerasish as keras


class MeanActivation(keras.layers.Layer):
    def call(self, x):
        self.add_metric(torch.mean(x), name="mean_activation")
        return x


def test_add_metric_averages_over_calls_and_tracks_the_metric():
    layer = MeanActivation()
    layer(np.full((2, 2), 1.0, "float32"))
    layer(np.full((2, 2), 3.0, "float32"))
    (metric,) = layer.metrics
    assert metric.name == "mean_activation"
    assert float(metric.result()) == pytest.approx(2.0)
    assert len(layer.metrics_variables) == 2  # total, count


def test_add_metric_shows_in_fit_history_and_evaluate():
    x = keras.Input((3,))
    y = keras.layers.Dense(1)(MeanActivation()(x))
    model = keras.Model(x, y)
    model.compile("sgd", "mse")
    data = np.random.rand(8, 3).astype("float32")
    history = model.fit(data, np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
                        validation_data=(data, np.zeros((8, 1))))
    assert set(history.history) == {"loss", "mean_activation", "val_loss", "val_mean_activation"}
    assert history.history["mean_activation"][0] == pytest.approx(float(data.mean()), rel=1e-5)
    results = model.evaluate(data, np.zeros((8, 1)), batch_size=8, verbose=0, return_dict=True)
    assert results["mean_activation"] == pytest.approx(float(data.mean()), rel=1e-5)


def test_add_metric_argument_errors():
    layer = keras.layers.Layer()
    with pytest.raises(ValueError, match="Please provide a name for your metric"):
        layer.add_metric(torch.ones(()))
    with pytest.raises(TypeError, match="Expected `aggregation`"):
        layer.add_metric(torch.ones(()), name="m", reduction="sum")
    with pytest.raises(ValueError, match="Expected a symbolic Tensor"):
        layer.add_metric(3.0, name="m")
    with pytest.raises(NotImplementedError, match="add_metric on a symbolic KerasTensor"):
        layer.add_metric(keras.Input((2,)), name="m")


def test_metric_attributes_of_sublayers_are_listed():
    class Tracked(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tracker = keras.metrics.Mean(name="tracker")
            self.child = keras.layers.Dense(1)

    assert [m.name for m in Tracked().metrics] == ["tracker"]
