"""Identity and Masking (Dense, Activation, Dropout, Flatten and Reshape are covered by the model
and example tests)."""

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers


def test_identity_returns_its_inputs_of_any_structure():
    layer = layers.Identity()
    x = torch.randn(2, 3)
    assert layer(x) is x
    pair = [keras.Input((3,)), keras.Input((4,), dtype="int32")]
    out = layer(pair)
    assert [t.shape for t in out] == [(None, 3), (None, 4)]
    assert [t.dtype for t in out] == ["float32", "int32"]
    assert layer.count_params() == 0


def test_masking_zeroes_and_masks_matching_steps():
    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    layer = layers.Masking()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    assert layer.compute_mask(x).tolist() == [[True, False, True]]
    other = layers.Masking(mask_value=2.0)
    y = torch.tensor([[[2.0, 2.0], [2.0, 1.0]]])
    np.testing.assert_array_equal(other(y).numpy(), [[[0.0, 0.0], [2.0, 1.0]]])


def test_masking_mask_reaches_consumers_in_a_model():
    inputs = keras.Input((4, 2))
    masked = layers.Masking(mask_value=-1.0)(inputs)
    assert masked._keras_mask is not None and masked._keras_mask.shape == (None, 4)
    model = keras.Model(inputs, layers.GlobalAveragePooling1D()(masked))
    data = np.array([[[1, 1], [-1, -1], [3, 5], [-1, -1]]], "float32")
    np.testing.assert_allclose(model.predict(data, verbose=0), [[2.0, 3.0]])
    assert "compute_mask" in model.forward_source()


def test_masking_config():
    layer = layers.Masking(mask_value=-5.0, name="m")
    config = layer.get_config()
    assert config["mask_value"] == -5.0
    assert layers.Masking.from_config(config).mask_value == -5.0
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        layers.Identity(foo=1)
