"""keras.random: shapes, dtypes, ranges, moments, seeding and use inside layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerasish as keras
from kerasish import random


def _np(x):
    return x.detach().cpu().numpy()


def test_integer_seed_repeats_and_seed_generator_advances():
    a = random.normal((4, 3), seed=7)
    b = random.normal((4, 3), seed=7)
    np.testing.assert_array_equal(_np(a), _np(b))
    generator = random.SeedGenerator(7)
    first = random.normal((4, 3), seed=generator)
    second = random.normal((4, 3), seed=generator)
    assert not np.array_equal(_np(first), _np(second))
    np.testing.assert_array_equal(_np(first), _np(a))  # counter 0 is the integer seed's stream
    assert generator.state.numpy().tolist() == [7, 2]
    again = random.SeedGenerator(7)
    np.testing.assert_array_equal(_np(random.normal((4, 3), seed=again)), _np(first))


def test_seed_generator_contract():
    generator = random.SeedGenerator(3, name="gen")
    assert generator.get_config() == {"seed": 3, "name": "gen"}
    assert random.SeedGenerator.from_config(generator.get_config()).state.numpy().tolist() == [3, 0]
    value = generator.next()
    assert value.dtype == torch.int32 and value.tolist() == [3, 0]
    assert generator.state.numpy().tolist() == [3, 1]
    generator.state.assign([5, 9])
    assert generator.next().tolist() == [5, 9]
    assert random.SeedGenerator().name.startswith("seed_generator")
    with pytest.raises(ValueError, match="must be an integer"):
        random.SeedGenerator("x")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        random.SeedGenerator(1, foo=2)
    with pytest.raises(ValueError, match="either an integer or an instance of `SeedGenerator`"):
        random.normal((2,), seed=1.5)


def test_unseeded_draws_differ_and_follow_set_random_seed():
    assert not torch.equal(random.uniform((8,)), random.uniform((8,)))
    keras.utils.set_random_seed(11)
    a = random.uniform((8,))
    keras.utils.set_random_seed(11)
    assert torch.equal(a, random.uniform((8,)))


def test_normal_uniform_truncated_moments_and_ranges():
    x = _np(random.normal((20000,), mean=2.0, stddev=3.0, seed=1))
    assert x.dtype == np.float32 and abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1
    u = _np(random.uniform((20000,), minval=-1.0, maxval=3.0, seed=1))
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    assert random.uniform((), seed=1).shape == ()
    assert random.uniform((2,), dtype="float64", seed=1).dtype == torch.float64
    t = _np(random.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=1))
    # Keras' truncation: within two standard deviations (all but ~4 in a million values)
    assert np.mean(np.abs(t - 1.0) <= 1.0) > 0.9999 and abs(t.std() - 0.5 * 0.88) < 0.02
    with pytest.raises(ValueError, match="requires a floating point `dtype`"):
        random.uniform((2,), dtype="int32")


def test_randint_and_categorical():
    r = random.randint((5000,), -3, 4, seed=2)
    assert r.dtype == torch.int32 and int(r.min()) == -3 and int(r.max()) == 3
    assert random.randint((2,), 0, 5, dtype="int64", seed=2).dtype == torch.int64
    with pytest.raises(ValueError, match="requires an integer `dtype`"):
        random.randint((2,), 0, 5, dtype="float32")
    logits = np.log(np.array([[0.1, 0.2, 0.7], [1.0, 1e-9, 1e-9]], "float32"))
    samples = _np(random.categorical(logits, 4000, seed=3))
    assert samples.shape == (2, 4000) and samples.dtype == np.int32
    assert abs(np.mean(samples[0] == 2) - 0.7) < 0.03 and np.all(samples[1] == 0)
    with pytest.raises(ValueError, match="should be a 2-D tensor"):
        random.categorical(np.zeros(3, "float32"), 2)


def test_dropout_and_shuffle():
    x = torch.ones(200, 50)
    y = _np(random.dropout(x, 0.3, seed=4))
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(np.mean(y == 0) - 0.3) < 0.02
    columns = _np(random.dropout(x, 0.5, noise_shape=(None, 1), seed=4))
    assert np.all(columns == columns[:, :1])  # one decision per row
    assert torch.equal(random.dropout(x, 0.0), x) and not random.dropout(x, 1.0).any()
    unseeded = random.dropout(x, 0.5)
    assert unseeded.shape == x.shape
    values = torch.arange(24).reshape(4, 6)
    shuffled = random.shuffle(values, axis=1, seed=5)
    assert torch.equal(shuffled.sort(dim=1).values, values)
    rows = random.shuffle(values, seed=5)
    assert sorted(rows[:, 0].tolist()) == [0, 6, 12, 18] and torch.equal(rows.sort(dim=0).values, values)
    with pytest.raises(ValueError, match="out of bounds"):
        random.shuffle(values, axis=2)


def test_gamma_binomial_beta_moments():
    g = _np(random.gamma((20000,), 3.0, seed=6))
    assert g.dtype == np.float32 and g.min() > 0 and abs(g.mean() - 3.0) < 0.1 and abs(g.var() - 3.0) < 0.2
    b = _np(random.binomial((20000,), 10, 0.3, seed=6))
    assert b.dtype == np.float32 and set(np.unique(b)) <= set(range(11)) and abs(b.mean() - 3.0) < 0.05
    per_column = _np(random.binomial((4000, 2), [5, 20], [0.5, 0.1], seed=6)).mean(axis=0)
    np.testing.assert_allclose(per_column, [2.5, 2.0], atol=0.1)
    beta = _np(random.beta((20000,), 2.0, 5.0, seed=6))
    assert 0 < beta.min() and beta.max() < 1 and abs(beta.mean() - 2 / 7) < 0.01
    assert random.gamma((2,), 1.0, dtype="float64", seed=1).dtype == torch.float64


def test_random_inside_a_layer_of_a_functional_model():
    class Noise(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = random.SeedGenerator(1337)

        def call(self, x):
            return x + random.normal(tuple(x.shape), stddev=0.1, seed=self.seed_generator)

    inputs = keras.Input((3,))
    outputs = Noise()(inputs)  # shape inference runs the call on meta tensors
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (None, 3)
    x = np.zeros((2, 3), "float32")
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert first.shape == (2, 3) and not np.array_equal(first, second)
    assert 0 < np.abs(first).max() < 1.0
