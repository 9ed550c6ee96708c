"""tf.keras 2.x's ``keras.layers.experimental.preprocessing``: the same classes under the old path."""

from kerasish.layers.categorical import CategoryEncoding, Discretization
from kerasish.layers.hashing import Hashing
from kerasish.layers.image_augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from kerasish.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Hashing",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
]
