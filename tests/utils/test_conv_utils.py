import numpy as np
import pytest

import kerasish as keras
from kerasish.utils.conv_utils import convert_kernel


def test_convert_kernel_reverses_spatial_axes_only_and_is_its_own_inverse():
    kernel = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    flipped = convert_kernel(kernel)
    np.testing.assert_array_equal(flipped, kernel[::-1, ::-1])
    np.testing.assert_array_equal(convert_kernel(flipped), kernel)
    assert convert_kernel(np.ones((2, 3, 4))).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="Invalid kernel shape"):
        convert_kernel(np.ones((3, 4)))


def test_convert_all_kernels_in_model_makes_a_theano_kernel_convolve():
    model = keras.Sequential([
        keras.layers.Conv2D(1, (2, 2), use_bias=False, input_shape=(3, 3, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(1),
    ])
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32").reshape(2, 2, 1, 1)
    dense = [w.copy() for w in model.layers[2].get_weights()]
    model.layers[0].set_weights([kernel])
    keras.utils.convert_all_kernels_in_model(model)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel[::-1, ::-1])
    for a, b in zip(model.layers[2].get_weights(), dense):
        np.testing.assert_array_equal(a, b)
    # Keras 2's module paths reach the same functions.
    assert keras.utils.conv_utils.convert_kernel is convert_kernel
