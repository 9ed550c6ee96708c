"""to_categorical, normalize, pad_sequences, PyDataset/Sequence, and the keras.utils surface."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerasish
from kerasish import utils


def test_to_categorical_numpy_and_torch():
    np.testing.assert_array_equal(
        utils.to_categorical([[2], [0]], 3), np.array([[0, 0, 1], [1, 0, 0]], dtype="float64")
    )
    assert utils.to_categorical([1, 0], 2, dtype="float32").dtype == np.float32  # Keras 2 dtype=
    out = utils.to_categorical(torch.tensor([[1], [3]]), 4)
    assert out.dtype == torch.float32 and out.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]
    with pytest.raises(IndexError, match="class index 5 is out of range for num_classes=3"):
        utils.to_categorical([0, 5], 3)


def test_normalize_axis0_keeps_keras2_meaning():
    x = np.array([[3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0), [[0.6, 0.0], [0.8, 0.0]])
    t = utils.normalize(torch.tensor(x), axis=0)
    np.testing.assert_allclose(t.numpy(), [[0.6, 0.0], [0.8, 0.0]])


def test_pad_sequences_semantics():
    out = utils.pad_sequences([[1, 2, 3], [4]], maxlen=2)
    np.testing.assert_array_equal(out, [[2, 3], [0, 4]])
    out = utils.pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post", truncating="post", value=9)
    np.testing.assert_array_equal(out, [[1, 2], [4, 9]])
    assert utils.pad_sequences([[1], [2, 3]]).shape == (2, 2)
    with pytest.raises(ValueError, match="You should set `dtype=object` for variable length strings"):
        utils.pad_sequences([[1]], value="x")
    with pytest.raises(ValueError, match="`sequences` must be a list of iterables"):
        utils.pad_sequences([1, 2])


class _Squares(utils.Sequence):
    """A Keras 2 Sequence that does not call super().__init__()."""

    def __init__(self):
        self.epochs_ended = 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        x = np.full((8, 1), index, dtype="float32")
        return x, 2 * x

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_sequence_feeds_fit_and_gets_epoch_end():
    model = kerasish.Sequential([kerasish.layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse")
    data = _Squares()
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and data.epochs_ended == 2
    assert [batch[0][0, 0] for batch in data] == [0, 1, 2, 3]
    assert utils.PyDataset().workers == 1
    with pytest.raises(NotImplementedError, match="must implement `__getitem__"):
        utils.PyDataset()[0]


def test_utils_surface():
    assert utils.Sequence is kerasish.utils.data_utils.Sequence
    assert kerasish.utils.np_utils.to_categorical is utils.to_categorical
    assert "get_file" in dir(utils) and "get_file" in utils.__all__
    with pytest.raises(AttributeError, match="module 'kerasish.utils' has no attribute 'nope'"):
        utils.nope
    utils.set_random_seed(3)
    first = (np.random.rand(), torch.rand(1).item())
    utils.set_random_seed(3)
    assert (np.random.rand(), torch.rand(1).item()) == first
    with pytest.raises(ValueError, match="Expected `seed` argument to be an integer"):
        utils.set_random_seed(1.5)


def test_xy_packing_and_session_helpers():
    x, y, w = np.ones(2), np.zeros(2), np.ones(2)
    assert utils.pack_x_y_sample_weight(x) is x
    assert utils.pack_x_y_sample_weight([x]) == ([x],)
    assert utils.unpack_x_y_sample_weight(utils.pack_x_y_sample_weight(x, y, w)) == (x, y, w)
    assert utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        utils.unpack_x_y_sample_weight((x, x, x, x))
    assert utils.standardize_dtype("float") == "float32"
    assert utils.clear_session is kerasish.backend.clear_session
