import numpy as np
import pytest
import torch

import kerasish as keras

L = keras.layers


def _vision_model():
    inp = keras.Input(shape=(6,))
    x = L.Dense(8, activation="relu")(inp)
    out = L.Dense(4)(x)
    return keras.Model(inp, out)


def test_model_attributes():
    inp = keras.Input(shape=(10,), name="features")
    out = L.Dense(3, name="head")(L.Dense(5)(inp))
    model = keras.Model(inputs=inp, outputs=out, name="clf")
    assert model.name == "clf"
    assert model.inputs == [inp] and model.outputs == [out]
    assert model.input is inp and model.output is out
    assert model.input_names == ["features"] and model.output_names == ["head"]
    assert model.input_shape == (None, 10) and model.output_shape == (None, 3)
    assert isinstance(model.layers[0], keras.InputLayer)
    assert model.get_layer("head") is model.layers[-1]
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    assert isinstance(model, keras.models.Functional) and isinstance(model, torch.nn.Module)


def test_model_is_a_layer_sharing_weights():
    vision = _vision_model()
    a, b = keras.Input(shape=(6,)), keras.Input(shape=(6,))
    out_a, out_b = vision(a), vision(b)
    merged = L.Dense(1, activation="sigmoid")(out_a)
    model = keras.Model([a, b], [merged, out_b])
    assert vision in model.layers
    assert model.count_params() == vision.count_params() + 5
    xa = np.random.rand(3, 6).astype("float32")
    _, embedded_b = model.predict([xa, xa], verbose=0)
    np.testing.assert_allclose(embedded_b, vision.predict(xa, verbose=0), rtol=1e-6)
    # Keras 2 numbering: node 0 is the model itself, its calls are nodes 1 and 2.
    assert vision.get_output_at(1) is out_a and vision.get_output_at(2) is out_b
    assert vision.output is vision.outputs[0]


def test_new_model_from_old_outputs_shares_layers():
    base = _vision_model()
    head = L.Dense(2, activation="softmax")(base.output)
    model = keras.Model(base.inputs, head)
    assert model.layers[:-1] == base.layers
    base.layers[1].weight.data.fill_(0.0)
    assert float(model.layers[1].weight.detach().abs().sum()) == 0.0


def test_multi_input_call_styles():
    a = keras.Input(shape=(2,), name="a")
    b = keras.Input(shape=(3,), name="b")
    out = L.Dense(1)(L.Dense(4)(a))
    out2 = L.Dense(1)(b)
    model = keras.Model({"a": a, "b": b}, [out, out2])
    xa, xb = torch.rand(5, 2), torch.rand(5, 3)
    by_dict = model({"a": xa, "b": xb})
    by_args = model(xa, xb)
    for first, second in zip(by_dict, by_args):
        assert torch.equal(first, second)
    assert model.input_names == ["a", "b"]
    with pytest.raises(ValueError, match="Missing data for input"):
        model.predict({"a": xa.numpy()}, verbose=0)


def test_dict_outputs():
    a = keras.Input(shape=(2,))
    model = keras.Model(a, {"y": L.Dense(1)(a), "z": L.Dense(2)(a)})
    result = model.predict(np.zeros((3, 2)), verbose=0)
    assert set(result) == {"y", "z"} and result["z"].shape == (3, 2)
    assert model.output_names == ["y", "z"]


def test_single_element_lists_are_unwrapped():
    a = keras.Input(shape=(2,))
    model = keras.Model([a], [L.Dense(1)(a)])
    assert isinstance(model.predict(np.zeros((2, 2)), verbose=0), np.ndarray)


def test_wrong_input_shape_error_names_model_and_shapes():
    model = _vision_model()
    with pytest.raises(ValueError, match=r"expected shape=\(None, 6\), found shape=\(2, 5\)"):
        model(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="expects 1 input"):
        model.predict([np.zeros((2, 6)), np.zeros((2, 6))], verbose=0)


def test_torch_module_behaviour():
    model = _vision_model()
    assert sorted(model.state_dict()) == ["dense.bias", "dense.weight", "dense_1.bias", "dense_1.weight"]
    assert len(list(model.parameters())) == 4
    model.to(torch.float64)
    assert model(torch.zeros(1, 6, dtype=torch.float64)).dtype == torch.float64


def test_training_flag_reaches_layers():
    inp = keras.Input(shape=(100,))
    model = keras.Model(inp, L.Dropout(0.5)(inp))
    x = torch.ones(2, 100)
    assert torch.equal(model(x), x)
    assert not torch.equal(model(x, training=True), x)
    model.train()
    assert not torch.equal(model(x), x)
    model.eval()
    np.testing.assert_array_equal(model.predict(x.numpy(), verbose=0), x.numpy())


def test_numpy_and_float64_inputs_are_cast():
    model = _vision_model()
    out = model(np.ones((2, 6)))
    assert out.dtype == torch.float32


def test_frozen_nested_model():
    vision = _vision_model()
    inp = keras.Input(shape=(6,))
    model = keras.Model(inp, L.Dense(1)(vision(inp)))
    vision.trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 4
    assert model.count_params() == 8 * 6 + 8 + 4 * 8 + 4 + 5


def test_a_multi_input_model_called_on_a_list_tuple_or_dict_of_torch_tensors():
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], keras.layers.Concatenate()([a, b]))
    xa, xb = torch.ones(4, 2), torch.zeros(4, 3)
    expected = torch.cat([xa, xb], dim=1)
    for inputs in ([xa, xb], (xa, xb), {"a": xa, "b": xb}):
        torch.testing.assert_close(model(inputs), expected)
    torch.testing.assert_close(model([xa, xb], training=False), expected)
    with pytest.raises(ValueError, match=r'"model.*expected shape=\(None, 2\), found shape=\(4, 3\)'):
        model([xb, xb])
