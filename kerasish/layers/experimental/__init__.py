"""tf.keras 2.x's ``keras.layers.experimental`` namespace, where TF 2.3-2.5 code found these
layers before they moved to ``keras.layers``: the same classes under the old path."""

from kerasish.layers.einsum_dense import EinsumDense
from kerasish.layers.experimental import preprocessing

__all__ = ["EinsumDense", "preprocessing"]
