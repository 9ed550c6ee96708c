"""RematScope / remat: torch checkpointing with Keras 3's modes."""

from unittest import mock

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import rematerialization as remat_lib


def _grads(model, x):
    model.zero_grad()
    model(x).sum().backward()
    return [p.grad.clone() for p in model.parameters()]


def _checkpoint_calls(build, x):
    with mock.patch.object(torch.utils.checkpoint, "checkpoint",
                           wraps=torch.utils.checkpoint.checkpoint) as spy:
        model = build()
        model(x).sum().backward()
    return spy.call_count


def _model(units=(4, 3)):
    x = keras.Input((5,))
    h = keras.layers.Dense(units[0], activation="relu", name="a")(x)
    return keras.Model(x, keras.layers.Dense(units[1], name="b")(h))


def test_remat_full_gives_the_same_gradients():
    keras.utils.set_random_seed(1)
    plain = _model()
    with keras.RematScope(mode="full"):
        rematted = _model()
    rematted.set_weights(plain.get_weights())
    x = torch.rand(2, 5)
    for g1, g2 in zip(_grads(plain, x), _grads(rematted, x)):
        torch.testing.assert_close(g1, g2)


def test_modes_choose_the_layers():
    x = torch.rand(2, 5)

    def scoped(**kwargs):
        def build():
            with keras.RematScope(**kwargs):
                return _model((40, 3))
        return build

    assert _checkpoint_calls(scoped(mode="full"), x) == 2
    assert _checkpoint_calls(scoped(mode="list_of_layers", layer_names=["b"]), x) == 1
    assert _checkpoint_calls(scoped(mode="activations"), x) == 2  # both Dense have activations
    assert _checkpoint_calls(scoped(mode="larger_than", output_size_threshold=10), x) == 1
    assert _checkpoint_calls(scoped(mode=None), x) == 0
    assert _checkpoint_calls(_model, x) == 0


def test_scope_stack_and_errors():
    assert remat_lib.current_remat_mode() is None
    with keras.RematScope(mode="larger_than", output_size_threshold=7):
        assert remat_lib.current_remat_mode() == ("larger_than", 7, [])
    with pytest.raises(ValueError, match="Invalid mode 'bad'"):
        keras.RematScope(mode="bad")


def test_remat_function():
    f = keras.remat(lambda t: torch.sin(t) * 2)
    t = torch.rand(3, requires_grad=True)
    f(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * np.cos(t.detach().numpy()), rtol=1e-6)
