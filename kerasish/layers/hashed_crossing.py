"""Keras 3's ``HashedCrossing`` layer: the "hashing trick" over a cross of scalar features.

Keras calls ``tf.sparse.cross_hashed`` (TensorFlow, whatever the backend). For each sample, that
op starts from the key ``0xDECAFCAFFE`` and folds in each feature's 64-bit hash with
``FingerprintCat64``, in input order: a string feature's hash is its FarmHash ``Fingerprint64``,
an integer feature's hash is the integer itself (as an unsigned 64-bit word). The bin is the
result modulo ``num_bins`` (modulo 2**63 - 1 when ``num_bins`` is 0). Inputs are scalars or
batches of scalars: shapes ``()``, ``(batch,)`` or ``(batch, 1)``, all equal.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch

from kerasish import backend
from kerasish.layers.base import Layer
from kerasish.layers.categorical import encode_categorical
from kerasish.layers.hashing import as_strings, host_values, is_string_array, output_device
from kerasish.utils import fingerprint

# ``tf.sparse.cross_hashed``'s default ``hash_key``.
_CROSS_HASH_KEY = 0xDECAFCAFFE


def _feature_hashes(values: np.ndarray) -> np.ndarray:
    if is_string_array(values):
        return fingerprint.fingerprint64(as_strings(values))
    return values.ravel().astype(np.int64).view(np.uint64)


def cross_hashed(features: Sequence[np.ndarray], num_bins: int) -> np.ndarray:
    """``tf.sparse.cross_hashed`` of equal-shape scalar features: one int64 bin per sample."""
    crossed = np.full(features[0].size, np.uint64(_CROSS_HASH_KEY), dtype=np.uint64)
    for values in features:
        crossed = fingerprint.fingerprint_cat64(crossed, _feature_hashes(values))
    modulus = num_bins if num_bins > 0 else 2**63 - 1
    return (crossed % np.uint64(modulus)).astype(np.int64).reshape(features[0].shape)


class HashedCrossing(Layer):
    """Cross scalar categorical features (strings or integers) into ``num_bins`` hash bins."""

    _casts_direct_inputs = False

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: Optional[str] = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        # Keras passes only ``name`` and ``dtype`` on: other layer keywords are ignored.
        del kwargs
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Unknown value for `output_mode` argument of HashedCrossing. Allowed values "
                f"are: ('int', 'one_hot'). Received: output_mode={output_mode}"
            )
        if num_bins is None or num_bins < 0:
            raise ValueError(
                "The `num_bins` for `HashedCrossing` must be a non-negative integer (0: no "
                f"binning, as in tf.sparse.cross_hashed). Received: num_bins={num_bins}."
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _to_tensor(self, value: Any) -> Any:
        return value  # string arrays have no torch form; ``call`` converts

    def call(self, inputs: Any) -> torch.Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "`HashedCrossing` should be called on at least two inputs. "
                f"Received: inputs={inputs}"
            )
        device = output_device(inputs)
        features = [host_values(x) for x in inputs]
        self._check_features(features)
        bins = torch.from_numpy(cross_hashed(features, self.num_bins)).to(device)
        encoded = encode_categorical(
            bins, self.output_mode, self.num_bins, backend.torch_dtype(self.compute_dtype)
        ) if self.output_mode == "one_hot" else bins.to(backend.torch_dtype(self.compute_dtype))
        return encoded.to(backend.torch_dtype(self.dtype))

    def _check_features(self, features: list) -> None:
        shape = features[0].shape
        described = [f"array(shape={x.shape}, dtype={_dtype_name(x)})" for x in features]
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={described}"
            )
        if any(x.shape != shape for x in features[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received: inputs={described}"
            )
        if not all(is_string_array(x) or x.dtype.kind in "iu" for x in features):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received: inputs={described}"
            )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if (
            not len(input_shape) == 2
            or not isinstance(input_shape[0], tuple)
            or not isinstance(input_shape[1], tuple)
        ):
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}"
            )
        if input_shape[0][-1] != input_shape[1][-1]:
            raise ValueError(
                "Expected the two input tensors to have identical shapes. "
                f"Received input_shape={input_shape}"
            )
        if self.output_mode == "int":
            return tuple(input_shape[0])
        if input_shape[0][-1] != 1:
            return tuple(input_shape[0]) + (self.num_bins,)
        return tuple(input_shape[0])[:-1] + (self.num_bins,)

    def get_config(self) -> dict:
        # Keras' keys exactly: no ``trainable``, the dtype as its name.
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }


def _dtype_name(values: np.ndarray) -> str:
    return "string" if is_string_array(values) else values.dtype.name
