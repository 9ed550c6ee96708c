"""A kerasish model is a plain torch module: torch.compile, torch.export, ONNX, TorchScript
tracing, state_dict files and a user's own training loop all work on it unchanged.

Each test runs on the four models of ``conftest.py``: an MLP, a CNN with BatchNormalization and
Dropout (Sequential), a model with a shared layer and a nested model called twice, and
Embedding + LSTM.
"""

from __future__ import annotations

import onnxruntime
import pytest
import torch

import kerasish as keras

EXPECTED_KEYS = {
    "mlp": ["dense.weight", "dense.bias", "dense_1.weight", "dense_1.bias"],
    "cnn": [
        "conv2d.weight",
        "conv2d.bias",
        "batch_normalization.weight",
        "batch_normalization.bias",
        "batch_normalization.running_mean",
        "batch_normalization.running_var",
        "dense.weight",
        "dense.bias",
    ],
    "shared_nested": [
        "shared.weight",
        "shared.bias",
        "inner.dense.weight",
        "inner.dense.bias",
        "head.weight",
        "head.bias",
    ],
    "embedding_lstm": [
        "embedding.weight",
        "lstm.weight_ih_l0",
        "lstm.weight_hh_l0",
        "lstm.bias_ih_l0",
        "lstm.bias_hh_l0",
        "dense.weight",
        "dense.bias",
    ],
}


def _assert_close(received: torch.Tensor, expected: torch.Tensor, atol: float = 1e-5) -> None:
    torch.testing.assert_close(received, expected, atol=atol, rtol=0)


def _with_running_stats(model: keras.Model, inputs: tuple) -> None:
    """One training-mode forward, so BatchNormalization's moving statistics are not 0 and 1."""
    model.train()
    with torch.no_grad():
        model(*inputs)
    model.eval()


# ----------------------------------------------------------------- state_dict


def test_state_dict_keys_are_layer_name_dot_weight(model_case):
    name, build, _ = model_case
    assert sorted(build().state_dict()) == sorted(EXPECTED_KEYS[name])


def test_state_dict_survives_torch_save_and_load_into_a_fresh_model(model_case, tmp_path):
    name, build, inputs = model_case
    model = build()
    _with_running_stats(model, inputs)
    expected = model(*inputs)
    path = tmp_path / "state.pt"
    torch.save(model.state_dict(), path)

    keras.backend.clear_session()  # the same code builds the same layer names
    fresh = build()
    assert not torch.allclose(fresh(*inputs), expected)
    fresh.load_state_dict(torch.load(path, map_location=keras.config.device()))
    assert list(fresh.state_dict()) == list(model.state_dict())
    _assert_close(fresh(*inputs), expected, atol=0)


def test_state_dict_loads_into_the_equivalent_torch_nn_module():
    keras_model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="fc")])
    torch_model = torch.nn.Sequential()
    torch_model.add_module("fc", torch.nn.Linear(8, 4))
    torch_model.load_state_dict(keras_model.state_dict())
    x = torch.rand(3, 8)
    _assert_close(torch_model(x), keras_model(x), atol=0)


# ------------------------------------------------------------- torch.compile


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_generated_forward_compiles_as_one_graph(model_case, mode):
    _, build, inputs = model_case
    model = build()
    model.train(mode == "train")
    explanation = torch._dynamo.explain(model)(*inputs)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_torch_compile_gives_the_eager_outputs(model_case):
    _, build, inputs = model_case
    model = build()
    _with_running_stats(model, inputs)
    expected = model(*inputs)
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    _assert_close(compiled(*inputs), expected)


def test_torch_compile_trains_the_model():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.rand(16, 8), torch.rand(16, 1)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(compiled(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]


# -------------------------------------------------------------- torch.export


def test_torch_export_gives_the_eager_outputs(model_case):
    _, build, inputs = model_case
    model = build()
    _with_running_stats(model, inputs)
    expected = model(*inputs)
    exported = torch.export.export(model, inputs)
    _assert_close(exported.module()(*inputs), expected)
    # The exported program keeps the Keras names of the weights.
    state_keys = set(exported.state_dict)
    assert {key for key in model.state_dict() if key in state_keys}


def test_torch_export_with_a_dynamic_batch_dimension():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    batch = torch.export.Dim("batch", min=2)
    exported = torch.export.export(model, (torch.rand(4, 8),), dynamic_shapes=({0: batch},))
    x = torch.rand(9, 8)
    _assert_close(exported.module()(x), model(x))


# ---------------------------------------------------------------------- ONNX


def test_onnx_export_runs_in_onnxruntime(model_case, tmp_path):
    name, build, inputs = model_case
    model = build()
    _with_running_stats(model, inputs)
    expected = model(*inputs).detach().numpy()
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(model, inputs, str(path), verbose=False)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # The graph inputs carry the Keras input names.
    assert [i.name for i in session.get_inputs()] == list(model.input_names)
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    (received,) = session.run(None, feeds)
    torch.testing.assert_close(received, expected, atol=1e-5, rtol=0)


# ------------------------------------------------------------------ TorchScript


def test_jit_trace_gives_the_eager_outputs(model_case):
    _, build, inputs = model_case
    model = build()
    _with_running_stats(model, inputs)
    expected = model(*inputs)
    traced = torch.jit.trace(model, inputs, check_trace=False)
    _assert_close(traced(*inputs), expected)


# ---------------------------------------------------------- a user's own loop


def test_user_training_loop_with_torch_optim():
    model = keras.models.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),
            keras.layers.Dropout(0.5),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    x, y = torch.rand(32, 8, 8, 3), torch.randint(0, 2, (32,))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    batch_norm = model.layers[1]
    moving_mean = batch_norm.running_mean.clone()

    model.train()  # torch's switch: dropout drops, BatchNormalization uses batch statistics
    assert not torch.equal(model(x), model(x))
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    assert not torch.equal(batch_norm.running_mean, moving_mean)

    model.eval()  # inference: deterministic
    torch.testing.assert_close(model(x), model(x), atol=0, rtol=0)
    # predict() agrees with the module and leaves its mode alone.
    torch.testing.assert_close(
        torch.from_numpy(model.predict(x.numpy(), verbose=0)), model(x), atol=1e-6, rtol=0
    )


def test_user_training_loop_under_cpu_bfloat16_autocast(model_case):
    name, build, inputs = model_case
    model = build()
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        outputs = model(*inputs)
        loss = outputs.float().square().mean()
    if name != "embedding_lstm":  # torch's CPU autocast runs no LSTM op in bfloat16
        assert outputs.dtype == torch.bfloat16
    loss.backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in model.parameters())
    optimizer.step()
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert any(not torch.equal(p, b) for p, b in zip(model.parameters(), before))


def test_parameters_are_the_keras_weights():
    """A torch optimizer updates exactly what ``get_weights`` reads (views, not copies)."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    kernel_before = model.get_weights()[0]
    with torch.no_grad():
        model.layers[0].weight.add_(1.0)
    torch.testing.assert_close(
        torch.from_numpy(model.get_weights()[0]), torch.from_numpy(kernel_before) + 1.0
    )
