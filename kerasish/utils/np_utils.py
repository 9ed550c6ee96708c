"""Keras 2's ``keras.utils.np_utils`` module path."""

from kerasish.utils.numerical import normalize, to_categorical

__all__ = ["normalize", "to_categorical"]
