"""Keras 2's ``keras.utils.vis_utils`` module path (``from keras.utils.vis_utils import plot_model``)."""

from kerasish.utils.model_visualization import (
    check_graphviz,
    check_pydot,
    model_to_dot,
    plot_model,
)

__all__ = ["check_graphviz", "check_pydot", "model_to_dot", "plot_model"]
