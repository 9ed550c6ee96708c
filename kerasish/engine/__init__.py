"""Keras 2 module paths (``keras.engine.training.Model`` ...), as aliases of the real classes.

The submodules are imported here, as Keras 2's ``keras/engine/__init__.py`` did, so that
``keras.engine.training.Model`` works after a plain ``import keras``.
"""

from kerasish.engine import base_layer, functional, input_layer, sequential, training

__all__ = ["base_layer", "functional", "input_layer", "sequential", "training"]
