"""RemoteMonitor with a stand-in for ``requests``: what it posts, and its two failure modes."""

import json

import numpy as np
import pytest

from kerasish.callbacks import RemoteMonitor, remote_monitor


class FakeRequests:
    class exceptions:  # noqa: N801 (the module attribute's name)
        class RequestException(Exception):
            pass

    def __init__(self, fail=False):
        self.posts, self.fail = [], fail

    def post(self, url, data=None, json=None, headers=None):
        if self.fail:
            raise self.exceptions.RequestException("down")
        self.posts.append((url, data, json, headers))


def test_form_post_with_numpy_values_made_plain(monkeypatch):
    fake = FakeRequests()
    monkeypatch.setattr(remote_monitor, "requests", fake)
    RemoteMonitor(root="http://h:1", path="/x", field="f", headers={"A": "b"}).on_epoch_end(
        3, {"loss": np.float32(0.5), "acc": np.array(0.25)}
    )
    ((url, data, sent_json, headers),) = fake.posts
    assert (url, sent_json, headers) == ("http://h:1/x", None, {"A": "b"})
    assert json.loads(data["f"]) == {"epoch": 3, "loss": 0.5, "acc": 0.25}


def test_json_post(monkeypatch):
    fake = FakeRequests()
    monkeypatch.setattr(remote_monitor, "requests", fake)
    RemoteMonitor(send_as_json=True).on_epoch_end(0, {"loss": 1.5})
    assert fake.posts == [("http://localhost:9000/publish/epoch/end/", None, {"epoch": 0, "loss": 1.5}, None)]


def test_unreachable_server_warns(monkeypatch):
    monkeypatch.setattr(remote_monitor, "requests", FakeRequests(fail=True))
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://localhost:9000"):
        RemoteMonitor().on_epoch_end(0, {})


def test_missing_requests_raises_on_use(monkeypatch):
    monkeypatch.setattr(remote_monitor, "requests", None)
    monitor = RemoteMonitor()  # creating it is fine, as in Keras
    with pytest.raises(ImportError, match="RemoteMonitor requires the `requests` library."):
        monitor.on_epoch_end(0, {})
