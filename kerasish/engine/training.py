"""``keras.engine.training``: where Keras 2 kept ``Model``."""

from kerasish.models.model import Model

__all__ = ["Model"]
