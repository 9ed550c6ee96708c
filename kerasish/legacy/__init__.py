"""Keras 1 argument names that Keras 2.2.5 still accepted (with a warning)."""
