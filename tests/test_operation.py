"""keras.Operation and keras.Function."""

import numpy as np
import pytest
import torch

import kerasish as keras


class Square(keras.Operation):
    def call(self, x):
        return x * x


def test_operation_eager_and_symbolic():
    np.testing.assert_array_equal(Square()(torch.tensor([2.0, 3.0])).numpy(), [4.0, 9.0])
    x = keras.Input((3,))
    y = Square()(x)
    assert y.shape == (None, 3)
    model = keras.Model(x, keras.layers.Dense(1)(y))
    assert model.predict(np.ones((2, 3)), verbose=0).shape == (2, 1)
    with pytest.raises(NotImplementedError, match="keras.Operation 'square"):
        model.get_config()


def test_function_runs_the_graph():
    x = keras.Input((3,))
    dense = keras.layers.Dense(2)
    y = dense(Square()(x))
    f = keras.Function(x, y)
    data = torch.rand(4, 3)
    torch.testing.assert_close(f(data), dense(data * data))
    assert f.inputs == [x] and f.outputs == [y]


def test_operation_without_call():
    with pytest.raises(NotImplementedError, match="must implement `call\\(\\)`"):
        keras.Operation()(torch.ones(1))


def test_quantizer_is_exported():
    assert issubclass(keras.quantizers.AbsMaxQuantizer, keras.Quantizer)
