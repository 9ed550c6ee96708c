"""keras.activations side by side with Keras 3: the functions Keras 3 added after Keras 2
(celu, glu, the shrink family, sparse_*, sparsemax, squareplus...), their aliases, names in
layer configs both ways, and ``deserialize``."""

import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, copy_weights

CASES = [
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("glu", {}),
    ("glu", {"axis": 1}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.2}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 0.8}),
    ("hard_tanh", {}),
    ("tanh_shrink", {}),
    ("log_sigmoid", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("sparsemax", {}),
    ("sparsemax", {"axis": 1}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.5}),
    ("threshold", {"threshold": 0.3, "default_value": -2.0}),
    ("swish", {}),
    ("hard_swish", {}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_function_matches_keras(rng, name, kwargs):
    import keras

    x = (rng.standard_normal((3, 4, 6)) * 2).astype("float32")
    expected = keras.ops.convert_to_numpy(getattr(keras.activations, name)(x, **kwargs))
    received = getattr(kerasish.activations, name)(torch.from_numpy(x), **kwargs)
    np.testing.assert_allclose(received.numpy(), expected, atol=1e-6, rtol=0)


def test_aliases_are_the_same_functions_and_serialize_as_keras():
    import keras

    for alias, target in (("swish", "silu"), ("hard_swish", "hard_silu")):
        assert getattr(kerasish.activations, alias) is getattr(kerasish.activations, target)
        assert kerasish.activations.serialize(getattr(kerasish.activations, alias)) == (
            keras.activations.serialize(getattr(keras.activations, alias))
        )


NAMES = sorted({name for name, kwargs in CASES if name != "threshold"})


@pytest.mark.parametrize("name", NAMES)
def test_dense_activation_names_in_configs_both_ways(name):
    import keras

    reference = keras.layers.Dense(3, activation=name).get_config()["activation"]
    ours = kerasish.layers.Dense(3, activation=name).get_config()["activation"]
    assert ours == reference
    assert kerasish.activations.get(reference) is kerasish.activations.get(name)
    keras.layers.Dense(3, activation=ours)  # Keras reads our name


def test_keras3_model_with_new_activations_loads_and_predicts(rng, tmp_path):
    import keras

    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="celu")(inputs)
    hidden = keras.layers.Activation("sparse_plus")(hidden)
    hidden = keras.layers.Dense(8, activation="soft_shrink")(hidden)
    outputs = keras.layers.Dense(5, activation="sparsemax")(hidden)
    reference = keras.Model(inputs, outputs)
    path = tmp_path / "acts.keras"
    reference.save(path)
    ours = kerasish.models.load_model(path)
    x = rng.standard_normal((7, 6)).astype("float32")
    assert_same_outputs(reference, ours, x, atol=1e-6)
    rebuilt = keras.Model.from_config(reference.get_config())
    copy_weights(ours, rebuilt)
    assert_same_outputs(rebuilt, ours, x, atol=1e-6)


@pytest.mark.parametrize(
    "config",
    [
        "celu",
        "sparsemax",
        {"module": "keras.activations", "class_name": "function", "config": "log_sigmoid",
         "registered_name": "log_sigmoid"},
    ],
)
def test_deserialize_matches_keras(config):
    """(Keras 3.15 cannot deserialize the aliases "swish"/"hard_swish" by string, a ValueError
    about KerasSaveable; kerasish gives their functions, see tests/test_activations.py.)"""
    import keras

    reference = keras.activations.deserialize(config)
    ours = kerasish.activations.deserialize(config)
    assert ours.__name__ == reference.__name__


def test_deserialize_returns_unknown_names_as_keras_does():
    import keras

    assert kerasish.activations.deserialize("no_such_fn") == keras.activations.deserialize("no_such_fn")
