"""``Model.export``: ONNX and ``torch.export`` artifacts that run without kerasish, with the Keras
input names and a free batch dimension."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch

import kerasish as keras


def _mlp() -> keras.Model:
    inputs = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(hidden))


def _session(path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_onnx_artifact_has_the_keras_input_name_and_a_free_batch(tmp_path, capsys):
    model = _mlp()
    path = tmp_path / "mlp.onnx"
    model.export(path, format="onnx")
    assert f"Saved artifact at '{path}'." in capsys.readouterr().out
    session = _session(path)
    (graph_input,) = session.get_inputs()
    assert (graph_input.name, graph_input.shape) == ("features", ["batch", 8])
    for batch in (1, 5):
        x = np.random.default_rng(batch).random((batch, 8), dtype=np.float32)
        (received,) = session.run(None, {"features": x})
        np.testing.assert_allclose(received, model.predict(x, verbose=0), atol=1e-6, rtol=0)


def test_onnx_export_of_a_multi_input_cnn_and_an_lstm(tmp_path):
    image, extra = keras.Input((8, 8, 3), name="image"), keras.Input((2,), name="extra")
    x = keras.layers.Conv2D(4, 3, activation="relu")(image)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Flatten()(keras.layers.MaxPooling2D()(x))
    cnn = keras.Model([image, extra], keras.layers.Dense(2)(keras.layers.Concatenate()([x, extra])))
    lstm = keras.Sequential(
        [keras.Input((None,), dtype="int32"), keras.layers.Embedding(12, 4), keras.layers.LSTM(5)]
    )
    rng = np.random.default_rng(0)
    cases = [
        (cnn, [rng.random((3, 8, 8, 3), dtype=np.float32), rng.random((3, 2), dtype=np.float32)]),
        (lstm, [rng.integers(0, 12, (4, 7)).astype("int32")]),
    ]
    for index, (model, inputs) in enumerate(cases):
        path = tmp_path / f"model{index}.onnx"
        model.export(path, format="onnx", verbose=False)
        session = _session(path)
        feeds = {spec.name: x for spec, x in zip(session.get_inputs(), inputs)}
        (received,) = session.run(None, feeds)
        expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)
    assert [spec.name for spec in _session(tmp_path / "model0.onnx").get_inputs()] == ["image", "extra"]


def test_torch_format_writes_a_loadable_program_with_a_dynamic_batch(tmp_path, capsys):
    model = _mlp()
    path = tmp_path / "mlp.pt2"
    model.export(path, format="torch")
    assert "Saved PyTorch ExportedProgram" in capsys.readouterr().out
    program = torch.export.load(str(path)).module()
    x = torch.rand(6, 8)
    torch.testing.assert_close(program(x), model(x), atol=1e-6, rtol=0)


def test_input_signature_serves_a_subclassed_model(tmp_path):
    class Doubler(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs) * 2

    model = Doubler()
    x = np.ones((3, 4), dtype="float32")
    model(x)
    with pytest.raises(ValueError, match="input_signature"):
        model.export(tmp_path / "sub.onnx", format="onnx")
    model.export(
        tmp_path / "sub.onnx",
        format="onnx",
        verbose=False,
        input_signature=[keras.InputSpec(shape=(None, 4), dtype="float32", name="x")],
    )
    (received,) = _session(tmp_path / "sub.onnx").run(None, {"x": x})
    np.testing.assert_allclose(received, model.predict(x, verbose=0), atol=1e-6, rtol=0)


def test_export_traces_inference_and_restores_the_training_mode(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dropout(0.9), keras.layers.Dense(2)])
    model.train()
    model.export(tmp_path / "dropout.onnx", format="onnx", verbose=False)
    assert all(module.training for module in model.modules())
    x = np.ones((64, 4), dtype="float32")
    session = _session(tmp_path / "dropout.onnx")
    (received,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(received, model.predict(x, verbose=0), atol=1e-6, rtol=0)


@pytest.mark.parametrize("fmt", ["tf_saved_model", "openvino", "litert"])
def test_formats_of_other_runtimes_are_refused_by_name(fmt, tmp_path):
    with pytest.raises(NotImplementedError, match=f"format='{fmt}'"):
        _mlp().export(tmp_path / "artifact", format=fmt)


def test_bad_arguments_get_keras_errors(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"Unrecognized format=saved\. Supported formats are"):
        model.export(tmp_path / "a", format="saved")
    with pytest.raises(ValueError, match="to end with '.pt2'"):
        model.export(tmp_path / "a.pt", format="torch")
    with pytest.raises(ValueError, match="Unsupported arguments for `format=\"torch\"`: bogus"):
        model.export(tmp_path / "a.pt2", format="torch", bogus=1)
    with pytest.raises(ValueError, match="Unsupported arguments for `format=\"onnx\"`: bogus"):
        model.export(tmp_path / "a.onnx", format="onnx", bogus=1)
    with pytest.raises(TypeError, match="input_signature entries"):
        model.export(tmp_path / "a.onnx", format="onnx", input_signature=["not a spec"])
