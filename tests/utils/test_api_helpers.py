"""keras.utils: Config, get_source_inputs, is_keras_tensor, split_dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish.utils import Config, get_source_inputs, is_keras_tensor, split_dataset


def test_config_attribute_and_item_access_and_freezing():
    config = Config(learning_rate=0.1)
    config.momentum = 0.9
    config["seed"] = 3
    assert config.learning_rate == 0.1 and config["momentum"] == 0.9 and "seed" in config
    assert list(config) == ["learning_rate", "momentum", "seed"] and len(config) == 3
    assert json.loads(config.to_json()) == {"learning_rate": 0.1, "momentum": 0.9, "seed": 3}
    assert config.as_dict() is not config._config and config.get("missing", 5) == 5
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        config.momentun
    config.freeze()
    assert config.frozen
    for mutate in (lambda: setattr(config, "x", 1), lambda: config.update(x=1), lambda: config.pop("seed")):
        with pytest.raises(ValueError, match="frozen"):
            mutate()
    config.unfreeze()
    del config["seed"]
    assert "seed" not in config and repr(config).startswith("<Config")


def test_get_source_inputs_and_is_keras_tensor():
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    added = keras.layers.Add()([a, keras.layers.Dense(2)(b)])
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([added, a]))
    sources = get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert get_source_inputs(a) == [a]
    value = np.zeros(2)
    assert get_source_inputs(value) is value
    assert is_keras_tensor(a) and not is_keras_tensor(torch.zeros(2)) and not is_keras_tensor(value)


def test_split_dataset_arrays_sizes_and_order():
    left, right = split_dataset(np.arange(10), left_size=0.6)
    assert isinstance(left, torch.utils.data.Subset) and len(left) == 6 and len(right) == 4
    assert [int(left[i][0]) for i in range(6)] == [0, 1, 2, 3, 4, 5]
    assert [int(right[i][0]) for i in range(4)] == [6, 7, 8, 9]
    left, right = split_dataset((np.arange(10), np.arange(10) * 2), left_size=2, right_size=3)
    assert len(left) == 2 and [int(right[i][1]) for i in range(3)] == [14, 16, 18]
    left, right = split_dataset([np.arange(10), np.arange(10)], right_size=0.3, shuffle=True, seed=1)
    again, _ = split_dataset([np.arange(10), np.arange(10)], right_size=0.3, shuffle=True, seed=1)
    assert len(left) == 7 and list(left.indices) == list(again.indices)
    assert sorted(list(left.indices) + list(right.indices)) == list(range(10))
    base = torch.utils.data.TensorDataset(torch.arange(6))
    left, right = split_dataset(base, left_size=4)
    assert left.dataset is base and len(right) == 2


def test_split_dataset_errors():
    data = np.arange(10)
    with pytest.raises(ValueError, match="At least one of the `left_size` or `right_size`"):
        split_dataset(data)
    with pytest.raises(ValueError, match="`left_size` should be either a positive integer smaller than 10"):
        split_dataset(data, left_size=10)
    with pytest.raises(ValueError, match="greater than 1"):
        split_dataset(data, left_size=0.7, right_size=0.5)
    with pytest.raises(TypeError, match="Invalid `right_size` Type"):
        split_dataset(data, right_size="half")
    with pytest.raises(ValueError, match="different lengths"):
        split_dataset((np.arange(3), np.arange(4)), left_size=1)
    with pytest.raises(TypeError, match="must be a `torch.utils.data.Dataset`"):
        split_dataset({"x": data}, left_size=1)
    with pytest.raises(NotImplementedError, match="split_dataset: tf.data.Dataset"):
        split_dataset(data, left_size=1, preferred_backend="tensorflow")
