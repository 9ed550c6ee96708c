"""These tests drive callbacks on fake models and build no layers, so they skip the parent
conftest's per-test ``keras.backend.clear_session()`` (about half a second each)."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_sessions():
    yield
