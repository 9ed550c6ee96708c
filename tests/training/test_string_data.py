"""String inputs (``Input(dtype="string")``) through predict, fit (shuffled) and evaluate: torch
has no strings, so they stay NumPy arrays until a text layer reads them."""

from __future__ import annotations

import numpy as np

import kerasish
from kerasish import layers
from kerasish.training import data, data_adapters


def test_string_inputs_stay_numpy():
    strings = data.to_tensor(["a", "b"], "string")
    assert isinstance(strings, np.ndarray) and strings.tolist() == ["a", "b"]


def test_array_adapter_shuffles_string_arrays():
    x = [np.array(["a", "b", "c", "d"])]
    adapter = data_adapters.ArrayDataAdapter(x, None, None, batch_size=4, shuffle=True)
    (batch,), _, _ = next(adapter.epoch())
    assert sorted(batch.tolist()) == ["a", "b", "c", "d"]


def test_fit_and_predict_a_text_model():
    texts = np.array([["good film"], ["bad film"], ["good good"], ["bad bad"]])
    y = np.array([[1.0], [0.0], [1.0], [0.0]], dtype="float32")
    vectorize = layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(texts[:, 0])
    model = kerasish.Sequential([
        kerasish.Input(shape=(1,), dtype="string"),
        vectorize,
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=kerasish.optimizers.SGD(1.0), loss="binary_crossentropy")
    history = model.fit(texts, y, epochs=5, batch_size=2, shuffle=True, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    one_batch = model.predict(texts, verbose=0)
    assert one_batch.shape == (4, 1)
    np.testing.assert_allclose(model.predict(texts, batch_size=3, verbose=0), one_batch, rtol=1e-6)
    assert np.isfinite(model.evaluate(texts, y, verbose=0))


def test_sequential_built_from_string_data():
    vectorize = layers.TextVectorization(output_mode="count")
    vectorize.adapt(["a b", "b c"])
    model = kerasish.Sequential([vectorize, layers.Dense(1, kernel_initializer="ones")])
    out = model.predict(np.array(["a b b", "c"]), verbose=0)
    assert model.inputs[0].dtype == "string"
    np.testing.assert_allclose(out, [[3.0], [1.0]])
