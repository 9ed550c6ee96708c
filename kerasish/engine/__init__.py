"""Keras 2 module paths (``keras.engine.training.Model`` ...), as aliases of the real classes."""
