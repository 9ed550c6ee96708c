"""``compile(jit_compile=True)``: the forward and the losses run as one compiled graph and train
exactly like the eager step. Most tests compile with torch's ``aot_eager`` backend (the same
dynamo capture and autograd, without inductor's slow C++ build); one uses the default."""

import functools

import numpy as np
import pytest
import torch
import torch._dynamo

import kerasish as keras
from kerasish.training import jit_backend

L = keras.layers


@pytest.fixture
def aot_eager(monkeypatch):
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="aot_eager"))
    monkeypatch.setattr(jit_backend, "inner_backend", "aot_eager")
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    yield
    torch._dynamo.reset()


def _data(rng, samples=96):
    x = rng.standard_normal((samples, 12)).astype("float32")
    y = rng.integers(0, 4, samples)
    return x, y


def _mlp(regularized=False):
    keras.utils.set_random_seed(3)
    extra = {"kernel_regularizer": "l2", "activity_regularizer": "l1"} if regularized else {}
    return keras.Sequential(
        [
            keras.Input((12,)),
            L.Dense(16, activation="relu", **extra),
            L.Dropout(0.0),
            L.Dense(4, activation="softmax"),
        ]
    )


def _fit(model, jit, x, y, **kwargs):
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0, **kwargs)
    return history.history, model.get_weights()


def _assert_same_training(eager, jit):
    for key in eager[0]:
        np.testing.assert_allclose(jit[0][key], eager[0][key], rtol=1e-5, err_msg=key)
    for a, b in zip(eager[1], jit[1]):
        np.testing.assert_allclose(b, a, atol=1e-6)


@pytest.mark.parametrize("regularized", [False, True])
def test_jit_fit_trains_like_the_eager_step(rng, aot_eager, regularized):
    x, y = _data(rng)
    weights = rng.random(len(x)).astype("float32")
    eager = _fit(_mlp(regularized), False, x, y, sample_weight=weights)
    jit = _fit(_mlp(regularized), True, x, y, sample_weight=weights)
    _assert_same_training(eager, jit)
    assert not torch._dynamo.utils.counters["graph_break"]  # one graph, no Python fallbacks


def test_jit_fit_of_a_multi_output_model_with_loss_weights(rng, aot_eager):
    x, y = _data(rng)
    target = rng.standard_normal((len(x), 1)).astype("float32")

    def build():
        keras.utils.set_random_seed(5)
        inp = keras.Input((12,), name="features")
        hidden = L.Dense(8, activation="tanh")(inp)
        main = L.Dense(4, activation="softmax", name="main")(hidden)
        aux = L.Dense(1, name="aux")(hidden)
        model = keras.Model(inp, [main, aux])
        return model

    results = []
    for jit in (False, True):
        model = build()
        model.compile(
            "rmsprop",
            loss=["sparse_categorical_crossentropy", "mse"],
            loss_weights=[1.0, 0.2],
            jit_compile=jit,
        )
        history = model.fit(x, [y, target], batch_size=32, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    assert set(results[1][0]) == {"loss", "main_loss", "aux_loss"}
    _assert_same_training(*results)


def test_jit_model_evaluates_and_predicts_like_eager(rng, aot_eager):
    x, y = _data(rng)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=True)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    eager = _mlp()
    eager.set_weights(model.get_weights())
    eager.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), eager.evaluate(x, y, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), eager.predict(x, verbose=0), rtol=1e-6)


def test_jit_with_inductor(rng):
    """The default backend, as users get it: same losses as eager to float32 rounding."""
    torch._dynamo.reset()
    x, y = _data(rng, samples=64)
    eager = _fit(_mlp(), False, x, y)
    jit = _fit(_mlp(), True, x, y)
    for key in eager[0]:
        np.testing.assert_allclose(jit[0][key], eager[0][key], rtol=1e-4, err_msg=key)
    torch._dynamo.reset()


def test_a_copy_of_a_jit_model_trains_like_the_original(rng, aot_eager):
    import copy

    x, y = _data(rng)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    twin = copy.deepcopy(model)  # compiled functions are not copied; each model makes its own
    for m in (model, twin):
        m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)


def test_jit_fit_of_a_relu_cnn_trains_like_the_eager_step(rng, aot_eager, monkeypatch):
    """On CPU the training graph's ReLUs and tiling max pools go through ``jit_backend`` (they
    keep what their backward needs); the step still trains exactly like the eager one (an odd
    feature map leaves a row and a column out of the pooling windows)."""
    rewritten, pools = [], []
    rewrite, rewrite_pools = jit_backend.keep_relu_outputs, jit_backend.keep_pool_inputs
    monkeypatch.setattr(
        jit_backend, "keep_relu_outputs", lambda gm: rewritten.append(rewrite(gm)) or rewritten[-1]
    )
    monkeypatch.setattr(
        jit_backend, "keep_pool_inputs", lambda gm: pools.append(rewrite_pools(gm)) or pools[-1]
    )

    def build():
        keras.utils.set_random_seed(11)
        return keras.Sequential(
            [
                keras.Input((11, 11, 2)),
                L.Conv2D(4, 3, activation="relu"),
                L.MaxPooling2D(),
                L.Flatten(),
                L.Dense(8, activation="relu"),
                L.Dense(3, activation="softmax"),
            ]
        )

    x = rng.standard_normal((64, 11, 11, 2)).astype("float32")
    y = rng.integers(0, 3, len(x))
    eager = _fit(build(), False, x, y)
    jit = _fit(build(), True, x, y)
    _assert_same_training(eager, jit)
    assert rewritten and rewritten[0] == 2
    assert pools and pools[0] == 1


def test_jit_fit_of_an_lstm_trains_like_the_eager_step(rng, aot_eager):
    def build():
        keras.utils.set_random_seed(2)
        return keras.Sequential([keras.Input((5, 3)), L.LSTM(6), L.Dense(1)])

    x = rng.standard_normal((48, 5, 3)).astype("float32")
    y = rng.standard_normal((48, 1)).astype("float32")
    results = []
    for jit in (False, True):
        model = build()
        model.compile("adam", "mse", jit_compile=jit)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    _assert_same_training(*results)
