"""name_scope, StatelessScope and SymbolicScope."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import scopes


def test_name_scope_paths_and_validation():
    with keras.name_scope("outer"):
        with keras.name_scope("inner"):
            assert scopes.current_path() == "outer/inner"
            dense = keras.layers.Dense(1, name="d")
            dense.build((None, 2))
            assert dense.path == "outer/inner/d"
    assert scopes.current_path() == ""
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.name_scope("a/b")


def test_stateless_scope_swaps_values_and_restores():
    dense = keras.layers.Dense(2, use_bias=False)
    dense.build((None, 3))
    kernel = dense.weights[0]
    original = kernel.numpy().copy()
    new = torch.ones(3, 2)
    with keras.StatelessScope([(kernel, new)]) as scope:
        assert scopes.in_stateless_scope()
        np.testing.assert_array_equal(dense(torch.ones(1, 3)).numpy(), [[3.0, 3.0]])
        kernel.assign(np.full((3, 2), 5.0, "float32"))  # lands on the scope's value
    assert not scopes.in_stateless_scope()
    np.testing.assert_array_equal(kernel.numpy(), original)
    np.testing.assert_array_equal(scope.get_current_value(kernel).numpy(), np.full((3, 2), 5.0))


def test_stateless_scope_errors():
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(ValueError, match="must be Variable instances"):
        keras.StatelessScope([(torch.zeros(1), torch.zeros(1))])
    with pytest.raises(ValueError, match="shape that matches"):
        keras.StatelessScope([(dense.weights[0], torch.zeros(2, 3))])


def test_symbolic_scope_marker():
    assert not scopes.in_symbolic_scope()
    with keras.SymbolicScope() as scope:
        assert scopes.get_symbolic_scope() is scope
    assert not scopes.in_symbolic_scope()
