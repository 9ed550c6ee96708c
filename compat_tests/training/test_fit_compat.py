"""Training side by side: same model, same initial weights, same batches (shuffle=False).

Per-epoch losses must agree within 1e-4 relative and the final weights within 1e-4, for every
optimizer, every loss, multi-output models with loss weights, and class/sample weights.
"""

import numpy as np
import pytest

import kerasish

OPTIMIZERS = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", {}),
    ("rmsprop", {"momentum": 0.5, "centered": True}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
    ("adamw", {}),
    ("adagrad", {}),
    ("adadelta", {"learning_rate": 1.0}),
    ("adamax", {}),
    ("nadam", {}),
    ("ftrl", {}),
    ("lion", {"learning_rate": 1e-4}),
    ("adam", {"clipnorm": 0.1, "weight_decay": 0.01}),
]

LOSSES = [
    ("binary_crossentropy", "sigmoid", "binary"),
    ("categorical_crossentropy", "softmax", "onehot"),
    ("sparse_categorical_crossentropy", "softmax", "sparse"),
    ("binary_focal_crossentropy", "sigmoid", "binary"),
    ("mean_squared_error", None, "regression"),
    ("mean_absolute_error", None, "regression"),
    ("mean_absolute_percentage_error", None, "positive"),
    ("mean_squared_logarithmic_error", "relu", "positive"),
    ("huber", None, "regression"),
    ("log_cosh", None, "regression"),
    ("kl_divergence", "softmax", "onehot"),
    ("poisson", "softplus", "positive"),
    ("cosine_similarity", None, "regression"),
    ("hinge", "tanh", "signs"),
    ("squared_hinge", "tanh", "signs"),
    ("categorical_hinge", "softmax", "onehot"),
]


def _targets(kind, rng, n, units):
    if kind == "binary":
        return rng.integers(0, 2, size=(n, units)).astype("float32")
    if kind == "onehot":
        return np.eye(units, dtype="float32")[rng.integers(0, units, size=n)]
    if kind == "sparse":
        return rng.integers(0, units, size=(n,)).astype("int64")
    if kind == "positive":
        return rng.random((n, units)).astype("float32") + 0.5
    if kind == "signs":
        return np.where(rng.random((n, units)) < 0.5, -1.0, 1.0).astype("float32")
    return rng.standard_normal((n, units)).astype("float32")


def _mlp(lib, units, activation):
    L = lib.layers
    return lib.Sequential([
        lib.Input((6,)), L.Dense(8, activation="tanh"), L.Dense(units, activation=activation)
    ])


def _train_both(build, compile_kwargs, fit_kwargs, optimizer_factory):
    import keras

    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    reference.compile(optimizer=optimizer_factory(keras), **compile_kwargs)
    ours.compile(optimizer=optimizer_factory(kerasish), **compile_kwargs)
    expected = reference.fit(verbose=0, shuffle=False, **fit_kwargs).history
    received = ours.fit(verbose=0, shuffle=False, **fit_kwargs).history
    return reference, ours, expected, received


def _assert_histories(expected, received, rtol=1e-4):
    assert sorted(received) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(received[key], expected[key], rtol=rtol, atol=1e-6, err_msg=key)


def _assert_weights(reference, ours, atol=1e-4):
    for got, want in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, atol=atol, rtol=1e-4)


@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=lambda v: str(v))
def test_each_optimizer_trains_like_keras(rng, name, options):
    x = rng.standard_normal((64, 6)).astype("float32")
    y = rng.standard_normal((64, 3)).astype("float32")

    def optimizer(lib):
        return lib.optimizers.get({"class_name": name, "config": dict(options)})

    reference, ours, expected, received = _train_both(
        lambda lib: _mlp(lib, 3, None),
        {"loss": "mse"},
        {"x": x, "y": y, "batch_size": 16, "epochs": 3},
        optimizer,
    )
    _assert_histories(expected, received)
    _assert_weights(reference, ours)


