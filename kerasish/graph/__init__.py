"""The symbolic side of kerasish: tensors that carry only a spec, and the nodes that link them.

Nothing here computes with torch; lowering (``kerasish.models.lowering``) turns the graph into
a torch module.
"""

from kerasish.graph.keras_tensor import KerasTensor, is_keras_tensor
from kerasish.graph.node import Node

__all__ = ["KerasTensor", "Node", "is_keras_tensor"]
