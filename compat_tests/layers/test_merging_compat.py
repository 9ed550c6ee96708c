"""Merge layers side by side with Keras 3, including broadcasting and masks."""

import numpy as np
import pytest

import kerasish
from compat_tests.helpers import assert_same_outputs, assert_same_structure, copy_weights

MERGES = ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"]


def _two_branch(lib, merge, **kwargs):
    L = lib.layers
    a = lib.Input((3, 4))
    b = lib.Input((3, 4))
    merged = getattr(L, merge)([L.Dense(4)(a), L.Dense(4, activation="relu")(b)], **kwargs)
    return lib.Model([a, b], merged)


@pytest.mark.parametrize("merge", MERGES)
def test_merge_models(rng, merge):
    import keras

    reference, ours = _two_branch(keras, merge), _two_branch(kerasish, merge)
    copy_weights(reference, ours)
    assert_same_structure(reference, ours)
    inputs = [rng.standard_normal((5, 3, 4)).astype("float32") for _ in range(2)]
    assert_same_outputs(reference, ours, inputs)


@pytest.mark.parametrize(
    "merge, shapes, kwargs",
    [
        ("add", [(None, 3, 4), (None, 4)], {}),
        ("multiply", [(None, 3, 1), (None, 1, 4), (None, 3, 4)], {}),
        ("maximum", [(None, 3, 4), (None, 4)], {}),
        ("average", [(2, 3, 4), (None, 3, 4)], {}),
        ("concatenate", [(None, 3, 4), (None, 2, 4)], {"axis": 1}),
        ("concatenate", [(None, None, 4), (None, 2, 4)], {"axis": 1}),
        ("concatenate", [(None, 3, 4), (None, 3, 2), (None, 3, 1)], {}),
    ],
)
def test_shapes_and_values_with_broadcasting(rng, merge, shapes, kwargs):
    import keras

    layer_name = merge.capitalize()
    reference = getattr(keras.layers, layer_name)(**kwargs)
    ours = getattr(kerasish.layers, layer_name)(**kwargs)
    assert ours.compute_output_shape(shapes) == tuple(reference.compute_output_shape(shapes))
    symbolic = getattr(kerasish.layers, merge)([kerasish.Input(batch_shape=s) for s in shapes], **kwargs)
    assert symbolic.shape == tuple(reference.compute_output_shape(shapes))
    arrays = [rng.standard_normal(tuple(2 if d is None else d for d in s)).astype("float32") for s in shapes]
    expected = keras.ops.convert_to_numpy(reference(arrays))
    import torch

    received = ours([torch.from_numpy(a) for a in arrays]).numpy()
    np.testing.assert_allclose(received, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("merge", ["maximum", "minimum", "multiply", "add", "concatenate"])
def test_masked_merges(rng, merge):
    """Two masked sequences merged, then a mask-aware average: masks and masked values agree."""
    import keras

    def model(lib):
        L = lib.layers
        a = lib.Input((5,), dtype="int32")
        b = lib.Input((5,), dtype="int32")
        merged = getattr(L, merge)(
            [L.Embedding(9, 3, mask_zero=True)(a), L.Embedding(9, 3, mask_zero=True)(b)],
            **({"axis": 1} if merge == "concatenate" else {}),
        )
        return lib.Model([a, b], L.GlobalAveragePooling1D()(merged))

    reference, ours = model(keras), model(kerasish)
    copy_weights(reference, ours)
    tokens = [rng.integers(0, 4, size=(6, 5)).astype("int32") for _ in range(2)]
    tokens[0][:, 0] = 1  # every row keeps at least one step
    assert_same_outputs(reference, ours, tokens)


def test_concatenate_error_matches_keras():
    import keras

    shapes = [(None, 4, 4), (None, 5, 5)]
    with pytest.raises(ValueError) as theirs:
        keras.layers.concatenate([keras.Input(batch_shape=s) for s in shapes])
    with pytest.raises(ValueError) as ours:
        kerasish.layers.concatenate([kerasish.Input(batch_shape=s) for s in shapes])
    assert str(ours.value) == str(theirs.value)


def test_configs_interoperate():
    import keras

    config = keras.layers.Concatenate(axis=1, name="cat").get_config()
    ours = kerasish.layers.Concatenate.from_config(config)
    assert ours.axis == 1 and ours.name == "cat"
    assert keras.layers.Concatenate.from_config(ours.get_config()).axis == 1
    for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        rebuilt = getattr(keras.layers, name).from_config(getattr(kerasish.layers, name)(name="m").get_config())
        assert rebuilt.name == "m"


# -------------------------------------------------------------------------------- Dot


DOT_CASES = [
    ((5,), (5,), 1, False),
    ((5,), (5,), -1, True),
    ((3, 4), (6, 4), (2, 2), False),
    ((3, 4), (6, 4), 2, True),
    ((3, 4), (3, 6), (1, 1), False),
    ((4,), (4, 6), (1, 1), False),
    ((3, 4), (4,), (2, 1), True),
    ((2, 3, 4), (4, 5), (3, 1), False),
]


@pytest.mark.parametrize("shape1, shape2, axes, normalize", DOT_CASES)
def test_dot_models(rng, shape1, shape2, axes, normalize):
    import keras

    def build(lib):
        a, b = lib.Input(shape1), lib.Input(shape2)
        return lib.Model([a, b], lib.layers.dot([a, b], axes=axes, normalize=normalize))

    reference, ours = build(keras), build(kerasish)
    assert_same_structure(reference, ours)
    inputs = [rng.standard_normal((3,) + s).astype("float32") for s in (shape1, shape2)]
    assert_same_outputs(reference, ours, inputs)
    config = reference.layers[-1].get_config()
    rebuilt = kerasish.layers.Dot.from_config(config)
    assert (rebuilt.axes, rebuilt.normalize) == (config["axes"], normalize)
    back = keras.layers.Dot.from_config(rebuilt.get_config())
    assert (back.axes, back.normalize) == (rebuilt.axes, normalize)


def test_dot_shape_error_matches_keras():
    import keras

    with pytest.raises(ValueError) as theirs:
        keras.layers.Dot(axes=1)([keras.Input((4,)), keras.Input((5,))])
    with pytest.raises(ValueError) as ours:
        kerasish.layers.Dot(axes=1)([kerasish.Input((4,)), kerasish.Input((5,))])
    assert str(ours.value) == str(theirs.value)


def test_dot_drops_masks_like_keras(rng):
    """Keras' Dot consumes masks and produces none; the masked embedding values still count."""
    import keras

    def build(lib):
        L = lib.layers
        a, b = lib.Input((5,), dtype="int32"), lib.Input((5,), dtype="int32")
        embed = L.Embedding(6, 3, mask_zero=True)
        out = L.Dot(axes=(1, 1))([embed(a), embed(b)])
        return lib.Model([a, b], L.Flatten()(out))

    reference, ours = build(keras), build(kerasish)
    copy_weights(reference, ours)
    tokens = [rng.integers(0, 6, size=(4, 5)).astype("int32") for _ in range(2)]
    assert_same_outputs(reference, ours, tokens)
