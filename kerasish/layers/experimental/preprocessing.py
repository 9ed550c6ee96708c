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
from kerasish.layers.integer_lookup import IntegerLookup
from kerasish.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from kerasish.layers.string_lookup import StringLookup
from kerasish.layers.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Hashing",
    "IntegerLookup",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "StringLookup",
    "TextVectorization",
]
