"""Keras 2 backend names beyond the tensor functions: backend(), cast_to_floatx,
image_dim_ordering."""

from __future__ import annotations

import numpy as np
import pytest

from kerasish import backend as K


def test_backend_names():
    assert K.backend() == "torch"
    out = K.cast_to_floatx([1, 2])
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert K.image_dim_ordering() == "tf"
    try:
        K.set_image_dim_ordering("th")
        assert K.image_data_format() == "channels_first" and K.image_dim_ordering() == "th"
    finally:
        K.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="Unknown dim_ordering"):
        K.set_image_dim_ordering("xx")
