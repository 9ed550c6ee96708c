import pytest

from kerasish.saving import keras2_compat


def _lstm(**config):
    return {"class_name": "LSTM", "config": {"name": "lstm_1", **config}}


def test_keras1_inner_activation_keeps_keras2s_hard_sigmoid():
    config = keras2_compat.read_config(_lstm(inner_activation="hard_sigmoid"), "1.2.2")
    assert config["config"]["inner_activation"] == "legacy_hard_sigmoid"
    assert keras2_compat.read_config(_lstm(inner_activation="hard_sigmoid"), "3.1.0")["config"][
        "inner_activation"
    ] == "hard_sigmoid"


def test_keras1_input_dtype_is_dtype_inside_nested_configs():
    sequential = {"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d", "input_dtype": "float32", "output_dim": 2}},
        {"class_name": "Dense", "config": {"name": "e", "input_dtype": "float64", "dtype": "float32"}},
    ]}
    first, second = keras2_compat.read_config(sequential, "1.2.2")["config"]
    assert first["config"] == {"name": "d", "dtype": "float32", "output_dim": 2}
    assert second["config"] == {"name": "e", "dtype": "float32"}


@pytest.mark.parametrize("version", ["1.2.2", "2.0.8", "2.1.4"])
def test_old_gru_configs_without_reset_after_reset_before_the_matmul(version):
    wrapped = {"class_name": "Bidirectional", "config": {"name": "b", "layer": {"class_name": "GRU", "config": {"units": 2}}}}
    inner = keras2_compat.read_config(wrapped, version)["config"]["layer"]["config"]
    assert inner["reset_after"] is False
    explicit = {"class_name": "GRU", "config": {"units": 2, "reset_after": True}}
    assert keras2_compat.read_config(explicit, version)["config"]["reset_after"] is True


def test_keras3_configs_are_left_as_they_are():
    config = {"class_name": "GRU", "config": {"units": 2, "input_dtype": "float32"}}
    assert keras2_compat.read_config(config, "3.15.1") is config
