"""bfloat16 weights read and write as ``ml_dtypes.bfloat16`` arrays, as in Keras 3."""

import keras
import numpy as np

import kerasish


def test_bfloat16_get_weights_and_set_weights_like_keras3():
    ours = kerasish.layers.Dense(3, dtype="bfloat16")
    ours.build((None, 4))
    theirs = keras.layers.Dense(3, dtype="bfloat16")
    theirs.build((None, 4))
    assert [w.dtype for w in ours.get_weights()] == [w.dtype for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a.astype("float32"), b.astype("float32"))
    x = np.ones((2, 4), dtype="float32")
    ours_model = kerasish.Sequential([kerasish.Input((4,)), ours])
    theirs_model = keras.Sequential([keras.Input((4,)), theirs])
    got, want = ours_model.predict(x, verbose=0), theirs_model.predict(x, verbose=0)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.astype("float32"), want.astype("float32"), rtol=1e-2)
