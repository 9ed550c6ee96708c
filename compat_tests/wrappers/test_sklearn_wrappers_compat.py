"""Keras 3's scikit-learn wrappers side by side: the same builder, data and starting weights
give the same fitted predictions, scores, labels, tags, parameters and errors."""

from __future__ import annotations

import keras
import keras.wrappers
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import kerasish
import kerasish.wrappers

FIT = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}
N_FEATURES = 5


def _weights(n_in: int, n_out: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, (n_in, n_out)).astype("float32"), np.zeros(n_out, "float32")]


def builder(lib):
    """Keras 3's test model (one hidden layer), with fixed starting weights."""

    def build(X, y, loss, out_activation="softmax", hidden=6):
        n_out = y.shape[1] if y.ndim > 1 else 1
        inputs = lib.Input(shape=(X.shape[1],))
        h = lib.layers.Dense(hidden, activation="relu")(inputs)
        outputs = lib.layers.Dense(n_out, activation=out_activation)(h)
        model = lib.Model(inputs, outputs)
        model.layers[1].set_weights(_weights(X.shape[1], hidden, 1))
        model.layers[2].set_weights(_weights(hidden, n_out, 2))
        model.compile(loss=loss, optimizer=lib.optimizers.SGD(0.1))
        return model

    return build


def both(name: str, **kwargs):
    return tuple(
        getattr(lib.wrappers, name)(model=builder(lib), **kwargs) for lib in (keras, kerasish)
    )


@pytest.fixture
def data(rng):
    X = rng.normal(size=(24, N_FEATURES))
    return X, np.array(["dog", "cat", "emu"] * 8)


def test_classifier_string_labels(data):
    X, labels = data
    ours_and_theirs = both(
        "SKLearnClassifier",
        model_kwargs={"loss": "categorical_crossentropy"},
        fit_kwargs=dict(FIT),
    )
    theirs, ours = (est.fit(X, labels) for est in ours_and_theirs)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(
        ours.decision_function(X), theirs.decision_function(X), atol=1e-5, rtol=0
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, labels) == pytest.approx(theirs.score(X, labels))
    assert ours.n_features_in_ == theirs.n_features_in_ == N_FEATURES


def test_binary_classifier_integer_labels(data):
    X, _ = data
    y = np.arange(len(X)) % 2
    theirs, ours = (
        est.fit(X, y)
        for est in both(
            "SKLearnClassifier",
            model_kwargs={"loss": "binary_crossentropy", "out_activation": "sigmoid"},
            fit_kwargs=dict(FIT),
        )
    )
    np.testing.assert_allclose(
        ours.decision_function(X), theirs.decision_function(X), atol=1e-5, rtol=0
    )
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_regressor_and_transformer(data):
    X, _ = data
    target = X[:, 0] * 2 - X[:, 1]
    theirs, ours = (
        est.fit(X, target)
        for est in both(
            "SKLearnRegressor",
            model_kwargs={"loss": "mse", "out_activation": "linear"},
            fit_kwargs=dict(FIT),
        )
    )
    assert ours.predict(X).shape == theirs.predict(X).shape == (len(X),)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-5, rtol=0)
    assert ours.score(X, target) == pytest.approx(theirs.score(X, target), abs=1e-5)

    theirs, ours = (
        est.fit(X, target)
        for est in both(
            "SKLearnTransformer",
            model_kwargs={"loss": "mse", "out_activation": "tanh"},
            fit_kwargs=dict(FIT),
        )
    )
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-5, rtol=0)


def test_model_instance_is_cloned_with_its_compile_arguments(data):
    """A model instance is cloned for fitting: a constant initializer makes both clones
    start from the same weights."""
    X, labels = data
    fitted = []
    for lib in (keras, kerasish):
        model = lib.Sequential(
            [
                lib.Input((N_FEATURES,)),
                lib.layers.Dense(
                    3, activation="softmax", kernel_initializer=lib.initializers.Constant(0.1)
                ),
            ]
        )
        model.compile(loss="categorical_crossentropy", optimizer=lib.optimizers.SGD(0.1))
        est = lib.wrappers.SKLearnClassifier(model=model).fit(X, labels, **FIT)
        assert est.model_ is not model
        np.testing.assert_array_equal(model.layers[0].get_weights()[0], np.full((5, 3), 0.1, "float32"))
        fitted.append(est)
    np.testing.assert_allclose(
        fitted[1].decision_function(X), fitted[0].decision_function(X), atol=1e-5, rtol=0
    )


def test_params_tags_and_clone():
    for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
        theirs, ours = both(name, model_kwargs={"loss": "mse"}, fit_kwargs={"epochs": 2})
        assert ours.get_params().keys() == theirs.get_params().keys()
        assert ours.__sklearn_tags__() == theirs.__sklearn_tags__()
        their_clone, our_clone = clone(theirs), clone(ours)
        # Keras' __sklearn_clone__ keeps the builder and model_kwargs, drops fit_kwargs.
        assert our_clone.model is ours.model and their_clone.model is theirs.model
        assert our_clone.model_kwargs == their_clone.model_kwargs == {"loss": "mse"}
        assert our_clone.fit_kwargs is None and their_clone.fit_kwargs is None


def test_fit_keywords_are_merged_into_fit_kwargs(data):
    X, labels = data
    for est in both(
        "SKLearnClassifier",
        model_kwargs={"loss": "categorical_crossentropy"},
        fit_kwargs={"verbose": 0},
    ):
        est.fit(X, labels, epochs=2)
        assert est.fit_kwargs == {"verbose": 0, "epochs": 2}
        assert len(est.history_.history["loss"]) == 2


def _message(call, *args) -> tuple:
    try:
        call(*args)
    except Exception as error:  # noqa: BLE001 - the errors themselves are compared
        return type(error).__name__, str(error)
    raise AssertionError("no error raised")


def test_errors_match(data):
    X, labels = data
    uncompiled = []
    for lib in (keras, kerasish):
        model = lib.Sequential([lib.Input((N_FEATURES,)), lib.layers.Dense(3)])
        uncompiled.append(lib.wrappers.SKLearnClassifier(model=model))
    cases = [
        lambda est: est.fit(X, np.zeros(len(X))),  # one class
        lambda est: est.fit(X, np.eye(3)[np.arange(len(X)) % 3]),  # multilabel indicator
        lambda est: est.fit(X, X[:, 0]),  # continuous
        lambda est: est.predict(X),  # not fitted
        lambda est: est.set_fit_request(sample_weight=True),  # routing disabled
    ]
    for case in cases:
        theirs, ours = both("SKLearnClassifier", model_kwargs={"loss": "categorical_crossentropy"})
        assert _message(case, ours) == _message(case, theirs)
    assert _message(uncompiled[1].fit, X, labels) == _message(uncompiled[0].fit, X, labels)
    with pytest.raises(NotFittedError):
        both("SKLearnTransformer", model_kwargs={"loss": "mse"})[1].transform(X)
