import pytest

import kerasish as keras


def test_each_call_adds_a_node():
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(4,))
    dense = keras.layers.Dense(3)
    ya, yb = dense(a), dense(b)
    assert len(dense._inbound_nodes) == 2
    assert dense.get_output_at(0) is ya
    assert dense.get_output_at(1) is yb
    assert dense.get_input_at(1) is b
    assert dense.get_input_shape_at(0) == (None, 4)
    assert dense.get_output_shape_at(1) == (None, 3)
    assert ya._keras_history.node_index == 0 and yb._keras_history.node_index == 1
    assert a._keras_history.layer._outbound_nodes == [dense._inbound_nodes[0]]


def test_single_node_attributes():
    x = keras.Input(shape=(4,))
    dense = keras.layers.Dense(3)
    y = dense(x)
    assert dense.input is x
    assert dense.output is y
    assert dense.input_shape == (None, 4)
    assert dense.output_shape == (None, 3)


def test_ambiguous_output_names_get_output_at():
    dense = keras.layers.Dense(3, name="lstm_1")
    dense(keras.Input(shape=(4,)))
    dense(keras.Input(shape=(4,)))
    with pytest.raises(AttributeError) as err:
        dense.output
    message = str(err.value)
    assert "lstm_1 has multiple inbound nodes" in message
    assert "get_output_at(node_index)" in message
    with pytest.raises(AttributeError, match="get_input_at"):
        dense.input
    # Shapes agree across both calls, so the shape is still well defined (seed 002).
    assert dense.output_shape == (None, 3)


def test_ambiguous_shapes_name_shape_accessors():
    flatten = keras.layers.Flatten()
    flatten(keras.Input(shape=(32, 32, 3)))
    flatten(keras.Input(shape=(64, 64, 3)))
    with pytest.raises(AttributeError, match="get_input_shape_at"):
        flatten.input_shape
    with pytest.raises(AttributeError, match="get_output_shape_at"):
        flatten.output_shape
    assert flatten.get_output_shape_at(1) == (None, 64 * 64 * 3)


def test_uncalled_layer_errors():
    dense = keras.layers.Dense(3)
    with pytest.raises(AttributeError, match="not connected"):
        dense.output
    with pytest.raises(AttributeError, match="never been called"):
        dense.output_shape
    with pytest.raises(RuntimeError, match="never been called"):
        dense.get_output_at(0)
    dense(keras.Input(shape=(2,)))
    with pytest.raises(ValueError, match="only 1 inbound nodes"):
        dense.get_output_at(3)
