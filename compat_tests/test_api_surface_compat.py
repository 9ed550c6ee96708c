"""Side by side with Keras 3 (torch backend): keras.tree, keras.random (same seeds, same numbers),
keras.backend.result_type, keras.utils helpers and keras.models.clone_model."""

from __future__ import annotations

import collections
import itertools

import keras
import numpy as np
import pytest
import torch

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

Pair = collections.namedtuple("Pair", ["right", "left"])

STRUCTURES = [
    {"b": {"d": 1, "c": 2}, "a": [{"z": 3, "y": 4}, None]},
    [1, (2, 3), {"k": [4, 5]}],
    Pair(1, [2, Pair(3, 4)]),
    collections.OrderedDict([("b", 1), ("a", 2)]),
    (None, [], {}),
    7,
]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_tree_functions_match(structure):
    for name in ("flatten", "flatten_with_path", "is_nested", "lists_to_tuples"):
        assert getattr(kerasish.tree, name)(structure) == getattr(keras.tree, name)(structure), name
    leaves = list(range(100, 100 + len(keras.tree.flatten(structure))))
    packed = kerasish.tree.pack_sequence_as(structure, leaves)
    expected = keras.tree.pack_sequence_as(structure, leaves)
    assert packed == expected and type(packed) is type(expected)
    if isinstance(expected, dict):
        assert list(packed) == list(expected)

    def double(x):
        return None if x is None else x * 2

    assert kerasish.tree.map_structure(double, structure) == keras.tree.map_structure(double, structure)

    def tag(x):
        return ("seen", x) if isinstance(x, int) else None

    assert kerasish.tree.traverse(tag, structure) == keras.tree.traverse(tag, structure)
    assert kerasish.tree.traverse(tag, structure, top_down=False) == keras.tree.traverse(
        tag, structure, top_down=False
    )


def test_tree_structure_checks_agree():
    cases = [([0, 1], [2, 3]), ([0, 1], (0, 1)), ({"a": 1}, {"a": 2}), ([0, [1]], [0, 1]), (Pair(0, 1), (0, 1))]
    for a, b in cases:
        outcomes = []
        for module in (keras.tree, kerasish.tree):
            try:
                module.assert_same_structure(a, b)
                outcomes.append(None)
            except ValueError:
                outcomes.append(ValueError)
            try:
                module.assert_same_paths(a, b)
                outcomes.append(None)
            except ValueError:
                outcomes.append(ValueError)
        assert outcomes[:2] == outcomes[2:], (a, b)
    shapes = {"x": (None, 3), "y": [(2, 4), [5]]}
    assert kerasish.tree.map_shape_structure(len, shapes) == keras.tree.map_shape_structure(len, shapes)
    assert kerasish.tree.map_structure_up_to([0, 0], len, [[1, 2], (3,)]) == keras.tree.map_structure_up_to(
        [0, 0], len, [[1, 2], (3,)]
    )


RANDOM_CALLS = [
    ("normal", ((3, 4),), {"mean": 2.0, "stddev": 3.0}),
    ("normal", ((5,),), {"dtype": "float64"}),
    ("uniform", ((3, 4),), {"minval": -1.0, "maxval": 3.0}),
    ("uniform", ((),), {}),
    ("randint", ((3, 4), -5, 10), {}),
    ("randint", ((6,), 0, 3), {"dtype": "int64"}),
    ("truncated_normal", ((40, 3),), {"stddev": 0.5}),
    ("categorical", (np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], "float32")), 6), {}),
    ("shuffle", (np.arange(24).reshape(4, 6),), {"axis": 1}),
    ("shuffle", (np.arange(24).reshape(4, 6),), {}),
    ("gamma", ((5, 3), np.array([0.5, 1.0, 3.0], "float32")), {}),
    ("binomial", ((5, 3), np.array([5.0, 10.0, 20.0], "float32"), np.array([0.1, 0.5, 0.9], "float32")), {}),
    ("beta", ((5, 3), 2.0, 3.0), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), RANDOM_CALLS, ids=[c[0] for c in RANDOM_CALLS])
