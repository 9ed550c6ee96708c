"""Moving weights between Keras files and torch ``state_dict`` files (``kerasish-convert``).

The layouts themselves are never restated here: a Keras file is loaded into a kerasish model
(whose parameters already live in torch layout, through ``saving/layouts.py``) and its
``state_dict()`` is written; the reverse loads a ``state_dict`` into a model built from a config
and lets the saving code write the Keras layout.
"""

from kerasish.converter.convert import to_keras, to_torch
from kerasish.converter.errors import ConversionError
from kerasish.converter.inspect import describe

__all__ = ["ConversionError", "describe", "to_keras", "to_torch"]
