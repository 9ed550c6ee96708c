"""Pipeline without real Keras: order, training default, masks, weights, config, saving."""

import numpy as np
import pytest
import torch

import kerasish
from kerasish import layers


def test_layers_apply_in_order():
    pipe = layers.Pipeline([layers.Rescaling(2.0), layers.Rescaling(1.0, offset=1.0)])
    torch.testing.assert_close(pipe(torch.ones(2, 3)), torch.full((2, 3), 3.0))
    flipped = layers.Pipeline([layers.Rescaling(1.0, offset=1.0), layers.Rescaling(2.0)])
    torch.testing.assert_close(flipped(torch.ones(2, 3)), torch.full((2, 3), 4.0))


def test_training_defaults_to_true():
    pipe = layers.Pipeline([layers.Dropout(0.5)])
    x = torch.ones(200, 4)
    assert (pipe(x) == 0).any()
    torch.testing.assert_close(pipe(x, training=False), x)


def test_weights_are_the_layers_weights():
    dense = layers.Dense(3)
    pipe = layers.Pipeline([dense, layers.Dense(2)])
    pipe(torch.ones(1, 4))
    assert [w.shape for w in pipe.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]
    assert len(list(pipe.parameters())) == 4
    assert pipe.layers[0] is dense


def test_mask_passes_from_layer_to_layer():
    pipe = layers.Pipeline([layers.Masking(0.0), layers.GlobalAveragePooling1D()])
    x = torch.tensor([[[1.0], [3.0], [0.0]]])
    torch.testing.assert_close(pipe(x), torch.tensor([[2.0]]))


def test_symbolic_call_and_saving(tmp_path):
    inputs = kerasish.Input((4,))
    pipe = layers.Pipeline([layers.Rescaling(0.5), layers.Dense(3)], name="p")
    outputs = pipe(inputs)
    assert tuple(outputs.shape) == (None, 3)
    model = kerasish.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    loaded = kerasish.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_config_and_bad_input():
    pipe = layers.Pipeline([layers.Rescaling(0.5, name="r")], name="p")
    config = pipe.get_config()
    assert set(config) == {"layers", "name"} and config["name"] == "p"
    clone = layers.Pipeline.from_config(config)
    assert clone.get_config() == config
    with pytest.raises(ValueError, match="takes a list of layers"):
        layers.Pipeline([torch.nn.Linear(2, 2)])
