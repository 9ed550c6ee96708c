"""The ``tensorflow`` module that Keras code imports under ``python -m kerasish``.

It provides ``tf.keras`` (and ``__version__``, which scripts print) and nothing else: any other
attribute or submodule raises an error naming the TensorFlow feature the script needs, instead
of a confusing failure later.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

# A TensorFlow 2.x version, so scripts that branch on the major version take the TF2 path;
# the local part says what this is.
VERSION = "2.15.0+kerasish"


class TensorFlowFeatureError(NotImplementedError, AttributeError):
    """A TensorFlow feature outside ``tf.keras``. Also an ``AttributeError`` so that
    ``hasattr(tf, name)`` probes answer False instead of raising."""


def missing_feature_message(name: str) -> str:
    return f"kerasish provides tf.keras only; tf.{name} needs TensorFlow"


class TensorFlowStub(types.ModuleType):
    def __init__(self, name: str = "tensorflow") -> None:
        """``tensorflow`` itself, or ``tensorflow.python`` (old code imported
        ``tensorflow.python.keras``)."""
        super().__init__(name, "kerasish's stand-in for TensorFlow: only tf.keras is provided.")
        self.__path__: list = []  # a package, so `import tensorflow.keras.layers` is resolved
        if name == "tensorflow":
            self.__version__ = VERSION

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        if name == "keras":
            return importlib.import_module(f"{self.__name__}.keras")
        feature = f"{self.__name__}.{name}".replace("tensorflow.", "", 1)
        raise TensorFlowFeatureError(missing_feature_message(feature))

    def __dir__(self) -> list:
        return ["__version__", "keras"]
