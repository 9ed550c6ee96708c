"""A Keras 3 model's weights, run through kerasish and exported with torch's tools, still give
Keras 3's predictions: ONNX (in onnxruntime), torch.export, TorchScript and torch.compile."""

from __future__ import annotations

import keras
import numpy as np
import onnxruntime
import torch

import kerasish


def _cnn(lib):
    inputs = lib.Input((8, 8, 3), name="image")
    x = lib.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = lib.layers.BatchNormalization()(x)
    x = lib.layers.MaxPooling2D()(x)
    x = lib.layers.Dropout(0.3)(x)
    x = lib.layers.Flatten()(x)
    return lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(x))


def _lstm(lib):
    inputs = lib.Input((6,), dtype="int32")
    x = lib.layers.Embedding(12, 4)(inputs)
    x = lib.layers.LSTM(5)(x)
    return lib.Model(inputs, lib.layers.Dense(2)(x))


def _pair(build, rng):
    k_model, m_model = build(keras), build(kerasish)
    weights = [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in k_model.get_weights()]
    if build is _cnn:
        weights[5] = np.abs(weights[5]) + 0.5  # BatchNormalization moving variance
    k_model.set_weights(weights)
    m_model.set_weights(weights)
    return k_model, m_model


def test_onnx_export_of_a_keras_cnn_gives_keras_predictions(rng, tmp_path):
    k_model, m_model = _pair(_cnn, rng)
    x = rng.random((5, 8, 8, 3), dtype=np.float32)
    expected = k_model.predict(x, verbose=0)
    path = str(tmp_path / "cnn.onnx")
    torch.onnx.export(m_model, (torch.from_numpy(x),), path, verbose=False)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (received,) = session.run(None, {"image": x})
    np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)


def test_torch_export_and_trace_of_a_keras_lstm_give_keras_predictions(rng):
    k_model, m_model = _pair(_lstm, rng)
    x = rng.integers(0, 12, (4, 6)).astype("int32")
    expected = k_model.predict(x, verbose=0)
    inputs = (torch.from_numpy(x),)
    exported = torch.export.export(m_model, inputs).module()
    np.testing.assert_allclose(exported(*inputs).detach().numpy(), expected, atol=1e-5, rtol=0)
    traced = torch.jit.trace(m_model, inputs, check_trace=False)
    np.testing.assert_allclose(traced(*inputs).detach().numpy(), expected, atol=1e-5, rtol=0)


def test_torch_compile_of_a_keras_cnn_gives_keras_predictions(rng):
    k_model, m_model = _pair(_cnn, rng)
    x = rng.random((5, 8, 8, 3), dtype=np.float32)
    expected = k_model.predict(x, verbose=0)
    torch._dynamo.reset()
    compiled = torch.compile(m_model, backend="aot_eager", fullgraph=True)
    np.testing.assert_allclose(
        compiled(torch.from_numpy(x)).detach().numpy(), expected, atol=1e-5, rtol=0
    )


def test_model_export_onnx_matches_keras_3s_artifact(rng, tmp_path):
    def build(lib):
        image, extra = lib.Input((8, 8, 3), name="image"), lib.Input((2,), name="extra")
        x = lib.layers.Conv2D(4, 3, activation="relu")(image)
        x = lib.layers.Flatten()(lib.layers.MaxPooling2D()(x))
        return lib.Model([image, extra], lib.layers.Dense(3)(lib.layers.Concatenate()([x, extra])))

    k_model, m_model = build(keras), build(kerasish)
    m_model.set_weights(k_model.get_weights())
    inputs = [rng.random((4, 8, 8, 3), dtype=np.float32), rng.random((4, 2), dtype=np.float32)]
    k_model(inputs)  # Keras 3 exports only a model that has been called
    k_model.export(str(tmp_path / "keras.onnx"), format="onnx", verbose=False)
    m_model.export(str(tmp_path / "kerasish.onnx"), format="onnx", verbose=False)
    sessions = [
        onnxruntime.InferenceSession(str(tmp_path / f"{n}.onnx"), providers=["CPUExecutionProvider"])
        for n in ("keras", "kerasish")
    ]
    signatures = [[(i.name, i.shape) for i in s.get_inputs()] for s in sessions]
    assert signatures[0] == signatures[1] == [("image", ["batch", 8, 8, 3]), ("extra", ["batch", 2])]
    feeds = {"image": inputs[0], "extra": inputs[1]}
    (expected,), (received,) = (s.run(None, feeds) for s in sessions)
    np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
