"""tf.keras 2's keras.wrappers.scikit_learn: build_fn + sk_params estimators that scikit-learn's
model selection can clone, search and cross-validate."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import GridSearchCV, cross_val_score

import kerasish
from kerasish.compat import import_hook
from kerasish.wrappers.scikit_learn import KerasClassifier, KerasRegressor

pytestmark = pytest.mark.filterwarnings("ignore:Keras(Classifier|Regressor) is deprecated")


def create_model(units=4, n_classes=3, loss="categorical_crossentropy", metrics=("accuracy",)):
    model = kerasish.Sequential(
        [
            kerasish.Input((4,)),
            kerasish.layers.Dense(units, activation="relu"),
            kerasish.layers.Dense(n_classes, activation="softmax" if n_classes > 1 else "sigmoid"),
        ]
    )
    model.compile(loss=loss, optimizer="adam", metrics=list(metrics))
    return model


def create_regressor(units=4):
    model = kerasish.Sequential(
        [kerasish.Input((4,)), kerasish.layers.Dense(units), kerasish.layers.Dense(1)]
    )
    model.compile(loss="mse", optimizer="sgd")
    return model


@pytest.fixture
def data(rng):
    X = rng.normal(size=(30, 4)).astype("float32")
    return X, np.array(["b", "a", "c"] * 10)


def test_fit_predict_string_labels(data):
    X, labels = data
    est = KerasClassifier(build_fn=create_model, epochs=2, batch_size=10, verbose=0)
    history = est.fit(X, labels)
    assert len(history.history["loss"]) == 2  # sk_params reached fit
    np.testing.assert_array_equal(est.classes_, ["a", "b", "c"])
    assert est.n_classes_ == 3
    proba = est.predict_proba(X, verbose=0)
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(est.predict(X, verbose=0), est.classes_[proba.argmax(-1)])
    score = est.score(X, labels)
    assert score == pytest.approx(np.mean(est.predict(X, verbose=0) == labels))


def test_binary_sigmoid_gives_two_probability_columns(data):
    X, _ = data
    y = np.arange(30) % 2
    est = KerasClassifier(
        build_fn=create_model, n_classes=1, loss="binary_crossentropy", epochs=1, verbose=0
    )
    est.fit(X, y)
    proba = est.predict_proba(X, verbose=0)
    assert proba.shape == (30, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    predicted = est.predict(X, verbose=0)
    assert predicted.shape == (30, 1)  # tf.keras' thresholded column
    np.testing.assert_array_equal(predicted[:, 0], (proba[:, 1] > 0.5).astype(int))


def test_sparse_loss_keeps_integer_targets_and_categorical_one_hots(data):
    X, labels = data
    sparse = KerasClassifier(
        build_fn=create_model, loss="sparse_categorical_crossentropy", epochs=1, verbose=0
    )
    sparse.fit(X, labels)
    assert 0.0 <= sparse.score(X, labels) <= 1.0
    one_hot = KerasClassifier(build_fn=create_model, epochs=1, verbose=0)
    one_hot.fit(X, np.eye(3)[np.arange(30) % 3])  # 2-D targets: classes are the columns
    np.testing.assert_array_equal(one_hot.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match=r"Invalid shape for y: \(30, 1, 1\)"):
        one_hot.fit(X, np.zeros((30, 1, 1)))


def test_score_needs_accuracy(data):
    X, labels = data
    est = KerasClassifier(build_fn=create_model, metrics=(), epochs=1, verbose=0)
    est.fit(X, labels)
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        est.score(X, labels)


def test_regressor_predict_and_negated_loss(data):
    X, _ = data
    y = X[:, 0] - X[:, 1]
    est = KerasRegressor(build_fn=create_regressor, epochs=2, verbose=0)
    est.fit(X, y)
    assert est.predict(X).shape == (30,)  # squeezed
    loss = est.model.evaluate(X, y, verbose=0)
    assert est.score(X, y) == pytest.approx(-loss)


def test_get_set_params_and_typos():
    est = KerasClassifier(build_fn=create_model, units=3, epochs=2)
    assert est.get_params() == {"units": 3, "epochs": 2, "build_fn": create_model}
    assert est.get_params(deep=True) == est.get_params()
    assert est.set_params(units=5, batch_size=4) is est
    assert est.sk_params == {"units": 5, "epochs": 2, "batch_size": 4}
    with pytest.raises(ValueError, match="^unitz is not a legal parameter$"):
        est.set_params(unitz=2)
    with pytest.raises(ValueError, match="^dropout is not a legal parameter$"):
        KerasClassifier(build_fn=create_model, dropout=0.5)
    KerasClassifier(build_fn=create_model, nb_epoch=3)  # Keras 1 name, accepted as in tf.keras
    cloned = clone(est)
    assert type(cloned) is KerasClassifier and cloned is not est
    assert cloned.get_params() == est.get_params()
    assert is_classifier(est) and is_regressor(KerasRegressor(build_fn=create_regressor))


def test_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="KerasRegressor is deprecated, use Sci-Keras"):
        KerasRegressor(build_fn=create_regressor)


def test_build_fn_object_and_subclass(data):
    X, labels = data

    class Builder:
        def __call__(self, units=2):
            return create_model(units=units)

    est = KerasClassifier(build_fn=Builder(), units=3, epochs=1, verbose=0)
    est.fit(X, labels)
    assert est.model.layers[0].units == 3

    class Subclassed(KerasClassifier):
        def __call__(self, units=2):
            return create_model(units=units)

    est = Subclassed(units=6, epochs=1, verbose=0)
    est.fit(X, labels)
    assert est.model.layers[0].units == 6
    with pytest.raises(ValueError, match="epochz is not a legal parameter"):
        Subclassed(epochz=1)


def test_grid_search_and_cross_val_score(data):
    X, labels = data
    est = KerasClassifier(build_fn=create_model, epochs=1, batch_size=10, verbose=0)
    search = GridSearchCV(est, {"units": [2, 5]}, cv=2).fit(X, labels)
    assert search.best_params_["units"] in (2, 5)
    assert search.best_estimator_.model.layers[0].units == search.best_params_["units"]
    assert search.cv_results_["mean_test_score"].shape == (2,)
    scores = cross_val_score(est, X, labels, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    regression = cross_val_score(
        KerasRegressor(build_fn=create_regressor, epochs=1, verbose=0), X, X[:, 0], cv=2
    )
    assert regression.shape == (2,) and np.all(regression <= 0)


def test_keras2_module_path_resolves():
    previous = sys.modules.get("keras")
    sys.modules["keras"] = types.ModuleType("keras")
    try:
        with pytest.warns(UserWarning, match="were already imported"):
            kerasish.install_as_keras()
        import keras.wrappers
        from keras.wrappers.scikit_learn import KerasClassifier as Aliased
        from tensorflow.keras.wrappers.scikit_learn import KerasRegressor as AliasedRegressor

        assert Aliased is KerasClassifier and AliasedRegressor is KerasRegressor
        assert keras.wrappers.SKLearnClassifier is kerasish.wrappers.SKLearnClassifier
    finally:
        import_hook.uninstall()
        if previous is None:
            sys.modules.pop("keras", None)
        else:
            sys.modules["keras"] = previous
