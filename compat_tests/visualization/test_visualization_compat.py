"""keras.visualization side by side with Keras 3: mask drawing directly; galleries and box
drawing through the same recording fakes of matplotlib and cv2 patched into both libraries."""

from __future__ import annotations

import sys
import types

import keras
import numpy as np
import pytest
from keras.src.visualization import draw_bounding_boxes as keras_draw_boxes
from keras.src.visualization import plot_image_gallery as keras_gallery

from kerasish import visualization


def _inputs(seed=0, channels_first=False):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, (2, 5, 6, 3)).astype("float32")
    masks = rng.integers(-1, 4, (2, 5, 6, 1)).astype("int32")
    if channels_first:
        return images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2)
    return images, masks


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(alpha=0.3, num_classes=6),
        dict(blend=False),
        dict(ignore_index=2),
        dict(color_mapping={0: (255, 0, 0), 1: (0, 255, 0), 2: (0, 0, 255), 3: (9, 9, 9)}),
        dict(channels_first=True),
    ],
)
def test_draw_segmentation_masks_matches_keras(kwargs):
    # Keras 3.15.1 infers num_classes as max(mask), one too few (torch one_hot then fails);
    # kerasish infers max + 1 as later Keras does, so compare with it given explicitly.
    kwargs = dict({"num_classes": 4}, **kwargs)
    channels_first = kwargs.pop("channels_first", False)
    if channels_first:
        kwargs["data_format"] = "channels_first"
    images, masks = _inputs(channels_first=channels_first)
    ours = visualization.draw_segmentation_masks(images, masks, **kwargs)
    theirs = keras.visualization.draw_segmentation_masks(images, masks, **kwargs)
    assert type(ours) is type(theirs)
    ours, theirs = keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_draw_segmentation_masks_errors_match_keras():
    images, masks = _inputs()
    for args in ((images[0], masks), (images, masks.astype("float32"))):
        with pytest.raises(Exception) as theirs:
            keras.visualization.draw_segmentation_masks(*args)
        with pytest.raises(type(theirs.value), match=str(theirs.value).split(".")[0]):
            visualization.draw_segmentation_masks(*args)


class _Recorder:
    def __init__(self, log, name):
        self._log, self._name = log, name

    def __getattr__(self, attr):
        return _Recorder(self._log, f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        self._log.append((self._name, args, kwargs))


def _fake_pyplot(log):
    def subplots(nrows, ncols, **kwargs):
        log.append(("subplots", (nrows, ncols), kwargs))
        axes = np.empty((nrows, ncols), dtype=object)
        for r in range(nrows):
            for c in range(ncols):
                axes[r, c] = _Recorder(log, f"ax[{r},{c}]")
        axes = axes.squeeze()
        return _Recorder(log, "fig"), axes if axes.ndim else axes.item()

    pyplot = types.ModuleType("matplotlib.pyplot")
    pyplot.subplots = subplots
    for name in ("savefig", "show", "close"):
        setattr(pyplot, name, _Recorder(log, name))
    return pyplot


def _same_log(ours, theirs):
    assert len(ours) == len(theirs)
    for (name_a, args_a, kw_a), (name_b, args_b, kw_b) in zip(ours, theirs):
        assert name_a == name_b and kw_a.keys() == kw_b.keys()
        for a, b in zip(list(args_a) + list(kw_a.values()), list(args_b) + list(kw_b.values())):
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(b))
            else:
                assert a == b


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(value_range=(0, 1), y_true=np.array([1, 0, 2]), label_map={0: "a", 1: "b"}),
        dict(rows=1, cols=3, y_pred=np.array([0, 1]), label_map={0: "a"}, path="g.png"),
    ],
)
def test_plot_image_gallery_matches_keras(monkeypatch, kwargs):
    images = np.random.default_rng(1).uniform(0, 1, (5, 4, 4, 3)).astype("float32")
    theirs, ours = [], []
    monkeypatch.setattr(keras_gallery, "plt", _fake_pyplot(theirs))
    keras.visualization.plot_image_gallery(images, **kwargs)
    monkeypatch.setitem(sys.modules, "matplotlib", types.ModuleType("matplotlib"))
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", _fake_pyplot(ours))
    visualization.plot_image_gallery(images, **kwargs)
    _same_log(ours, theirs)


def test_plot_segmentation_mask_gallery_matches_keras(monkeypatch):
    images, masks = _inputs(3)
    theirs, ours = [], []
    monkeypatch.setattr(keras_gallery, "plt", _fake_pyplot(theirs))
    keras.visualization.plot_segmentation_mask_gallery(images, 4, y_true=masks, y_pred=masks[::-1])
    monkeypatch.setitem(sys.modules, "matplotlib", types.ModuleType("matplotlib"))
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", _fake_pyplot(ours))
    visualization.plot_segmentation_mask_gallery(images, 4, y_true=masks, y_pred=masks[::-1])
    _same_log(ours, theirs)


def _fake_cv2(log):
    cv2 = types.ModuleType("cv2")
    cv2.FONT_HERSHEY_SIMPLEX = 0
    cv2.rectangle = lambda img, p1, p2, color, t: log.append(("rectangle", (p1, p2, color, t), {}))
    cv2.putText = lambda **kw: log.append(("putText", (), {k: v for k, v in kw.items() if k != "img"}))
    return cv2


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "xywh", "center_xywh", "rel_xyxy", "rel_center_xywh"])
def test_draw_bounding_boxes_matches_keras(monkeypatch, fmt):
    rng = np.random.default_rng(2)
    images = rng.uniform(0, 1, (2, 40, 50, 3)).astype("float32")
    scale = 1.0 if fmt.startswith("rel_") else 40.0
    boxes = {
        "boxes": (rng.uniform(0.05, 0.5, (2, 3, 4)) * scale).astype("float32"),
        "labels": np.array([[0, 1, -1], [2, 0, 1]]),
        "confidences": rng.uniform(0, 1, (2, 3)).astype("float32"),
    }
    kwargs = dict(class_mapping={0: "a", 2: "c"}, color=(1, 2, 3), font_scale=0.5)
    theirs, ours = [], []
    monkeypatch.setattr(keras_draw_boxes, "cv2", _fake_cv2(theirs))
    expected = keras.visualization.draw_bounding_boxes(images, dict(boxes), fmt, **kwargs)
    monkeypatch.setitem(sys.modules, "cv2", _fake_cv2(ours))
    result = visualization.draw_bounding_boxes(images, dict(boxes), fmt, **kwargs)
    _same_log(ours, theirs)
    np.testing.assert_array_equal(result, expected)


def test_draw_bounding_boxes_import_error_matches_keras(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(ImportError) as theirs:
        keras.visualization.draw_bounding_boxes(np.zeros((1, 2, 2, 3)), {}, "xyxy")
    with pytest.raises(ImportError) as ours:
        visualization.draw_bounding_boxes(np.zeros((1, 2, 2, 3)), {}, "xyxy")
    assert str(ours.value) == str(theirs.value)


def test_public_names_and_signatures_match_keras():
    import inspect

    names = sorted(n for n in dir(keras.visualization) if not n.startswith("_"))
    assert names == sorted(visualization.__all__)
    for name in names:
        ours = inspect.signature(getattr(visualization, name)).parameters
        theirs = inspect.signature(getattr(keras.visualization, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [p.default for p in theirs.values()], name
