"""``keras.preprocessing``: Keras 2's ``image``, ``sequence`` and ``text`` modules, and the
dataset builders Keras 3 also exports here."""

from kerasish.preprocessing import image, sequence, text
from kerasish.utils.image_dataset import image_dataset_from_directory
from kerasish.utils.text_dataset import text_dataset_from_directory
from kerasish.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
