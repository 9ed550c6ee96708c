import numpy as np
import pytest
import torch

import kerasish


@pytest.fixture(autouse=True)
def _fresh_session():
    kerasish.backend.clear_session()
    torch.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
