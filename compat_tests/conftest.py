"""Side-by-side tests against real Keras 3 on its torch backend.

Keras 3 is imported here with ``KERAS_BACKEND=torch`` so it reuses the same torch as kerasish.
Both libraries are in one process; they share nothing but torch.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasish  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_sessions():
    keras.backend.clear_session(free_memory=False)  # no gc pass: ~0.7 s saved per test
    kerasish.backend.clear_session()
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
