"""Data helpers side by side with Keras 3: same inputs, same arrays out."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras.src.legacy.preprocessing import image as keras_image
from keras.src.legacy.preprocessing import sequence as keras_sequence
from keras.src.legacy.preprocessing import text as keras_text
from keras.src.utils import file_utils as keras_file_utils

import kerasish
from kerasish.preprocessing import image, sequence, text
from kerasish.utils import file_utils


@pytest.mark.parametrize(
    "labels, num_classes",
    [([0, 2, 1, 2], None), ([[1], [0], [3]], 5), (np.arange(6).reshape(2, 3) % 4, None)],
)
def test_to_categorical(labels, num_classes):
    expected = keras.utils.to_categorical(labels, num_classes)
    received = kerasish.utils.to_categorical(labels, num_classes)
    assert received.dtype == expected.dtype and received.shape == expected.shape
    np.testing.assert_array_equal(received, expected)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 1), (None, 2)])
def test_normalize(rng, axis, order):
    # axis=0 is left out: Keras 3.15 turns it into -1 (`axis or -1`); kerasish keeps Keras 2's
    # meaning (tests/utils/test_data_helpers.py).
    x = rng.normal(size=(4, 3))
    x[1] = 0
    np.testing.assert_allclose(
        kerasish.utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order), atol=1e-12
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 3},
        {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1},
        {"maxlen": 5, "dtype": "float32", "value": 0.5},
        {"maxlen": 2, "truncating": "post"},
    ],
)
def test_pad_sequences(kwargs):
    sequences = [[1, 2, 3, 4], [5], [], [6, 7]]
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    received = kerasish.utils.pad_sequences(sequences, **kwargs)
    assert received.dtype == expected.dtype
    np.testing.assert_array_equal(received, expected)


def test_pad_sequences_vectors_and_errors():
    sequences = [np.ones((2, 3)), np.zeros((4, 3))]
    np.testing.assert_array_equal(
        kerasish.utils.pad_sequences(sequences, maxlen=3, dtype="float32"),
        keras.utils.pad_sequences(sequences, maxlen=3, dtype="float32"),
    )
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        kerasish.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="is different from expected shape"):
        kerasish.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cat and dog, friends?"]


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 5}, {"oov_token": "<unk>", "num_words": 6}, {"char_level": True}])
def test_tokenizer(kwargs):
    ours, theirs = text.Tokenizer(**kwargs), keras_text.Tokenizer(**kwargs)
    ours.fit_on_texts(TEXTS)
    theirs.fit_on_texts(TEXTS)
    assert ours.word_index == theirs.word_index
    new = ["the cat ate a mat", "unknown words only"]
    assert ours.texts_to_sequences(new) == theirs.texts_to_sequences(new)
    sequences = theirs.texts_to_sequences(TEXTS)
    assert ours.sequences_to_texts(sequences) == theirs.sequences_to_texts(sequences)
    for mode in ("binary", "count", "freq", "tfidf"):
        np.testing.assert_allclose(
            ours.texts_to_matrix(TEXTS, mode=mode), theirs.texts_to_matrix(TEXTS, mode=mode)
        )
    restored = text.tokenizer_from_json(theirs.to_json())
    assert restored.texts_to_sequences(new) == theirs.texts_to_sequences(new)


def test_text_helpers():
    sample = "Hello, World! hello again."
    assert text.text_to_word_sequence(sample) == keras_text.text_to_word_sequence(sample)
    assert text.hashing_trick(sample, 50, "md5") == keras_text.hashing_trick(sample, 50, "md5")
    assert text.one_hot(sample, 50) == keras_text.one_hot(sample, 50)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"length": 3, "batch_size": 2},
        {"length": 4, "sampling_rate": 2, "stride": 3, "batch_size": 3, "reverse": True},
        {"length": 2, "start_index": 2, "end_index": 15, "batch_size": 4},
    ],
)
def test_timeseries_generator(kwargs):
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(20) * 10
    ours = sequence.TimeseriesGenerator(data, targets, **kwargs)
    theirs = keras_sequence.TimeseriesGenerator(data, targets, **kwargs)
    assert len(ours) == len(theirs)
    for i in range(len(theirs)):
        for a, b in zip(ours[i], theirs[i]):
            np.testing.assert_array_equal(a, b)


def test_sampling_table_and_skipgrams():
    np.testing.assert_allclose(sequence.make_sampling_table(20), keras_sequence.make_sampling_table(20))
    seq = [1, 2, 0, 3, 4, 5]
    import random

    random.seed(3)
    expected = keras_sequence.skipgrams(seq, 10, window_size=2, seed=7)
    random.seed(3)
    assert sequence.skipgrams(seq, 10, window_size=2, seed=7) == expected


# ------------------------------------------------------------------ ImageDataGenerator


GENERATOR_OPTIONS = [
    {"rescale": 1 / 255.0, "horizontal_flip": True, "vertical_flip": True},
    {"samplewise_center": True, "samplewise_std_normalization": True, "channel_shift_range": 20.0},
    {"featurewise_center": True, "featurewise_std_normalization": True},
    {"zca_whitening": True},
]


@pytest.mark.parametrize("options", GENERATOR_OPTIONS)
def test_image_data_generator_flow(rng, options):
    x = rng.uniform(0, 255, size=(10, 5, 6, 3)).astype("float32")
    y = np.arange(10)
    with pytest.warns(UserWarning, match="overrides") if options.get("zca_whitening") else _nothing():
        ours = image.ImageDataGenerator(**options)
        theirs = keras_image.ImageDataGenerator(**options)
    if any(k.startswith(("featurewise", "zca")) for k in options):
        ours.fit(x)
        theirs.fit(x)
    for ours_batch, theirs_batch in zip(
        _batches(ours.flow(x, y, batch_size=4, seed=11)), _batches(theirs.flow(x, y, batch_size=4, seed=11))
    ):
        np.testing.assert_allclose(ours_batch[0], theirs_batch[0], atol=1e-4, rtol=1e-5)
        np.testing.assert_array_equal(ours_batch[1], theirs_batch[1])


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _batches(iterator):
    return [iterator[i] for i in range(len(iterator))]


def test_random_transform_parameters_match(rng):
    options = {
        "rotation_range": 30, "width_shift_range": 0.2, "height_shift_range": [-2, 3],
        "shear_range": 10, "zoom_range": [0.8, 1.3], "horizontal_flip": True,
        "vertical_flip": True, "channel_shift_range": 5.0, "brightness_range": (0.5, 1.5),
    }
    ours = image.ImageDataGenerator(**options).get_random_transform((8, 9, 3), seed=5)
    theirs = keras_image.ImageDataGenerator(**options).get_random_transform((8, 9, 3), seed=5)
    assert ours.keys() == theirs.keys()
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], err_msg=key)


def test_brightness_shift_matches(rng):
    x = rng.uniform(0, 255, size=(6, 7, 3)).astype("float32")
    np.testing.assert_allclose(
        image.apply_brightness_shift(x, 1.3, False), keras_image.apply_brightness_shift(x, 1.3, False)
    )


def test_flow_from_directory(tmp_path, rng):
    for label, count in (("cats", 3), ("dogs", 2)):
        (tmp_path / label).mkdir()
        for i in range(count):
            kerasish.utils.save_img(str(tmp_path / label / f"{i}.png"), rng.uniform(0, 255, size=(7, 9, 3)))
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    kwargs = {"target_size": (5, 6), "batch_size": 2, "shuffle": False}
    for class_mode in ("categorical", "binary", "sparse", "input", None):
        ours = image.ImageDataGenerator(rescale=0.5).flow_from_directory(str(tmp_path), class_mode=class_mode, **kwargs)
        theirs = keras_image.ImageDataGenerator(rescale=0.5).flow_from_directory(str(tmp_path), class_mode=class_mode, **kwargs)
        assert ours.filenames == theirs.filenames and ours.class_indices == theirs.class_indices
        for a, b in zip(_batches(ours), _batches(theirs)):
            for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
                np.testing.assert_allclose(x, y)
    validation = image.ImageDataGenerator(validation_split=0.5).flow_from_directory(
        str(tmp_path), subset="validation", **kwargs
    )
    keras_validation = keras_image.ImageDataGenerator(validation_split=0.5).flow_from_directory(
        str(tmp_path), subset="validation", **kwargs
    )
    assert validation.filenames == keras_validation.filenames


def test_image_io_matches(tmp_path, rng):
    array = rng.uniform(-3, 7, size=(6, 5, 3)).astype("float32")
    for fmt in ("channels_last", "channels_first"):
        data = array if fmt == "channels_last" else array.transpose(2, 0, 1)
        ours = kerasish.utils.array_to_img(data, data_format=fmt)
        theirs = keras.utils.array_to_img(data, data_format=fmt)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        np.testing.assert_array_equal(
            kerasish.utils.img_to_array(theirs, data_format=fmt), keras.utils.img_to_array(theirs, data_format=fmt)
        )
    path = str(tmp_path / "x.png")
    keras.utils.save_img(path, array)
    for kwargs in ({}, {"color_mode": "grayscale"}, {"target_size": (4, 8), "interpolation": "bilinear"},
                   {"target_size": (3, 3), "keep_aspect_ratio": True}, {"color_mode": "rgba"}):
        np.testing.assert_array_equal(
            np.asarray(kerasish.utils.load_img(path, **kwargs)), np.asarray(keras.utils.load_img(path, **kwargs))
        )


# ------------------------------------------------------------------ datasets and hashing


def test_hash_helpers(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"some bytes" * 1000)
    for algorithm in ("sha256", "md5"):
        digest = keras_file_utils.hash_file(str(path), algorithm)
        assert file_utils.hash_file(str(path), algorithm) == digest
        assert file_utils.validate_file(str(path), digest)


DATASETS = [
    ("mnist", {}),
    ("imdb", {"num_words": 60, "skip_top": 5, "maxlen": 20}),
    ("imdb", {"start_char": None, "oov_char": None, "index_from": 0}),
    ("reuters", {"num_words": 40, "test_split": 0.3}),
    ("boston_housing", {"test_split": 0.25}),
]


@pytest.mark.parametrize("name, kwargs", DATASETS)
def test_dataset_loading_matches(tmp_path, monkeypatch, name, kwargs):
    """Both libraries read the same stand-in file (their get_file pointed at it)."""
    from compat_tests.keras2_scripts.cache import write_cache

    folder = write_cache(str(tmp_path))
    path = f"{folder}/{name}.npz"
    keras_module = __import__(f"keras.src.datasets.{name}", fromlist=["load_data"])
    ours_module = __import__(f"kerasish.datasets.{name}", fromlist=["load_data"])
    monkeypatch.setattr(keras_module, "get_file", lambda *a, **k: path)
    monkeypatch.setattr(ours_module, "get_file", lambda *a, **k: path)
    expected = keras_module.load_data(**kwargs)
    received = ours_module.load_data(**kwargs)
    for (ex, ey), (rx, ry) in zip(expected, received):
        assert rx.dtype == ex.dtype and rx.shape == ex.shape and ry.dtype == ey.dtype
        np.testing.assert_array_equal(ry, ey)
        if ex.dtype == object:
            assert [list(s) for s in rx] == [list(s) for s in ex]
        else:
            np.testing.assert_array_equal(rx, ex)
