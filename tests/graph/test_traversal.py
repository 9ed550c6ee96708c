import pytest

import kerasish as keras


def test_layers_ordered_by_depth_like_tf_keras():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    x = keras.layers.Dense(2, name="x")(a)
    y = keras.layers.Dense(2, name="y")(b)
    z = keras.layers.Dense(1, name="z")(x)
    model = keras.Model([a, b], [z, y])
    names = [layer.name for layer in model.layers]
    assert names.index("a") < names.index("x") < names.index("z")
    assert names.index("b") < names.index("y")
    assert names[-1] in {"z", "y"}
    assert set(names) == {"a", "b", "x", "y", "z"}


def test_disconnected_graph_names_the_missing_tensor():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    out = keras.layers.Dense(1, name="head")(b)
    with pytest.raises(ValueError) as err:
        keras.Model(a, out)
    message = str(err.value)
    assert "Graph disconnected" in message
    assert "name=b" in message and '"head"' in message


def test_duplicate_layer_names_rejected():
    a = keras.Input(shape=(3,))
    x = keras.layers.Dense(2, name="same")(a)
    y = keras.layers.Dense(2, name="same")(x)
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        keras.Model(a, y)


def test_inputs_must_come_from_input():
    a = keras.Input(shape=(3,))
    x = keras.layers.Dense(2)(a)
    with pytest.raises(ValueError, match="must come from `keras.Input`"):
        keras.Model(x, keras.layers.Dense(1)(x))
    with pytest.raises(ValueError, match="same input multiple times"):
        keras.Model([a, a], x)
    with pytest.raises(ValueError, match="Output tensors"):
        keras.Model(a, "not a tensor")
