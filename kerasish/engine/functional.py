"""``keras.engine.functional`` (tf.keras 2.4+)."""

from kerasish.models.functional import Functional

__all__ = ["Functional"]