def test_random_same_seed_same_values(name, args, kwargs):
    # Keras' torch backend seeds a torch.Generator with the seed: on the CPU the numbers match.
    with keras.device("cpu"), kerasish.device("cpu"):
        expected = getattr(keras.random, name)(*args, **kwargs, seed=42)
        received = getattr(kerasish.random, name)(*args, **kwargs, seed=42)
    assert received.dtype == expected.dtype and tuple(received.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(received.cpu().numpy(), expected.cpu().numpy())


def test_random_dropout_and_seed_generator_streams_match():
    x = torch.ones(6, 5)
    with keras.device("cpu"), kerasish.device("cpu"):
        for kwargs in ({}, {"noise_shape": (None, 1)}):
            np.testing.assert_array_equal(
                kerasish.random.dropout(x, 0.4, seed=3, **kwargs).numpy(),
                keras.random.dropout(x, 0.4, seed=3, **kwargs).numpy(),
            )
        theirs, ours = keras.random.SeedGenerator(11), kerasish.random.SeedGenerator(11)
        for _ in range(3):
            np.testing.assert_array_equal(
                kerasish.random.uniform((4,), seed=ours).numpy(), keras.random.uniform((4,), seed=theirs).numpy()
            )
            np.testing.assert_array_equal(ours.state.numpy(), theirs.state.numpy())
    assert ours.get_config()["seed"] == theirs.get_config()["seed"] == 11


def test_result_type_matches_on_all_pairs():
    dtypes = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "bfloat16", "float16",
              "float32", "float64", "complex64", int, float, None]
    for a, b in itertools.product(dtypes, repeat=2):
        assert kerasish.backend.result_type(a, b) == keras.backend.result_type(a, b), (a, b)
    for dtype in ["bfloat16", "uint32", "int8", "bool", "complex64"]:
        assert kerasish.backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
        assert kerasish.backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)


def test_split_dataset_seeded_shuffle_picks_keras_samples():
    data = (np.arange(20), np.arange(20) * 2)
    theirs = keras.utils.split_dataset(data, left_size=0.6, shuffle=True, seed=5)
    ours = kerasish.utils.split_dataset(data, left_size=0.6, shuffle=True, seed=5)
    for t, o in zip(theirs, ours):
        assert list(o.indices) == list(t.indices)
        assert [int(o[i][1]) for i in range(len(o))] == [int(t[i][1]) for i in range(len(t))]
    for call in (lambda m: m.utils.split_dataset(data[0]), lambda m: m.utils.split_dataset(data[0], left_size=25)):
        with pytest.raises(ValueError) as expected:
            call(keras)
        with pytest.raises(ValueError) as received:
            call(kerasish)
        assert str(received.value) == str(expected.value)


def test_config_object_and_source_inputs_match():
    theirs, ours = keras.utils.Config(a=1), kerasish.utils.Config(a=1)
    for config in (theirs, ours):
        config.b = 2
        config["c"] = 3
        config.freeze()
    assert list(ours) == list(theirs) and ours.to_json() == theirs.to_json()
    assert ours.as_dict() == theirs.as_dict() and repr(ours) == repr(theirs)
    for module in (keras, kerasish):
        a, b = module.Input((2,), name="a"), module.Input((2,), name="b")
        out = module.layers.Concatenate()([module.layers.Dense(2)(b), a])
        sources = module.utils.get_source_inputs(out)
        assert [s is x for s, x in zip(sources, (b, a))] == [True, True]
    assert kerasish.config.is_flash_attention_enabled() == keras.config.is_flash_attention_enabled()
    assert kerasish.config.max_epochs() == keras.config.max_epochs()


# ---------------------------------------------------------------- clone_model


