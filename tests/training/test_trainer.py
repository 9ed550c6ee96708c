import numpy as np
import pytest
import torch

import kerasish as keras

L = keras.layers


def _classifier(units=3):
    inp = keras.Input(shape=(4,), name="features")
    hidden = L.Dense(16, activation="relu")(inp)
    return keras.Model(inp, L.Dense(units, activation="softmax", name="probs")(hidden))


def _data(rng, n=64, units=3):
    x = rng.standard_normal((n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")
    return x, np.minimum(y, units - 1)


def test_fit_learns_and_records_history(rng):
    model = _classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x, y = _data(rng, 256)
    history = model.fit(x, y, batch_size=32, epochs=15, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 15
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.8
    assert model.metrics_names == ["loss", "accuracy"]
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_fit_without_compile_is_an_error(rng):
    with pytest.raises(RuntimeError, match="must compile your model"):
        _classifier().fit(*_data(rng), verbose=0)


def test_unknown_loss_and_metric_names(rng):
    model = _classifier()
    with pytest.raises(ValueError, match="no_such_loss"):
        model.compile(loss="no_such_loss")
        model.fit(*_data(rng), verbose=0)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["no_such_metric"])
    with pytest.raises(ValueError, match="no_such_metric"):
        model.fit(*_data(rng), verbose=0)


def test_mismatched_sample_counts(rng):
    model = _classifier()
    model.compile(loss="sparse_categorical_crossentropy")
    x, y = _data(rng)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, y[:10], verbose=0)


def _two_outputs():
    inp = keras.Input(shape=(4,))
    return keras.Model(inp, [L.Dense(1, name="a")(inp), L.Dense(2, name="b")(inp)])


def test_wrong_number_of_targets_and_unknown_output_keys(rng):
    model = _two_outputs()
    model.compile(loss="mse")
    x = rng.standard_normal((8, 4)).astype("float32")
    with pytest.raises(ValueError, match="2 outputs"):
        model.fit(x, np.zeros((8, 1)), verbose=0)
    with pytest.raises(ValueError, match="'c'"):
        model.fit(x, {"a": np.zeros((8, 1)), "c": np.zeros((8, 2))}, verbose=0)
    with pytest.raises(ValueError, match="do not correspond to any Model output"):
        model.compile(loss={"a": "mse", "nope": "mse"})


def test_multi_output_names_losses_and_weights(rng):
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], []])
    x = rng.standard_normal((16, 4)).astype("float32")
    history = model.fit(x, [np.zeros((16, 1)), np.ones((16, 2))], epochs=1, verbose=0)
    assert set(history.history) == {"loss", "a_loss", "b_loss", "a_mae"}
    logs = model.evaluate(x, {"a": np.zeros((16, 1)), "b": np.ones((16, 2))}, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["a_loss"] + 0.5 * logs["b_loss"], rtol=1e-5)


def test_generators_sequences_and_torch_data(rng):
    x, y = _data(rng, 64)

    def generator():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    class Batches:
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 16:(index + 1) * 16], y[index * 16:(index + 1) * 16]

    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    for source, extra in (
        (generator(), {"steps_per_epoch": 4}),
        (Batches(), {}),
        (dataset, {"batch_size": 16}),
        (torch.utils.data.DataLoader(dataset, batch_size=16), {}),
    ):
        model = _classifier()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(source, epochs=2, verbose=0, **extra)
        assert len(history.history["loss"]) == 2
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert model.predict(Batches(), verbose=0).shape == (64, 3)
    assert np.isfinite(model.evaluate(Batches(), verbose=0))


def test_train_and_test_on_batch(rng):
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acc"])
    x, y = _data(rng, 32)
    before = model.test_on_batch(x, y)
    for _ in range(20):
        model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < before[0]
    assert set(after) == {"loss", "acc"}


def test_dropout_active_in_fit_only(rng):
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, L.Dense(1)(L.Dropout(0.5)(inp)))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((32, 4), dtype="float32")
    y = np.zeros((32, 1), dtype="float32")
    first = model.evaluate(x, y, verbose=0)
    assert first == pytest.approx(model.evaluate(x, y, verbose=0))
    assert not model.training
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.training)

    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[Spy()])
    assert seen and all(seen) and not model.training


def test_stop_training_from_callback(rng):
    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(*_data(rng), epochs=10, verbose=0, callbacks=[Stop()])
    assert len(history.history["loss"]) == 2


def test_validation_split_takes_the_last_samples(rng):
    captured = {}

    class Capture(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            captured.update(logs)

    inp = keras.Input(shape=(1,))
    model = keras.Model(inp, L.Dense(1, use_bias=False, kernel_initializer="zeros")(inp))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mae")
    x = np.arange(10, dtype="float32").reshape(10, 1)
    y = np.arange(10, dtype="float32").reshape(10, 1)
    model.fit(x, y, validation_split=0.2, epochs=1, verbose=0, shuffle=False, callbacks=[Capture()])
    assert captured["val_loss"] == pytest.approx(8.5)  # samples 8 and 9
    assert captured["loss"] == pytest.approx(3.5)  # samples 0..7


def test_no_host_sync_per_training_step(rng, monkeypatch):
    model = _classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(rng, 640)
    calls = {"n": 0}
    item, to_float = torch.Tensor.item, torch.Tensor.__float__

    def counting_item(self):
        calls["n"] += 1
        return item(self)

    def counting_float(self):
        calls["n"] += 1
        return to_float(self)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    monkeypatch.setattr(torch.Tensor, "__float__", counting_float)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # 40 steps
    assert calls["n"] <= 4  # one read per logged value, at the end of the epoch


def test_stateful_lstm_trains_across_batches(rng):
    model = keras.Sequential([
        keras.Input(batch_shape=(4, 5, 3)),
        L.LSTM(6, stateful=True),
        L.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    x = rng.standard_normal((16, 5, 3)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    state = model.layers[0].states[0].clone()
    assert float(state.abs().sum()) > 0
    model.reset_states()
    assert float(model.layers[0].states[0].abs().sum()) == 0


def test_regularization_loss_is_part_of_training_loss(rng):
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, L.Dense(1, kernel_regularizer="l2", kernel_initializer="ones")(inp))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    x = np.zeros((8, 4), dtype="float32")
    loss = model.evaluate(x, np.zeros((8, 1)), verbose=0)
    assert loss == pytest.approx(0.01 * 4)


def test_keras2_fit_generator_and_nb_epoch(rng):
    x, y = _data(rng, 32)

    def generator():
        while True:
            yield x, y

    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit_generator(generator(), steps_per_epoch=2, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    history = model.fit(x, y, nb_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 3


def test_subclassed_model_trains_summarizes_and_saves_weights(rng, tmp_path):
    class TwoLayers(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(8, activation="relu")
            self.out = L.Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoLayers()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = rng.random((64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 49" in lines
    path = str(tmp_path / "two.weights.h5")
    model.save_weights(path)
    clone = TwoLayers()
    clone(x[:1])
    clone.load_weights(path)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
