"""Keras 2's `keras.backend` functions: eager on tensors, and graph nodes on KerasTensors."""

import numpy as np
import pytest
import torch

import kerasish as keras

K = keras.backend


def test_settings_and_shapes():
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    assert K.image_data_format() == "channels_last"
    x = keras.Input((3, None))
    assert K.int_shape(x) == (None, 3, None) and K.ndim(x) == 3 and K.dtype(x) == "float32"
    assert K.int_shape(torch.zeros(2, 5)) == (2, 5)
    assert K.shape(torch.zeros(2, 5)).tolist() == [2, 5]
    assert K.is_keras_tensor(x) and not K.is_keras_tensor(torch.zeros(1))
    assert K.count_params(torch.zeros(2, 3)) == 6
    with pytest.raises(AttributeError, match="no attribute 'not_a_function'"):
        K.not_a_function


def test_builtins_stay_builtins_inside_the_backend_module():
    assert "sum" not in vars(K) and callable(K.sum) and K.sum is not sum
    assert "sum" in dir(K)


def test_keras2_defaults():
    x = torch.tensor([[1.0, -4.0, 3.0]])
    assert K.argmax(x).tolist() == [2] and K.argmax(x).dtype == torch.int64  # last axis
    assert K.sqrt(torch.tensor([-1.0, 4.0])).tolist() == [0.0, 2.0]  # negatives clip to 0
    assert K.concatenate([x, x]).shape == (1, 6)  # axis=-1
    assert K.expand_dims(x).shape == (1, 3, 1)
    assert K.clip(x, 2.0, 1.0).tolist() == [[2.0, 2.0, 2.0]]  # max < min raises max to min
    torch.testing.assert_close(K.hard_sigmoid(torch.tensor([0.0, 10.0])), torch.tensor([0.5, 1.0]))
    torch.testing.assert_close(K.relu(x, alpha=0.1, max_value=2.0), torch.tensor([[1.0, -0.4, 2.0]]))


@pytest.mark.parametrize(
    "x_shape, y_shape, axes, expected",
    [
        ((32, 20, 1), (32, 30, 20), (1, 2), (32, 1, 30)),
        ((4, 5), (4, 5), None, (4, 1)),
        ((4, 3, 5), (4, 5, 2), None, (4, 3, 2)),
        ((4, 5), (4, 5, 6), 1, (4, 6)),
        ((2, 3, 4, 5), (2, 5, 6), None, (2, 3, 4, 6)),
    ],
)
def test_batch_dot_shapes(x_shape, y_shape, axes, expected):
    x, y = torch.randn(x_shape), torch.randn(y_shape)
    result = K.batch_dot(x, y, axes=axes)
    assert tuple(result.shape) == expected
    if x.ndim == 3 and axes is None:
        torch.testing.assert_close(result, torch.bmm(x, y))


def test_batch_dot_errors():
    with pytest.raises(ValueError, match="axis 0"):
        K.batch_dot(torch.randn(2, 3), torch.randn(2, 3), axes=0)
    with pytest.raises(ValueError, match="x.shape\\[1\\] != y.shape\\[1\\]"):
        K.batch_dot(torch.randn(2, 3), torch.randn(2, 4), axes=1)


def test_dot_and_shape_functions():
    x, y = torch.randn(2, 3, 4), torch.randn(4, 5)
    assert K.dot(x, y).shape == (2, 3, 5)
    assert K.dot(x, torch.randn(3, 4, 5)).shape == (2, 3, 3, 5)
    assert K.permute_dimensions(x, (0, 2, 1)).shape == (2, 4, 3)
    assert K.repeat_elements(x, 2, axis=1).shape == (2, 6, 4)
    assert K.repeat(torch.randn(2, 4), 3).shape == (2, 3, 4)
    assert K.batch_flatten(x).shape == (2, 12) and K.flatten(x).shape == (24,)
    assert K.tile(x, (1, 2, 1)).shape == (2, 6, 4)
    assert K.transpose(x).shape == (4, 3, 2)
    assert K.gather(torch.arange(5) * 10, torch.tensor([4, 1])).tolist() == [40, 10]
    assert K.one_hot(torch.tensor([1, 0]), 3).tolist() == [[0, 1, 0], [1, 0, 0]]
    assert K.reverse(torch.arange(3), 0).tolist() == [2, 1, 0]
    torch.testing.assert_close(K.l2_normalize(torch.tensor([[3.0, 4.0]]), axis=1), torch.tensor([[0.6, 0.8]]))


def test_keras2_losses():
    target = torch.tensor([1.0, 0.0])
    output = torch.tensor([0.9, 0.2])
    eps = K.epsilon()
    expected = -(target * torch.log(output + eps) + (1 - target) * torch.log(1 - output + eps))
    torch.testing.assert_close(K.binary_crossentropy(target, output), expected)
    probs = torch.tensor([[0.2, 0.8]])
    torch.testing.assert_close(K.categorical_crossentropy(torch.tensor([[0.0, 1.0]]), probs), -torch.log(torch.tensor([0.8])))


def test_switch_and_in_train_phase():
    condition = torch.tensor([True, False])
    result = K.switch(condition, torch.ones(2, 3), torch.zeros(2, 3))
    assert result.tolist() == [[1, 1, 1], [0, 0, 0]]
    assert K.switch(torch.tensor(False), lambda: 1, lambda: 2) == 2
    assert K.in_train_phase(1, 2) == 2 and K.in_train_phase(lambda: 1, 2, training=1) == 1


