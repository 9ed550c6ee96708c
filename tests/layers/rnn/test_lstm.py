"""LSTM under ``torch.compile``: training a first LSTM layer (an input that needs no gradient,
weights that do) gives eager's gradients. torch decomposes ``aten.lstm`` there into oneDNN's
inference-only kernel, whose backward fails; kerasish traces its step loop instead."""

import pytest
import torch
import torch._dynamo

import kerasish as keras
from kerasish.layers.rnn import lstm as lstm_module


def _model(**lstm_kwargs):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input((6, 3)), keras.layers.LSTM(5, **lstm_kwargs), keras.layers.Dense(1)]
    )


def _gradients(model, x, compiled):
    model.zero_grad(set_to_none=True)
    forward = torch.compile(model, backend="aot_eager", fullgraph=True) if compiled else model
    forward(x).square().sum().backward()
    torch._dynamo.reset()
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_compiled_training_of_a_first_lstm_layer_has_eager_gradients(go_backwards):
    model = _model(go_backwards=go_backwards)
    x = torch.randn(4, 6, 3)
    eager = _gradients(model, x, compiled=False)
    compiled = _gradients(model, x, compiled=True)
    for got, expected in zip(compiled, eager):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_the_fused_kernel_is_kept_where_it_is_right():
    layer = _model().layers[0]
    params = layer.cell._fused_params()
    x = torch.randn(4, 6, 3)
    assert not lstm_module._compiled_for_inference_only(x, params)  # eager
    seen = []

    def probe(inputs):
        seen.append(lstm_module._compiled_for_inference_only(inputs, params))
        return inputs

    torch.compile(probe, backend="eager")(x)
    torch.compile(probe, backend="eager")(x.clone().requires_grad_(True))
    torch._dynamo.reset()
    assert seen == [True, False]
