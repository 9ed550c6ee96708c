"""keras.visualization: mask drawing on real arrays; plotting and OpenCV drawing through
recording fakes of matplotlib and cv2 (neither is installed in the test environment)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

from kerasish import visualization
from kerasish.visualization.plot_image_gallery import transform_value_range
from kerasish.visualization.plot_segmentation_mask_gallery import segmentation_mask_gallery_images


class _Recorder:
    """Records every call made on it (and on attributes reached from it)."""

    def __init__(self, log, name):
        self._log, self._name = log, name

    def __getattr__(self, attr):
        return _Recorder(self._log, f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        self._log.append((self._name, args, kwargs))
        return None


@pytest.fixture
def fake_matplotlib(monkeypatch):
    log = []

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
    patches = types.ModuleType("matplotlib.patches")
    patches.Patch = lambda **kw: ("Patch", kw["label"], tuple(kw["color"]))
    package = types.ModuleType("matplotlib")
    package.pyplot, package.patches = pyplot, patches
    monkeypatch.setitem(sys.modules, "matplotlib", package)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    monkeypatch.setitem(sys.modules, "matplotlib.patches", patches)
    return log


@pytest.fixture
def fake_cv2(monkeypatch):
    log = []
    cv2 = types.ModuleType("cv2")
    cv2.FONT_HERSHEY_SIMPLEX = 0

    def rectangle(image, p1, p2, color, thickness):
        log.append(("rectangle", p1, p2, color, thickness))
        image[p1[1], p1[0]] = color  # mark the corner so the test sees the image was drawn on

    cv2.rectangle = rectangle
    cv2.putText = lambda **kw: log.append(("putText", kw["text"], kw["org"], kw["thickness"]))
    monkeypatch.setitem(sys.modules, "cv2", cv2)
    return log


def _images():
    return np.arange(2 * 3 * 4 * 3, dtype="float32").reshape(2, 3, 4, 3)


def _masks():
    masks = np.zeros((2, 3, 4, 1), dtype="int32")
    masks[0, 0, :2] = 1
    masks[1, 2, 3] = 2
    masks[1, 0, 0] = -1
    return masks


def test_draw_segmentation_masks_blends_palette_colors():
    out = visualization.draw_segmentation_masks(_images(), _masks(), alpha=0.5)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4, 3)
    color_1 = (np.array([2**25 - 1, 2**15 - 1, 2**21 - 1]) % 255).astype("float32")
    expected = (_images()[0, 0, 0] * 0.5 + color_1 * 0.5).astype("uint8")
    np.testing.assert_array_equal(out[0, 0, 0], expected)
    np.testing.assert_array_equal(out[1, 0, 0], _images()[1, 0, 0].astype("uint8"))  # ignored
    np.testing.assert_array_equal(out[0, 1, 1], (_images()[0, 1, 1] * 0.5).astype("uint8"))


def test_draw_segmentation_masks_unblended_is_float_tensor_with_mapping():
    mapping = {0: (1, 2, 3), 1: (4, 5, 6), 2: (7, 8, 9)}
    out = visualization.draw_segmentation_masks(
        _images(), _masks(), color_mapping=mapping, blend=False
    )
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_array_equal(out[0, 0, 0].numpy(), [4, 5, 6])
    np.testing.assert_array_equal(out[1, 2, 3].numpy(), [7, 8, 9])
    np.testing.assert_array_equal(out[1, 0, 0].numpy(), _images()[1, 0, 0])


def test_draw_segmentation_masks_channels_first():
    first = visualization.draw_segmentation_masks(
        _images().transpose(0, 3, 1, 2), _masks().transpose(0, 3, 1, 2), data_format="channels_first"
    )
    np.testing.assert_array_equal(first, visualization.draw_segmentation_masks(_images(), _masks()))


def test_draw_segmentation_masks_errors():
    with pytest.raises(ValueError, match=r"batched 4D tensor. Received: images.shape=\(3, 4, 3\)"):
        visualization.draw_segmentation_masks(_images()[0], _masks())
    with pytest.raises(TypeError, match="integer dtype. Received: segmentation_masks.dtype=float32"):
        visualization.draw_segmentation_masks(_images(), _masks().astype("float32"))
    with pytest.raises(ValueError, match=r"\(batch, height, width, 1\).*\(2, 3, 4\)"):
        visualization.draw_segmentation_masks(_images(), _masks()[..., 0])


def test_transform_value_range():
    images = np.array([[0.0, 0.5, 1.0]], dtype="float32")
    np.testing.assert_allclose(transform_value_range(images, (0, 1), (0, 255)), [[0, 127.5, 255]])
    assert transform_value_range(images, (0, 255), (0, 255)) is images


def test_missing_optional_packages_raise_keras_import_errors(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="requires the `cv2` package"):
        visualization.draw_bounding_boxes(_images(), {}, "xyxy")
    with pytest.raises(ImportError, match="`plot_image_gallery` function requires the `matplotlib`"):
        visualization.plot_image_gallery(_images())
    with pytest.raises(ImportError, match="`plot_bounding_box_gallery` function requires"):
        visualization.plot_bounding_box_gallery(_images(), "xyxy")
    with pytest.raises(ImportError, match="`plot_image_gallery` function requires"):
        visualization.plot_segmentation_mask_gallery(_images(), 3, y_true=_masks())


def test_draw_bounding_boxes_with_fake_cv2(fake_cv2):
    images = np.full((1, 40, 30, 3), 0.5, dtype="float32")
    boxes = {
        "boxes": np.array([[[0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]]]),
        "labels": np.array([[1, -1]]),
        "confidences": np.array([[0.25, 0.9]]),
    }
    out = visualization.draw_bounding_boxes(
        images, boxes, "rel_xyxy", class_mapping={1: "cat"}, color=(9, 9, 9)
    )
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert out[0, 0, 0, 0] == 127  # float [0, 1] images scaled to [0, 255]
    assert fake_cv2[0] == ("rectangle", (3, 20), (15, 36), (9, 9, 9), 2)
    # no room for two 12-px lines above y=20, so the label goes inside the box
    assert fake_cv2[1] == ("putText", "cat | 0.25", (3 + 3, 20 + 24 + 1 + 3), 1)
    assert len(fake_cv2) == 2  # the label -1 box is padding
    np.testing.assert_array_equal(out[0, 20, 3], [9, 9, 9])
    assert images[0, 20, 3, 0] == 0.5  # input untouched


def test_draw_bounding_boxes_errors(fake_cv2):
    with pytest.raises(ValueError, match="batched 4D tensor"):
        visualization.draw_bounding_boxes(_images()[0], {}, "xyxy")
    with pytest.raises(TypeError, match="should be a dict"):
        visualization.draw_bounding_boxes(_images(), [], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels' keys"):
        visualization.draw_bounding_boxes(_images(), {"boxes": np.zeros((2, 1, 4))}, "xyxy")


def test_plot_image_gallery_grid_titles_and_save(fake_matplotlib, tmp_path):
    images = np.random.default_rng(0).uniform(0, 1, (4, 3, 3, 3)).astype("float32")
    visualization.plot_image_gallery(
        images, y_true=np.array([0, 1, 0, 1]), label_map={0: "a"}, value_range=(0, 1),
        path=str(tmp_path / "g.png"),
    )
    calls = {name: (args, kw) for name, args, kw in fake_matplotlib}
    assert calls["subplots"][0] == (2, 2) and calls["subplots"][1]["figsize"] == (4, 4)
    shown = calls["ax[1,0].imshow"][0][0]
    np.testing.assert_array_equal(shown, (images[2] * np.float32(255)).astype("uint8"))
    assert calls["ax[0,1].set_title"][0] == ("Label: Unknown",)
    assert calls["ax[0,0].set_title"][0] == ("Label: a",)
    assert calls["savefig"][1]["fname"] == str(tmp_path / "g.png")
    assert "show" not in calls and "close" in calls


def test_plot_image_gallery_single_axis_and_errors(fake_matplotlib):
    visualization.plot_image_gallery(np.zeros((1, 2, 2, 3)))
    assert [name for name, _, _ in fake_matplotlib][-2:] == ["show", "close"]
    with pytest.raises(ValueError, match="either `path` to be set, or `show`"):
        visualization.plot_image_gallery(np.zeros((1, 2, 2, 3)), path="x.png", show=True)
    with pytest.raises(ValueError, match="a `label_map` must also be provided"):
        visualization.plot_image_gallery(np.zeros((1, 2, 2, 3)), y_pred=np.zeros(1))
    with pytest.raises(ValueError, match="requires you to batch"):
        visualization.plot_image_gallery(np.zeros((2, 2, 3)))


def test_segmentation_mask_gallery(fake_matplotlib):
    gallery = segmentation_mask_gallery_images(_images(), 3, y_true=_masks(), y_pred=_masks())
    assert gallery.shape == (6, 3, 4, 3)
    np.testing.assert_array_equal(gallery[3], _images()[1])
    np.testing.assert_array_equal(gallery[4], visualization.draw_segmentation_masks(_images(), _masks(), 3)[1])
    visualization.plot_segmentation_mask_gallery(_images(), 3, y_true=_masks(), y_pred=_masks())
    assert fake_matplotlib[0][1] == (2, 3)


def test_plot_bounding_box_gallery_legend(fake_matplotlib, fake_cv2):
    boxes = {"boxes": np.array([[[1, 1, 2, 2]]] * 2), "labels": np.array([[0]] * 2)}
    visualization.plot_bounding_box_gallery(_images(), "xyxy", y_true=boxes, y_pred=boxes, legend=True)
    legend = [kw for name, _, kw in fake_matplotlib if name == "fig.legend"][0]
    assert [h[1] for h in legend["handles"]] == ["Ground Truth", "Prediction"]
    assert [c[3] for c in fake_cv2] == [(0, 188, 212)] * 2 + [(255, 235, 59)] * 2
    with pytest.raises(ValueError, match="Only pass `legend` OR `legend_handles`"):
        visualization.plot_bounding_box_gallery(_images(), "xyxy", legend=True, legend_handles=[1])
