"""audio_dataset_from_directory against Keras 3 where Keras runs without TensorFlow: its file
indexing/shuffling/splitting and the argument checks ``keras.utils.audio_dataset_from_directory``
makes before it needs TF. (Decoding needs ``tf.audio``; tests/utils checks it by hand.)"""

from __future__ import annotations

import inspect
import wave

import keras
import numpy as np
import pytest
from keras.src.utils import dataset_utils

from kerasish import utils


def _write(path, samples, rate):
    samples = np.asarray(samples, dtype="<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[1])
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())


@pytest.fixture
def tree(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("dog", "cat", "bird"):
        (tmp_path / label).mkdir()
        for i in range(3):
            length = int(rng.integers(5, 40))
            _write(tmp_path / label / f"{i}.wav", rng.integers(-32768, 32767, (length, 2)), 8000)
    return tmp_path


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_file_order_labels_and_split_match_keras(tree, subset):
    ours = utils.audio_dataset_from_directory(
        str(tree), batch_size=None, validation_split=0.3, subset=subset, seed=11, verbose=False,
        class_names=["dog", "bird", "cat"],
    )
    paths, labels, names = dataset_utils.index_directory(
        str(tree), "inferred", formats=(".wav",), class_names=["dog", "bird", "cat"],
        shuffle=True, seed=11,
    )
    paths, labels = dataset_utils.get_training_or_validation_split(paths, labels, 0.3, subset)
    assert ours.file_paths == list(paths) and ours.class_names == names
    np.testing.assert_array_equal([ours[i][1] for i in range(len(ours))], labels)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(sampling_rate=16000),
        dict(sampling_rate=1.5),
        dict(sampling_rate=-1),
        dict(ragged=True, output_sequence_length=4),
        dict(label_mode="onehot"),
        dict(labels="folders"),
        dict(labels=[0, 1], class_names=["a", "b"]),
        dict(validation_split=0.2, subset="training"),
        dict(validation_split=0.2, subset="train", seed=1),
    ],
)
def test_argument_errors_match_keras(tree, kwargs):
    with pytest.raises(Exception) as theirs:
        keras.utils.audio_dataset_from_directory(str(tree), verbose=False, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        utils.audio_dataset_from_directory(str(tree), verbose=False, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_signature_matches_keras():
    ours = inspect.signature(utils.audio_dataset_from_directory).parameters
    theirs = inspect.signature(keras.utils.audio_dataset_from_directory).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]
