"""Keras 2's ``keras.utils.data_utils`` module path."""

from kerasish.utils.file_utils import get_file, hash_file, validate_file
from kerasish.utils.py_dataset import PyDataset, Sequence

__all__ = ["PyDataset", "Sequence", "get_file", "hash_file", "validate_file"]