def test_variables_and_values():
    v = K.variable([1.0, 2.0])
    K.set_value(v, [3.0, 4.0])
    assert K.get_value(v).tolist() == [3.0, 4.0] and K.eval(v).dtype == np.float32
    assert K.batch_get_value([v])[0].tolist() == [3.0, 4.0]
    assert K.get_value(0.01) == np.float32(0.01)
    assert K.constant(2.0, shape=(2, 2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert K.zeros((2,)).dtype == torch.float32 and K.ones_like(v).tolist() == [1.0, 1.0]
    assert K.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_set_value_on_an_optimizer():
    optimizer = keras.optimizers.Adam(learning_rate=0.1)
    K.set_value(optimizer, 0.005)
    assert abs(float(K.get_value(optimizer.learning_rate)) - 0.005) < 1e-8
    with pytest.raises(TypeError, match="cannot assign"):
        K.set_value(0.1, 0.2)


def test_functions_on_keras_tensors_build_op_layers():
    x = keras.Input((3, 4))
    y = K.batch_flatten(K.square(x))
    z = K.sum(y, axis=-1, keepdims=True) / K.cast(K.shape(x)[1], "float32")
    model = keras.Model(x, [y, z])
    assert sorted(layer.name for layer in model.layers[1:]) == sorted(
        ["square", "batch_flatten", "sum", "shape", "tf.__operators__.getitem", "cast", "tf.math.truediv"]
    )
    data = torch.randn(2, 3, 4)
    flat, mean = model(data)
    torch.testing.assert_close(flat, (data**2).reshape(2, 12))
    torch.testing.assert_close(mean, (data**2).reshape(2, 12).sum(-1, keepdim=True) / 3)
    rebuilt = keras.Model.from_config(model.get_config())
    torch.testing.assert_close(rebuilt(data)[1], mean)


def test_function_with_learning_phase():
    inp = keras.Input((10,))
    out = keras.layers.Dropout(0.5)(keras.layers.Dense(10, kernel_initializer="ones")(inp))
    f = K.function([inp, K.learning_phase()], [out])
    data = np.ones((4, 10), dtype="float32")
    inference = f([data, 0])[0]
    np.testing.assert_allclose(inference, np.full((4, 10), 10.0))
    training = f([data, 1])[0]
    assert (training == 0).any() and np.isclose(training.max(), 20.0)
    single = K.function([inp], out)
    assert isinstance(single([data]), np.ndarray)
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
        assert (single([data]) == 0).any()
    assert K.learning_phase() == 0


def test_placeholder_feeds_a_function():
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [K.sum(x * 2.0, axis=1)])
    np.testing.assert_allclose(f([np.ones((2, 3), "float32")])[0], [6.0, 6.0])
    with pytest.raises(NotImplementedError, match="updates"):
        K.function([x], [x], updates=[(x, x)])


def test_gradients_eagerly():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (grad,) = K.gradients((w**2).sum(), [w])
    assert grad.tolist() == [2.0, 4.0]
    with pytest.raises(NotImplementedError, match="K.gradients on symbolic"):
        K.gradients(keras.Input((1,)), [w])


def test_random_functions():
    a = K.random_normal((3, 2), mean=1.0, stddev=0.0)
    assert a.tolist() == [[1.0, 1.0]] * 3
    b = K.random_uniform((1000,), minval=2.0, maxval=3.0, seed=1)
    assert 2.0 <= b.min() and b.max() <= 3.0
    torch.testing.assert_close(b, K.random_uniform((1000,), minval=2.0, maxval=3.0, seed=1))


@pytest.mark.parametrize(
    "name, parameters",
    [
        ("sum", [("x", "-"), ("axis", None), ("keepdims", False)]),
        ("round", [("x", "-")]),
        ("greater_equal", [("x", "-"), ("y", "-")]),
    ],
)
def test_functions_forwarded_to_ops_keep_keras_2_signatures(name, parameters):
    """K functions that forward to keras.ops keep Keras 2's argument names, and a reduction
    passes every argument on, so its op layer's config records ``keepdims`` too."""
    import inspect

    function = getattr(K, name)
    found = inspect.signature(function).parameters.values()
    assert [(p.name, "-" if p.default is p.empty else p.default) for p in found] == parameters
    assert (function.__name__, function.__module__) == (name, "kerasish.keras2_backend")
    y = K.sum(keras.Input((3,)), 1)
    assert y._keras_history[0]._inbound_nodes[0].call_args[1:] == (1, False)


def test_unsigned_inputs_are_held_one_size_up_as_keras_torch_backend_does():
    import numpy as np

    import kerasish

    for name, held in (("uint16", torch.int32), ("uint32", torch.int64)):
        assert K.torch_dtype(name) is held
        inputs = kerasish.Input((3,), dtype=name)
        assert inputs.dtype == name
        model = kerasish.Model(inputs, kerasish.layers.Lambda(lambda t: t * 2)(inputs))
        np.testing.assert_array_equal(model.predict(np.array([[1, 2, 3]], dtype=name), verbose=0), [[2, 4, 6]])