def _functional(module):
    inputs = [module.Input((4,), name="x"), module.Input((3,), name="y")]
    shared = module.layers.Dense(4, activation="tanh", name="shared")
    a = shared(inputs[0])
    b = shared(module.layers.Dense(4, name="lift")(inputs[1]))
    joined = module.layers.Concatenate(name="join")([a, b])
    inner = module.Sequential([module.layers.Dense(3, name="inner_dense")], name="inner")
    return module.Model(inputs, [module.layers.Dense(2, name="head")(joined), inner(joined)], name="net")


def _layer_names(model):
    return [layer.name for layer in model.layers]


@pytest.mark.parametrize("recursive", [False, True])
def test_clone_functional_matches_keras(rng, recursive):
    theirs = keras.models.clone_model(_functional(keras), recursive=recursive)
    ours = kerasish.models.clone_model(_functional(kerasish), recursive=recursive)
    assert type(ours).__name__ == type(theirs).__name__ == "Functional"
    assert _layer_names(ours) == _layer_names(theirs) and ours.name == theirs.name
    assert_same_structure(theirs, ours)
    copy_weights(theirs, ours)
    assert_same_outputs(theirs, ours, [rng.random((3, 4), dtype=np.float32), rng.random((3, 3), dtype=np.float32)])


def test_clone_sequential_and_custom_functions_match_keras(rng):
    built = {}
    for module in (keras, kerasish):
        model = module.Sequential(
            [module.Input((5,), name="inp"), module.layers.Dense(4, name="a"), module.layers.Dense(2, name="b")],
            name="seq",
        )
        model.compile(optimizer="adam", loss="mse")

        def rename(layer, module=module):
            config = layer.get_config()
            config["name"] = config["name"] + "_clone"
            return layer.__class__.from_config(config)

        clone = module.models.clone_model(model, clone_function=rename)
        built[module.__name__] = clone
        assert _layer_names(clone) == ["a_clone", "b_clone"] and clone.name == "seq"
        assert type(clone.optimizer).__name__ == "Adam" and clone.optimizer is not model.optimizer
    theirs, ours = built["keras"], built["kerasish"]
    copy_weights(theirs, ours)
    assert_same_outputs(theirs, ours, rng.random((4, 5), dtype=np.float32))


def test_clone_call_function_and_input_tensors_match_keras(rng):
    models = {}
    for module in (keras, kerasish):
        inputs = module.Input((4,), name="x")
        model = module.Model(inputs, module.layers.Dense(2, name="d2")(module.layers.Dense(3, name="d1")(inputs)))

        def add_relu(layer, *args, module=module, **kwargs):
            out = layer(*args, **kwargs)
            return module.layers.ReLU(name=f"relu_after_{layer.name}")(out) if layer.name == "d1" else out

        upstream = module.Input((4,), name="fresh")
        models[module.__name__] = module.models.clone_model(model, input_tensors=upstream, call_function=add_relu)
    theirs, ours = models["keras"], models["kerasish"]
    assert _layer_names(ours) == _layer_names(theirs) == ["fresh", "d1", "relu_after_d1", "d2"]
    copy_weights(theirs, ours)
    assert_same_outputs(theirs, ours, rng.random((3, 4), dtype=np.float32))


def test_clone_errors_match_keras():
    for make, kwargs in [
        (lambda m: m.Sequential([m.Input((3,)), m.layers.Dense(2)]), {"call_function": lambda layer: layer}),
        (lambda m: m.layers.Dense(2), {"clone_function": lambda layer: layer}),
        (lambda m: m.Sequential([m.Input((3,)), m.layers.Dense(2)]), {"bogus": 1}),
    ]:
        messages = []
        for module in (keras, kerasish):
            with pytest.raises(ValueError) as caught:
                module.models.clone_model(make(module), **kwargs)
            messages.append(str(caught.value).split("Received")[0])
        assert messages[0] == messages[1]
