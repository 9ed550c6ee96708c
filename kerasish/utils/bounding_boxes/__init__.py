"""``keras.utils.bounding_boxes``: box format conversion, geometry, IoU and anchor deltas on torch.

Keras 3 keeps these under its image-preprocessing layers; kerasish gives them their own package
because nothing here depends on a layer.
"""

from kerasish.utils.bounding_boxes.conversion import convert_format
from kerasish.utils.bounding_boxes.deltas import decode_deltas_to_boxes, encode_box_to_deltas
from kerasish.utils.bounding_boxes.geometry import affine_transform, clip_to_image_size, crop, pad
from kerasish.utils.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
