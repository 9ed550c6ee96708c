"""image_dataset_from_directory, timeseries_dataset_from_array, text_dataset_from_directory."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish
from kerasish import utils


@pytest.fixture
def image_tree(tmp_path):
    rng = np.random.default_rng(0)
    for label, count, size in (("a", 4, (6, 8)), ("b", 2, (10, 10))):
        (tmp_path / label).mkdir()
        for i in range(count):
            utils.save_img(str(tmp_path / label / f"{i}.png"), rng.uniform(0, 255, size=size + (3,)))
    (tmp_path / "a" / "skip.txt").write_text("no")
    return tmp_path


def test_image_dataset_shapes_labels_and_fit(image_tree):
    ds = utils.image_dataset_from_directory(
        str(image_tree), image_size=(4, 5), batch_size=4, shuffle=False, label_mode="categorical"
    )
    assert ds.class_names == ["a", "b"] and len(ds) == 2 and len(ds.file_paths) == 6
    images, labels = ds[0]
    assert images.shape == (4, 4, 5, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, np.eye(2, dtype="float32")[[0, 0, 0, 0]])
    model = kerasish.Sequential([kerasish.layers.Flatten(input_shape=(4, 5, 3)), kerasish.layers.Dense(2, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    assert len(model.fit(ds, epochs=1, verbose=0).history["loss"]) == 1


def test_image_dataset_resize_matches_keras_resizing(image_tree):
    ds = utils.image_dataset_from_directory(
        str(image_tree), image_size=(3, 4), batch_size=None, shuffle=False, labels=None
    )
    raw = utils.img_to_array(utils.load_img(ds.file_paths[0]))
    expected = kerasish.layers.Resizing(3, 4)(raw[None])[0].detach().numpy()
    np.testing.assert_allclose(ds[0], expected, atol=1e-5)


def test_image_dataset_options(image_tree):
    ds = utils.image_dataset_from_directory(
        str(image_tree), image_size=(4, 4), color_mode="grayscale", label_mode="binary",
        shuffle=False, batch_size=6, crop_to_aspect_ratio=True, data_format="channels_first",
    )
    images, labels = ds[0]
    assert images.shape == (6, 1, 4, 4) and labels.shape == (6, 1) and labels.dtype == np.float32
    train, val = utils.image_dataset_from_directory(
        str(image_tree), image_size=(4, 4), validation_split=0.5, subset="both", seed=1
    )
    assert len(train.file_paths) == 3 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    with pytest.raises(ValueError, match="you must provide a `seed` argument"):
        utils.image_dataset_from_directory(str(image_tree), validation_split=0.5, subset="training")
    with pytest.raises(NotImplementedError, match="interpolation='area' is not supported by kerasish"):
        utils.image_dataset_from_directory(str(image_tree), interpolation="area")
    with pytest.raises(ValueError, match="`color_mode` must be one of"):
        utils.image_dataset_from_directory(str(image_tree), color_mode="cmyk")


def test_timeseries_windows():
    data = np.arange(20)
    ds = utils.timeseries_dataset_from_array(
        data, data * 10, sequence_length=3, sampling_rate=2, sequence_stride=4, batch_size=2
    )
    windows, targets = ds[0]
    np.testing.assert_array_equal(windows, [[0, 2, 4], [4, 6, 8]])
    np.testing.assert_array_equal(targets, [0, 40])
    assert sum(len(batch[0]) for batch in ds) == 4  # starts 0, 4, 8, 12 (15 windows fit)
    only = utils.timeseries_dataset_from_array(data, None, 5, start_index=3, end_index=10, batch_size=None)
    np.testing.assert_array_equal(only[0], [3, 4, 5, 6, 7])
    assert len(only) == 3
    with pytest.raises(ValueError, match="`sampling_rate` must be higher than 0"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def test_timeseries_shuffle_is_seeded_and_fits():
    data = np.arange(40, dtype="float32").reshape(20, 2)
    a = utils.timeseries_dataset_from_array(data, data[:, 0], 4, shuffle=True, seed=3, batch_size=5)
    b = utils.timeseries_dataset_from_array(data, data[:, 0], 4, shuffle=True, seed=3, batch_size=5)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    model = kerasish.Sequential([kerasish.layers.Flatten(input_shape=(4, 2)), kerasish.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(a, epochs=2, verbose=0)


def test_text_dataset(tmp_path):
    for label, texts in (("neg", ["bad", "awful film"]), ("pos", ["good", "great", "fine"])):
        (tmp_path / label).mkdir()
        for i, content in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(content)
    ds = utils.text_dataset_from_directory(str(tmp_path), batch_size=10, shuffle=False, max_length=4)
    texts, labels = ds[0]
    assert ds.class_names == ["neg", "pos"]
    assert list(texts) == ["bad", "awfu", "good", "grea", "fine"]
    np.testing.assert_array_equal(labels, [0, 0, 1, 1, 1])
