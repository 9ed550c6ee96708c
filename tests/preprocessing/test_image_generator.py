"""ImageDataGenerator: augmentation effects, iterators as generators and as PyDatasets."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish
from kerasish.preprocessing.image import ImageDataGenerator


def _images(n: int = 6) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, size=(n, 6, 6, 3)).astype("float32")


def test_flip_and_rescale_effects():
    x = _images(1)
    gen = ImageDataGenerator(horizontal_flip=True, rescale=0.5)
    params = {"flip_horizontal": True}
    np.testing.assert_allclose(gen.apply_transform(x[0], params), x[0][:, ::-1])
    np.testing.assert_allclose(gen.standardize(x[0].copy()), x[0] * 0.5)
    rotated = ImageDataGenerator().apply_transform(x[0], {"theta": 90})
    np.testing.assert_allclose(rotated, np.rot90(x[0], k=1, axes=(0, 1)), atol=1e-3)


def test_flow_is_seeded_and_covers_each_sample_once_per_epoch():
    x, y = _images(), np.arange(6)
    gen = ImageDataGenerator(rotation_range=20, width_shift_range=0.1, zoom_range=0.1)
    a = gen.flow(x, y, batch_size=4, seed=3)
    b = gen.flow(x, y, batch_size=4, seed=3)
    np.testing.assert_allclose(a[0][0], b[0][0])
    labels = np.concatenate([a[i][1] for i in range(len(a))])
    assert sorted(labels) == list(range(6)) and len(a) == 2
    assert not np.allclose(a[0][0], x[a.index_array[:4]])  # augmented
    batch_x, batch_y = next(iter(gen.flow(x, y, batch_size=5, shuffle=False)))
    assert batch_x.shape == (5, 6, 6, 3) and list(batch_y) == [0, 1, 2, 3, 4]


def test_flow_extras_sample_weight_and_subset():
    x, y = _images(), np.array([0, 1, 0, 1, 0, 1])
    gen = ImageDataGenerator(validation_split=0.5)
    inputs, targets, weights = gen.flow((x, np.arange(6)), y, sample_weight=np.ones(6), batch_size=6, shuffle=False)[0]
    assert isinstance(inputs, list) and list(inputs[1]) == list(range(6)) and weights.shape == (6,)
    val = gen.flow(x, y, batch_size=10, shuffle=False, subset="validation")[0]
    assert len(val[1]) == 3
    with pytest.raises(ValueError, match="should have rank 4"):
        gen.flow(x[0], y[:6])
    with pytest.raises(ValueError, match="`x` \\(images tensor\\) and `y` \\(labels\\) should have the same length"):
        gen.flow(x, y[:2])


def test_fit_generator_and_fit_on_flow():
    x = _images(16)
    y = kerasish.utils.to_categorical(np.arange(16) % 2, 2)
    model = kerasish.Sequential([kerasish.layers.Flatten(input_shape=(6, 6, 3)), kerasish.layers.Dense(2, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    gen = ImageDataGenerator(rescale=1 / 255.0, horizontal_flip=True)
    history = model.fit_generator(gen.flow(x, y, batch_size=8), steps_per_epoch=2, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    history = model.fit(gen.flow(x, y, batch_size=8), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_featurewise_needs_fit_warning_and_dataframe_error():
    gen = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match="hasn't been fit on any training data"):
        gen.standardize(_images(1)[0])
    gen.fit(_images())
    assert gen.mean.shape == (1, 1, 3)
    with pytest.raises(NotImplementedError, match="flow_from_dataframe is not supported by kerasish"):
        gen.flow_from_dataframe(None)
    with pytest.raises(ValueError, match="`zoom_range` should be a float or a tuple"):
        ImageDataGenerator(zoom_range=[1, 2, 3])


def test_directory_iterator(tmp_path):
    for label in ("x", "y"):
        (tmp_path / label).mkdir()
        for i in range(3):
            kerasish.utils.save_img(str(tmp_path / label / f"{i}.jpg"), _images(1)[0])
    it = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(
        str(tmp_path), target_size=(4, 4), batch_size=4, class_mode="sparse", seed=1
    )
    assert it.samples == 6 and it.class_indices == {"x": 0, "y": 1} and len(it) == 2
    batch_x, batch_y = next(it)
    assert batch_x.shape == (4, 4, 4, 3) and batch_x.max() <= 1.0
    assert set(batch_y) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="Invalid class_mode"):
        ImageDataGenerator().flow_from_directory(str(tmp_path), class_mode="bad")
