"""SwapEMAWeights and RemoteMonitor side by side with Keras 3 in real ``fit``/``evaluate``/
``predict`` runs: validation metrics of the averaged weights, the weights after each call, the
payloads posted to a (fake) server and the errors."""

import json
import sys

import keras
import numpy as np
import pytest

import kerasish


@pytest.fixture(autouse=True)
def _fresh_sessions():
    keras.backend.clear_session(free_memory=False)
    kerasish.backend.clear_session()
    yield


def _pair(use_ema=True, **optimizer_kwargs):
    def build(lib):
        model = lib.Sequential([
            lib.Input((4,)), lib.layers.Dense(5, activation="tanh"), lib.layers.Dense(1),
        ])
        model.compile(
            optimizer=lib.optimizers.SGD(0.1, use_ema=use_ema, ema_momentum=0.5, **optimizer_kwargs),
            loss="mse",
        )
        return model

    reference, ours = build(keras), build(kerasish)
    ours.set_weights(reference.get_weights())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    return reference, ours, x, y


def _assert_same_weights(reference, ours):
    for e, r in zip(reference.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(r, e, atol=1e-6)


def test_validation_uses_the_averages_and_fit_ends_with_them():
    reference, ours, x, y = _pair()
    run = dict(batch_size=4, epochs=3, shuffle=False, verbose=0, validation_data=(x, y))
    expected = reference.fit(x, y, callbacks=[keras.callbacks.SwapEMAWeights()], **run).history
    received = ours.fit(x, y, callbacks=[kerasish.callbacks.SwapEMAWeights()], **run).history
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(received[key], expected[key], rtol=1e-5)
    _assert_same_weights(reference, ours)


def test_swap_on_epoch_shows_the_averages_to_later_callbacks():
    def seen(lib, store):
        return lib.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: store.append([w.copy() for w in store_model[lib].get_weights()])
        )

    reference, ours, x, y = _pair()
    store_model = {keras: reference, kerasish: ours}
    expected_seen, received_seen = [], []
    run = dict(batch_size=4, epochs=2, shuffle=False, verbose=0)
    reference.fit(x, y, callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True), seen(keras, expected_seen)], **run)
    ours.fit(x, y, callbacks=[kerasish.callbacks.SwapEMAWeights(swap_on_epoch=True), seen(kerasish, received_seen)], **run)
    for expected, received in zip(expected_seen, received_seen):
        for e, r in zip(expected, received):
            np.testing.assert_allclose(r, e, atol=1e-6)
    _assert_same_weights(reference, ours)


def test_evaluate_and_predict_leave_the_weights_as_keras_does():
    """Keras 3.15 never swaps back after ``predict``; the weights must still agree."""
    reference, ours, x, y = _pair()
    reference.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    # A further step, so that weights and averages differ again.
    reference.train_on_batch(x[:4], y[:4])
    ours.train_on_batch(x[:4], y[:4])
    keras_swap, ours_swap = keras.callbacks.SwapEMAWeights(), kerasish.callbacks.SwapEMAWeights()
    expected = reference.evaluate(x, y, callbacks=[keras_swap], verbose=0)
    received = ours.evaluate(x, y, callbacks=[ours_swap], verbose=0)
    np.testing.assert_allclose(received, expected, rtol=1e-5)
    _assert_same_weights(reference, ours)
    np.testing.assert_allclose(
        ours.predict(x, callbacks=[ours_swap], verbose=0),
        reference.predict(x, callbacks=[keras_swap], verbose=0),
        atol=1e-6,
    )
    _assert_same_weights(reference, ours)
    expected = reference.evaluate(x, y, callbacks=[keras_swap], verbose=0)
    received = ours.evaluate(x, y, callbacks=[ours_swap], verbose=0)
    np.testing.assert_allclose(received, expected, rtol=1e-5)
    _assert_same_weights(reference, ours)


def test_without_ema_the_error_matches_keras():
    reference, ours, x, y = _pair(use_ema=False)
    with pytest.raises(ValueError) as expected:
        reference.fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
                      callbacks=[keras.callbacks.SwapEMAWeights()])
    with pytest.raises(ValueError) as received:
        ours.fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
                 callbacks=[kerasish.callbacks.SwapEMAWeights()])
    assert str(received.value) == str(expected.value)


# ----------------------------------------------------------------------------- RemoteMonitor


class FakeRequests:
    """Stands in for the ``requests`` module: records posts, or fails like an unreachable host."""

    class exceptions:  # noqa: N801 (the module attribute's name)
        class RequestException(Exception):
            pass

    def __init__(self, fail=False):
        self.posts, self.fail = [], fail

    def post(self, url, data=None, json=None, headers=None):
        if self.fail:
            raise self.exceptions.RequestException("unreachable")
        self.posts.append({"url": url, "data": data, "json": json, "headers": headers})


def _monitored_fit(monkeypatch, fake_keras, fake_ours, **monitor_kwargs):
    monkeypatch.setattr(sys.modules["keras.src.callbacks.remote_monitor"], "requests", fake_keras)
    monkeypatch.setattr(sys.modules["kerasish.callbacks.remote_monitor"], "requests", fake_ours)
    reference, ours, x, y = _pair(use_ema=False)
    run = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    reference.fit(x, y, callbacks=[keras.callbacks.RemoteMonitor(**monitor_kwargs)], **run)
    ours.fit(x, y, callbacks=[kerasish.callbacks.RemoteMonitor(**monitor_kwargs)], **run)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"root": "http://monitor:1", "path": "/p/", "field": "payload", "headers": {"X": "1"}},
     {"send_as_json": True}],
)
def test_posts_the_same_payloads(monkeypatch, kwargs):
    fake_keras, fake_ours = FakeRequests(), FakeRequests()
    _monitored_fit(monkeypatch, fake_keras, fake_ours, **kwargs)
    assert len(fake_ours.posts) == len(fake_keras.posts) == 2
    for expected, received in zip(fake_keras.posts, fake_ours.posts):
        assert (received["url"], received["headers"]) == (expected["url"], expected["headers"])
        if kwargs.get("send_as_json"):
            assert received["data"] is None
            expected_payload, received_payload = expected["json"], received["json"]
        else:
            assert received["json"] is None and list(received["data"]) == list(expected["data"])
            field = kwargs.get("field", "data")
            expected_payload = json.loads(expected["data"][field])
            received_payload = json.loads(received["data"][field])
        assert sorted(received_payload) == sorted(expected_payload)
        assert received_payload["epoch"] == expected_payload["epoch"]
        assert received_payload["loss"] == pytest.approx(expected_payload["loss"], rel=1e-5)


def test_an_unreachable_server_warns_as_keras(monkeypatch):
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://localhost:9000"):
        _monitored_fit(monkeypatch, FakeRequests(fail=True), FakeRequests(fail=True))


def test_without_requests_the_error_matches_keras(monkeypatch):
    monkeypatch.setattr(sys.modules["keras.src.callbacks.remote_monitor"], "requests", None)
    monkeypatch.setattr(sys.modules["kerasish.callbacks.remote_monitor"], "requests", None)
    with pytest.raises(ImportError) as expected:
        keras.callbacks.RemoteMonitor().on_epoch_end(0, {})
    with pytest.raises(ImportError) as received:
        kerasish.callbacks.RemoteMonitor().on_epoch_end(0, {})
    assert str(received.value) == str(expected.value)
