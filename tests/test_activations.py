"""keras.activations: the Keras 3 additions against their written formulas, names and aliases."""

import numpy as np
import pytest
import torch

from kerasish import activations, layers

X = torch.linspace(-3, 3, 25)
x = X.numpy()

FORMULAS = {
    "celu": (lambda t: activations.celu(t, alpha=0.5), np.where(x >= 0, x, 0.5 * (np.exp(x / 0.5) - 1))),
    "hard_shrink": (activations.hard_shrink, np.where(np.abs(x) > 0.5, x, 0.0)),
    "soft_shrink": (
        lambda t: activations.soft_shrink(t, threshold=1.0),
        np.where(x > 1.0, x - 1.0, np.where(x < -1.0, x + 1.0, 0.0)),
    ),
    "hard_tanh": (activations.hard_tanh, np.clip(x, -1, 1)),
    "tanh_shrink": (activations.tanh_shrink, x - np.tanh(x)),
    "log_sigmoid": (activations.log_sigmoid, -np.log1p(np.exp(-x))),
    "sparse_plus": (activations.sparse_plus, np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x))),
    "sparse_sigmoid": (activations.sparse_sigmoid, np.clip(0.5 * (x + 1), 0, 1)),
    "squareplus": (lambda t: activations.squareplus(t, b=2), (x + np.sqrt(x * x + 2)) / 2),
    "threshold": (lambda t: activations.threshold(t, 0.5, -7.0), np.where(x > 0.5, x, -7.0)),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_formula(name):
    fn, expected = FORMULAS[name]
    np.testing.assert_allclose(fn(X).numpy(), expected, atol=1e-6)


def test_glu_gates_the_first_half_by_the_second():
    t = torch.randn(4, 6)
    a, b = t[:, :3], t[:, 3:]
    torch.testing.assert_close(activations.glu(t), a * torch.sigmoid(b))
    torch.testing.assert_close(activations.glu(t.T, axis=0), (a * torch.sigmoid(b)).T)


def test_sparsemax_is_zero_below_the_threshold_and_one_hot_for_a_dominant_logit():
    out = activations.sparsemax(torch.tensor([[10.0, 0.0, -1.0], [0.3, 0.2, 0.1]]))
    torch.testing.assert_close(out[0], torch.tensor([1.0, 0.0, 0.0]))
    assert (out >= 0).all()


@pytest.mark.parametrize(
    "name",
    ["celu", "glu", "hard_shrink", "soft_shrink", "hard_tanh", "tanh_shrink", "log_sigmoid",
     "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "threshold"],
)
def test_new_names_resolve_and_serialize_to_themselves(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(name) is fn


def test_aliases_serialize_under_the_keras3_names():
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu
    assert activations.serialize(activations.get("swish")) == "silu"
    assert activations.serialize(activations.get("hard_swish")) == "hard_silu"
    assert activations.deserialize("swish") is activations.silu
    assert activations.deserialize("hard_swish") is activations.hard_silu


def test_deserialize_function_dicts_and_unknown_names():
    config = {"module": "keras.activations", "class_name": "function", "config": "celu",
              "registered_name": "celu"}
    assert activations.deserialize(config) is activations.celu
    assert activations.deserialize("not_an_activation") == "not_an_activation"
    with pytest.raises(ValueError, match="Unknown activation function"):
        activations.get("not_an_activation")


def test_layers_take_the_new_names():
    layer = layers.Dense(4, activation="hard_tanh")
    out = layer(torch.randn(3, 5) * 10)
    assert out.abs().max() <= 1.0
    assert layer.get_config()["activation"] == "hard_tanh"
    assert layers.Activation("log_sigmoid")(X).max() <= 0
