import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import layers


def _arrays(rng, *shapes):
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


def _eager(layer, arrays, **kwargs):
    return layer([torch.as_tensor(a) for a in arrays], **kwargs).numpy()


@pytest.mark.parametrize(
    "cls, fn, reduce",
    [
        (layers.Add, layers.add, lambda xs: xs[0] + xs[1] + xs[2]),
        (layers.Multiply, layers.multiply, lambda xs: xs[0] * xs[1] * xs[2]),
        (layers.Average, layers.average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
        (layers.Maximum, layers.maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
        (layers.Minimum, layers.minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
    ],
)
def test_elementwise_merges(rng, cls, fn, reduce):
    xs = _arrays(rng, (2, 3, 4), (2, 3, 4), (2, 3, 4))
    np.testing.assert_allclose(_eager(cls(), xs), reduce(xs), atol=1e-6)
    inputs = [keras.Input((3, 4)) for _ in range(3)]
    out = fn(inputs)
    assert out.shape == (None, 3, 4)
    assert isinstance(out._keras_history.layer, cls)
    model = keras.Model(inputs, out)
    np.testing.assert_allclose(model.predict(xs, verbose=0), reduce(xs), atol=1e-6)


def test_subtract_takes_exactly_two(rng):
    a, b = _arrays(rng, (2, 5), (2, 5))
    np.testing.assert_allclose(_eager(layers.Subtract(), [a, b]), a - b)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.subtract([keras.Input((5,)) for _ in range(3)])


def test_broadcasting_and_rank_expansion(rng):
    # Keras 3 inserts axes after the batch axis for lower-rank inputs, then broadcasts.
    a, b = _arrays(rng, (2, 3, 4), (2, 4))
    out = layers.add([keras.Input((3, 4)), keras.Input((4,))])
    assert out.shape == (None, 3, 4)
    np.testing.assert_allclose(_eager(layers.Add(), [a, b]), a + b[:, None, :], atol=1e-6)
    assert layers.multiply([keras.Input((3, 1)), keras.Input((1, 4))]).shape == (None, 3, 4)
    assert layers.add([keras.Input((None, 4)), keras.Input((3, 4))]).shape == (None, None, 4)


def test_concatenate_values_shapes_and_axes(rng):
    a, b = _arrays(rng, (2, 3, 4), (2, 3, 5))
    np.testing.assert_array_equal(_eager(layers.Concatenate(), [a, b]), np.concatenate([a, b], -1))
    assert layers.concatenate([keras.Input((3, 4)), keras.Input((3, 5))]).shape == (None, 3, 9)
    assert layers.concatenate([keras.Input((3, 4)), keras.Input((2, 4))], axis=1).shape == (None, 5, 4)
    assert layers.concatenate([keras.Input((None, 4)), keras.Input((2, 4))], axis=1).shape == (None, None, 4)
    assert layers.concatenate([keras.Input((None, 4)), keras.Input((2, 4))]).shape == (None, 2, 8)
    c, d = _arrays(rng, (2, 3, 4), (2, 2, 4))
    np.testing.assert_array_equal(_eager(layers.Concatenate(axis=1), [c, d]), np.concatenate([c, d], 1))
    assert layers.Concatenate(axis=1).compute_output_shape([(None, 3, 4), (None, 2, 4)]) == (None, 5, 4)


def test_concatenate_shape_error_names_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        layers.concatenate([keras.Input((4, 4)), keras.Input((5, 5))])
    assert str(info.value) == (
        "A `Concatenate` layer requires inputs with matching shapes except for the "
        "concatenation axis. Received: input_shape=[(None, 4, 4), (None, 5, 5)]"
    )
    with pytest.raises(ValueError, match="matching shapes"):
        layers.concatenate([keras.Input((4, 4)), keras.Input((4,))])


def test_elementwise_shape_errors():
    with pytest.raises(ValueError, match=r"`Add` layer .*\(4,\) and \(5,\)"):
        layers.add([keras.Input((4,)), keras.Input((5,))])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.add([keras.Input(batch_shape=(2, 4)), keras.Input(batch_shape=(3, 4))])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(keras.Input((4,)))
    with pytest.raises(ValueError, match="list of at least 1 input"):
        layers.Concatenate()(keras.Input((4,)))


def test_merge_layers_have_no_weights_and_round_trip_config():
    layer = layers.Concatenate(axis=1, name="cat")
    layer([keras.Input((3, 4)), keras.Input((2, 4))])
    assert layer.count_params() == 0 and layer.get_weights() == []
    config = layer.get_config()
    assert config["axis"] == 1 and config["name"] == "cat"
    assert layers.Concatenate.from_config(config).get_config() == config
    for cls in (layers.Add, layers.Subtract, layers.Multiply, layers.Average, layers.Maximum, layers.Minimum):
        merged = cls(name="m")
        assert cls.from_config(merged.get_config()).get_config() == merged.get_config()


def test_functional_forms_pass_layer_kwargs():
    out = layers.concatenate([keras.Input((2,)), keras.Input((3,))], name="joined")
    assert out._keras_history.layer.name == "joined"
    assert layers.maximum([keras.Input((2,)), keras.Input((2,))], name="mx")._keras_history.layer.name == "mx"


# --------------------------------------------------------------------- masks


def test_concatenate_mask_is_or_over_the_last_axis():
    layer = layers.Concatenate(axis=1)
    a, b = torch.zeros(2, 3, 4), torch.zeros(2, 2, 4)
    ma = torch.tensor([[True, False, True], [False, False, False]])
    mask = layer.compute_mask([a, b], [ma, None])
    expected = torch.tensor([[True, False, True, True, True], [False, False, False, True, True]])
    assert torch.equal(mask, expected)
    assert layer.compute_mask([a, b], [None, None]) is None
    assert layer.compute_mask([a, b], None) is None
    last = layers.Concatenate().compute_mask([torch.zeros(2, 3, 4)] * 2, [ma, ma])
    assert torch.equal(last, ma)


def test_elementwise_masks_or_together():
    m1 = torch.tensor([[True, False, False]])
    m2 = torch.tensor([[False, False, True]])
    x = [torch.zeros(1, 3, 2)] * 2
    assert torch.equal(layers.Add().compute_mask(x, [m1, m2]), torch.tensor([[True, False, True]]))
    assert layers.Add().compute_mask(x, [m1, None]) is None
    with pytest.raises(ValueError, match="should be a list"):
        layers.Add().compute_mask(x, m1)


def test_masked_maximum_and_multiply_follow_keras3():
    a = torch.tensor([[[1.0], [5.0], [-3.0]]])
    b = torch.tensor([[[4.0], [2.0], [-7.0]]])
    ma = torch.tensor([[True, True, False]])
    mb = torch.tensor([[False, True, False]])
    # Where one input is masked the other one's value stands (the first where both are).
    assert layers.Maximum()([a, b], mask=[ma, mb]).flatten().tolist() == [1.0, 5.0, -3.0]
    assert layers.Minimum()([a, b], mask=[ma, mb]).flatten().tolist() == [1.0, 2.0, -3.0]
    # Masked positions multiply by one; positions masked everywhere give zero.
    assert layers.Multiply()([a, b], mask=[ma, mb]).flatten().tolist() == [1.0, 10.0, 0.0]


def test_concatenate_propagates_masks_in_a_graph(rng):
    tokens = keras.Input((4,), dtype="int64")
    embedding = layers.Embedding(10, 3, mask_zero=True)
    extra = keras.Input((2, 3))
    joined = layers.concatenate([embedding(tokens), extra], axis=1)
    assert joined.shape == (None, 6, 3)
    assert joined._keras_mask is not None and joined._keras_mask.shape == (None, 6)
    model = keras.Model([tokens, extra], layers.GlobalAveragePooling1D()(joined))
    ids = np.array([[3, 0, 5, 0], [0, 0, 0, 1]])
    more = rng.standard_normal((2, 2, 3)).astype(np.float32)
    table = embedding.get_weights()[0]
    steps = np.concatenate([table[ids], more], axis=1)
    keep = np.concatenate([ids != 0, np.ones((2, 2), bool)], axis=1)
    expected = np.stack([steps[i][keep[i]].mean(0) for i in range(2)])
    np.testing.assert_allclose(model.predict([ids, more], verbose=0), expected, atol=1e-6)


# -------------------------------------------------------------------------------- Dot


@pytest.mark.parametrize(
    "shapes, axes, expected",
    [
        ([(2, 5), (2, 5)], 1, lambda a, b: (a * b).sum(-1, keepdims=True)),
        ([(2, 3, 5), (2, 4, 5)], 2, lambda a, b: np.einsum("bik,bjk->bij", a, b)),
        ([(2, 3, 5), (2, 3, 4)], (1, 1), lambda a, b: np.einsum("bki,bkj->bij", a, b)),
        ([(2, 5), (2, 5, 4)], (1, 1), lambda a, b: np.einsum("bk,bkj->bj", a, b)),
        ([(2, 3, 5), (2, 5)], (-1, -1), lambda a, b: np.einsum("bik,bk->bi", a, b)),
    ],
)
def test_dot_values_and_shapes(rng, shapes, axes, expected):
    a, b = _arrays(rng, *shapes)
    out = _eager(layers.Dot(axes), [a, b])
    np.testing.assert_allclose(out, expected(a, b), atol=1e-5)
    symbolic = layers.dot([keras.Input(s[1:]) for s in shapes], axes=axes)
    assert symbolic.shape == (None,) + out.shape[1:]


def test_dot_normalize_gives_cosine_similarity(rng):
    a, b = _arrays(rng, (3, 4), (3, 4))
    cosine = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    np.testing.assert_allclose(_eager(layers.Dot(1, normalize=True), [a, b])[:, 0], cosine, atol=1e-6)
    zero = _eager(layers.Dot(1, normalize=True), [np.zeros((1, 4), "float32"), b[:1]])
    assert np.isfinite(zero).all() and zero[0, 0] == 0


def test_dot_argument_and_shape_errors():
    with pytest.raises(TypeError, match="list or an int"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match=r"axis values 4 \(at axis 1\) != 5 \(at axis 1\)"):
        layers.dot([keras.Input((4,)), keras.Input((5,))], axes=1)
    with pytest.raises(ValueError, match="list of 2 inputs"):
        layers.dot([keras.Input((4,))] * 3, axes=1)
    config = layers.Dot((1, 2), normalize=True).get_config()
    assert (config["axes"], config["normalize"]) == ((1, 2), True)
    assert layers.Dot.from_config(config).get_config() == config