@pytest.mark.parametrize("loss,activation,kind", LOSSES, ids=lambda v: str(v))
def test_each_loss_trains_like_keras(rng, loss, activation, kind):
    units = 4 if kind in ("onehot", "sparse") else 2
    x = rng.standard_normal((48, 6)).astype("float32")
    y = _targets(kind, rng, 48, units)
    reference, ours, expected, received = _train_both(
        lambda lib: _mlp(lib, units, activation),
        {"loss": loss},
        {"x": x, "y": y, "batch_size": 16, "epochs": 2},
        lambda lib: lib.optimizers.SGD(learning_rate=0.05),
    )
    _assert_histories(expected, received)
    _assert_weights(reference, ours)


def test_metrics_and_validation_history(rng):
    x = rng.standard_normal((60, 6)).astype("float32")
    y = rng.integers(0, 4, size=(60,)).astype("int64")
    _, _, expected, received = _train_both(
        lambda lib: _mlp(lib, 4, "softmax"),
        {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy", "sparse_categorical_crossentropy"]},
        {"x": x, "y": y, "batch_size": 20, "epochs": 2, "validation_split": 0.25},
        lambda lib: lib.optimizers.Adam(),
    )
    assert "val_accuracy" in received
    _assert_histories(expected, received)


def test_seed_002_multi_output_with_loss_weights(rng):
    def build(lib):
        L = lib.layers
        main_input = lib.Input(shape=(10,), dtype="int32", name="main_input")
        x = L.Embedding(output_dim=8, input_dim=50)(main_input)
        lstm_out = L.LSTM(6)(x)
        auxiliary_output = L.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
        auxiliary_input = lib.Input(shape=(5,), name="aux_input")
        x = L.concatenate([lstm_out, auxiliary_input])
        x = L.Dense(8, activation="relu")(x)
        main_output = L.Dense(1, activation="sigmoid", name="main_output")(x)
        return lib.Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])

    headlines = rng.integers(1, 50, size=(40, 10)).astype("int32")
    additional = rng.random((40, 5)).astype("float32")
    labels = rng.integers(0, 2, size=(40, 1)).astype("float32")
    _, _, expected, received = _train_both(
        build,
        {"loss": {"main_output": "binary_crossentropy", "aux_output": "binary_crossentropy"},
         "loss_weights": {"main_output": 1.0, "aux_output": 0.2},
         "metrics": {"main_output": ["accuracy"], "aux_output": ["accuracy"]}},
        {"x": {"main_input": headlines, "aux_input": additional},
         "y": {"main_output": labels, "aux_output": labels}, "batch_size": 8, "epochs": 2},
        lambda lib: lib.optimizers.RMSprop(),
    )
    assert {"loss", "main_output_loss", "aux_output_loss", "main_output_accuracy"} <= set(received)
    _assert_histories(expected, received)


def test_class_weight_and_sample_weight(rng):
    x = rng.standard_normal((40, 6)).astype("float32")
    y = rng.integers(0, 3, size=(40,)).astype("int64")
    weights = rng.random(40).astype("float32")
    for fit_extra in ({"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}}, {"sample_weight": weights}):
        reference, ours, expected, received = _train_both(
            lambda lib: _mlp(lib, 3, "softmax"),
            {"loss": "sparse_categorical_crossentropy", "weighted_metrics": ["accuracy"]},
            {"x": x, "y": y, "batch_size": 10, "epochs": 2, **fit_extra},
            lambda lib: lib.optimizers.SGD(0.1),
        )
        _assert_histories(expected, received)
        _assert_weights(reference, ours)


def test_evaluate_matches(rng):
    import keras

    x = rng.standard_normal((30, 6)).astype("float32")
    y = rng.integers(0, 2, size=(30, 1)).astype("float32")
    reference, ours = _mlp(keras, 1, "sigmoid"), _mlp(kerasish, 1, "sigmoid")
    ours.set_weights(reference.get_weights())
    for model in (reference, ours):
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "AUC"])
    np.testing.assert_allclose(
        ours.evaluate(x, y, batch_size=7, verbose=0),
        reference.evaluate(x, y, batch_size=7, verbose=0),
        rtol=1e-5,
    )
