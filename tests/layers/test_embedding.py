import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.layers import Embedding


def test_output_shape_symbolic_and_eager():
    layer = Embedding(10, 4)
    y = layer(keras.Input(shape=(7,), dtype="int32"))
    assert y.shape == (None, 7, 4)
    assert y.dtype == "float32"
    out = layer(np.array([[1, 2, 3], [4, 5, 6]]))
    assert tuple(out.shape) == (2, 3, 4)
    assert out.dtype == torch.float32


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int16, torch.float32])
def test_any_index_dtype_looks_up_the_same_rows(dtype):
    layer = Embedding(6, 3)
    indices = torch.tensor([[0, 5, 2]])
    expected = layer(indices)
    received = layer(indices.to(dtype))
    assert received.dtype == torch.float32
    torch.testing.assert_close(received, expected)
    torch.testing.assert_close(received[0, 1], layer.weight[5])


def test_default_initializer_is_keras_uniform():
    layer = Embedding(200, 50)
    layer.build()
    table = layer.get_weights()[0]
    assert table.shape == (200, 50)
    assert np.abs(table).max() <= 0.05
    assert table.std() > 0.02  # uniform on +-0.05 has std 0.029; torch's N(0, 1) would be 1


def test_weights_in_keras_layout_and_torch_state_dict():
    layer = Embedding(5, 3)
    layer.build()
    table = np.arange(15, dtype="float32").reshape(5, 3)
    layer.set_weights([table])
    np.testing.assert_array_equal(layer.embeddings.detach().numpy(), table)
    assert list(layer.state_dict()) == ["weight"]
    reference = torch.nn.Embedding(5, 3)
    reference.load_state_dict(layer.state_dict())
    indices = torch.tensor([[4, 0, 2]])
    torch.testing.assert_close(reference(indices), layer(indices))
    assert layer.count_params() == 15


def test_weights_argument_keras2_list_and_keras3_matrix():
    table = np.ones((4, 2), dtype="float32")
    for weights in ([table], table):
        layer = Embedding(4, 2, weights=weights)
        assert layer.built
        np.testing.assert_array_equal(layer.get_weights()[0], table)


def test_mask_zero_produces_mask_symbolically_and_eagerly():
    x = keras.Input(shape=(5,), dtype="int32")
    masked = Embedding(10, 3, mask_zero=True)(x)
    assert masked._keras_mask is not None
    assert masked._keras_mask.shape == (None, 5)
    plain = Embedding(10, 3)(x)
    assert getattr(plain, "_keras_mask", None) is None

    layer = Embedding(10, 3, mask_zero=True)
    indices = torch.tensor([[3, 1, 0, 0]])
    assert layer.compute_mask(indices).tolist() == [[True, True, False, False]]
    assert Embedding(10, 3).compute_mask(indices) is None


def test_input_length_sets_input_shape_and_output_shape():
    model = keras.Sequential([Embedding(10, 3, input_length=6)])
    assert model.output_shape == (None, 6, 3)
    assert Embedding(10, 3, input_length=6).compute_output_shape((None, None)) == (None, 6, 3)
    with pytest.raises(ValueError, match="input_length"):
        Embedding(10, 3, input_length=6).compute_output_shape((None, 5))


def test_config_round_trip():
    layer = Embedding(
        12,
        4,
        mask_zero=True,
        input_length=3,
        embeddings_regularizer="l2",
        name="emb",
    )
    config = layer.get_config()
    for key in ("input_dim", "output_dim", "embeddings_initializer", "mask_zero", "input_length"):
        assert key in config
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    assert clone.mask_zero and clone.input_length == 3


def test_regularizer_penalty():
    layer = Embedding(4, 2, embeddings_regularizer="l2")
    layer.build()
    layer.set_weights([np.ones((4, 2), dtype="float32")])
    assert len(layer.losses) == 1
    assert float(layer.losses[0].detach()) > 0


def test_errors_are_clear():
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(3, 2.5)
    layer = Embedding(3, 2, name="words")
    with pytest.raises(IndexError, match="words"):
        layer(torch.tensor([[7]]))
    with pytest.raises(AttributeError, match="build"):
        Embedding(3, 2).embeddings
