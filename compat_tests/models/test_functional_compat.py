"""Functional and Sequential models built side by side in Keras 3 and kerasish."""

import json

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights


def _shared_nested(lib):
    L = lib.layers
    inner_in = lib.Input(shape=(6,))
    inner = lib.Model(inner_in, L.Dense(5, activation="tanh")(L.Dense(8, activation="relu")(inner_in)))
    a = lib.Input(shape=(6,))
    b = lib.Input(shape=(6,))
    shared = L.Dense(3, activation="sigmoid")
    x = shared(inner(a))
    y = shared(inner(b))
    return lib.Model([a, b], [L.Dense(1)(x), y])


def test_shared_layer_and_nested_model_predictions(rng):
    import keras

    reference = _shared_nested(keras)
    ours = _shared_nested(kerasish)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    inputs = [rng.standard_normal((7, 6)).astype("float32") for _ in range(2)]
    assert_same_outputs(reference, ours, inputs)


def test_keras3_config_loads_in_kerasish(rng):
    import keras

    reference = _shared_nested(keras)
    config = json.loads(json.dumps(reference.get_config()))
    ours = kerasish.Model.from_config(config)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in reference.layers]
    copy_weights(reference, ours)
    inputs = [rng.standard_normal((4, 6)).astype("float32") for _ in range(2)]
    assert_same_outputs(reference, ours, inputs)


def test_seed_003_sequential_and_functional(rng):
    import keras

    for lib_model in (
        lambda lib: lib.Sequential([lib.layers.Dense(10, input_shape=(10,)), lib.layers.Dense(10)])
        if lib is kerasish
        else lib.Sequential([lib.Input((10,)), lib.layers.Dense(10), lib.layers.Dense(10)]),
        lambda lib: lib.Model(
            inp := lib.Input(shape=(10,)), lib.layers.Dense(10)(lib.layers.Dense(10)(inp))
        ),
    ):
        reference, ours = lib_model(keras), lib_model(kerasish)
        copy_weights(reference, ours)
        assert_same_structure(reference, ours)
        assert ours.count_params() == 220
        assert_same_outputs(reference, ours, rng.standard_normal((5, 10)).astype("float32"))


def test_seed_004_dense_on_rank3_input(rng):
    import keras

    def build(lib):
        data = lib.Input(shape=(2, 3))
        return lib.Model(inputs=data, outputs=lib.layers.Dense(2)(data))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    assert ours.output_shape == (None, 2, 2) == tuple(reference.output_shape)
    assert ours.count_params() == 8
    assert_same_outputs(reference, ours, rng.standard_normal((3, 2, 3)).astype("float32"))


def test_layer_order_matches_keras3_for_branching_graph():
    import keras

    def build(lib):
        L = lib.layers
        a = lib.Input(shape=(4,), name="a")
        b = lib.Input(shape=(4,), name="b")
        x = L.Dense(3, name="x")(a)
        y = L.Dense(3, name="y")(b)
        z = L.Dense(3, name="z")(x)
        return lib.Model([a, b], [z, y])

    assert [x.name for x in build(kerasish).layers] == [x.name for x in build(keras).layers]
