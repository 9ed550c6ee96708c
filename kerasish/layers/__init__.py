"""Keras layers on torch. ``kerasish.layers.Dense`` and friends."""

from kerasish.layers.base import Layer
from kerasish.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from kerasish.layers.input_layer import Input, InputLayer
from kerasish.layers.input_spec import InputSpec

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "Reshape",
]
