"""``keras.visualization``: drawing boxes and masks onto image batches and plotting galleries.

The drawing helpers return NumPy arrays; the plotting helpers need matplotlib (and OpenCV for
bounding boxes), imported only when called so ``import kerasish`` never needs them.
"""

from kerasish.visualization.draw_bounding_boxes import draw_bounding_boxes
from kerasish.visualization.draw_segmentation_masks import draw_segmentation_masks
from kerasish.visualization.plot_bounding_box_gallery import plot_bounding_box_gallery
from kerasish.visualization.plot_image_gallery import plot_image_gallery
from kerasish.visualization.plot_segmentation_mask_gallery import plot_segmentation_mask_gallery

__all__ = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_image_gallery",
    "plot_segmentation_mask_gallery",
]
