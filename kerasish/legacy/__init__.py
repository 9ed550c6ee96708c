"""Keras 1 APIs: argument names that Keras 2.2.5 still accepted (``interfaces``), and the
``Merge`` layer / ``merge`` function (``keras1_merge``)."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy: kerasish.layers imports this package while it is itself being imported.
    if name in ("Merge", "merge"):
        from kerasish.legacy import keras1_merge

        return getattr(keras1_merge, name)
    raise AttributeError(f"module 'kerasish.legacy' has no attribute '{name}'")
