"""tf.keras 2.x's ``keras.layers.experimental.preprocessing``: the same classes under the old path."""

from kerasish.layers.categorical import CategoryEncoding, Discretization
from kerasish.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Normalization",
    "Rescaling",
    "Resizing",
]
