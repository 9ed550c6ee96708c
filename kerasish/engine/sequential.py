"""``keras.engine.sequential``."""

from kerasish.models.sequential import Sequential

__all__ = ["Sequential"]
