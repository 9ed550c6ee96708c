"""Keras 3's ``Hashing`` layer: strings and integers to hash buckets, TensorFlow's to the bit.

Keras runs this layer on TensorFlow string ops whatever its backend: values become strings
(integers in decimal, floats truncated to integers first, booleans as ``true``/``false``), and
the strings are hashed with FarmHash ``Fingerprint64`` (``to_hash_bucket_fast``), or with
SipHash-2-4 keyed by the two ``salt`` words (``to_hash_bucket_strong``), modulo the bins. Here
the same hashes run in NumPy (``utils/fingerprint.py``) on the host, where Keras runs them too
(``tf.device("CPU:0")``); the result is a torch tensor on the input's device (arrays: the
default device). Rank and encoding rules are Keras' TensorFlow-path ones, quirks included.

``sparse=True`` (a ``SparseTensor`` output in Keras, TensorFlow backend only) is refused with
``NotImplementedError``: kerasish has no sparse tensors.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np
import torch

from kerasish import backend, devices
from kerasish.graph.keras_tensor import KerasTensor
from kerasish.layers.base import Layer
from kerasish.layers.categorical import encode_categorical
from kerasish.utils import fingerprint

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def host_values(inputs: Any) -> np.ndarray:
    """Layer input (str, bytes, nested lists, numpy array, torch tensor) as a numpy array.

    Strings stay Python objects (an object array): numpy's fixed-width string dtypes drop
    trailing NUL characters, which TensorFlow's strings keep.
    """
    if isinstance(inputs, torch.Tensor):
        return inputs.detach().cpu().numpy()
    if isinstance(inputs, np.ndarray):
        return inputs
    array = np.asarray(inputs)
    if array.dtype.kind in "US":
        array = np.array(inputs, dtype=object)
    return array


def is_string_array(values: np.ndarray) -> bool:
    return values.dtype.kind in "USO"


def as_strings(values: np.ndarray) -> list:
    """Each value as the bytes TensorFlow hashes: UTF-8 text, decimal integers (``as_string``),
    floats cast to int64 first (as Keras does), booleans ``true``/``false``."""
    flat = values.ravel()
    if is_string_array(values):
        return [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in flat.tolist()]
    if values.dtype.kind == "b":
        return [b"true" if v else b"false" for v in flat.tolist()]
    if values.dtype.kind == "f":
        with np.errstate(invalid="ignore"):  # NaN and inf cast to int64's minimum, as in TF
            flat = flat.astype(np.int64)
    return [str(v).encode("ascii") for v in flat.tolist()]


def output_device(inputs: Any) -> torch.device:
    """Where results go: beside a torch input, else on the default device (Keras' rule)."""
    tensors = [x for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])
               if isinstance(x, torch.Tensor)]
    return tensors[0].device if tensors else devices.current()


class Hashing(Layer):
    """Hash strings or integers into ``num_bins`` bins (FarmHash64, or SipHash64 with ``salt``),
    optionally reserving bin 0 for ``mask_value`` and encoding the bins."""

    # Strings are no tensors: the call converts its inputs itself (Keras'
    # ``_convert_input_args = False``).
    _casts_direct_inputs = False

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Union[None, int, Sequence[int]] = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                'When `output_mode="int"`, `dtype` should be an integer type, '
                f"'int32' or 'in64'. Received: dtype={kwargs['dtype']}"
            )
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{_OUTPUT_MODES}. Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                '`sparse` may only be true if `output_mode` is `"one_hot"`, `"multi_hot"`, or '
                f'`"count"`. Received: sparse={sparse} and output_mode={output_mode}'
            )
        if sparse:
            raise NotImplementedError(
                "Hashing(sparse=True) is not supported: it returns a tf.SparseTensor in Keras "
                "(TensorFlow backend only) and kerasish has no sparse tensors. Use sparse=False."
            )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )

    def _to_tensor(self, value: Any) -> Any:
        return value  # string arrays have no torch form; ``call`` converts

    def call(self, inputs: Any) -> torch.Tensor:
        device = output_device(inputs)
        values = host_values(inputs)
        if self.output_mode == "one_hot":
            if values.ndim == 0:
                raise IndexError(
                    f"Layer '{self.name}' (Hashing) with output_mode='one_hot' cannot encode a "
                    "scalar input (shape ()): like Keras, it reads the input's last dimension."
                )
            if values.shape[-1] == 1:
                values = values.squeeze(-1)
        bins = torch.from_numpy(self._hash_values_to_bins(values)).to(device)
        if self.output_mode == "int":
            return bins.to(backend.torch_dtype(self.dtype))
        return encode_categorical(
            bins, self.output_mode, self.num_bins, backend.torch_dtype(self.dtype)
        )

    def _hash_values_to_bins(self, values: np.ndarray) -> np.ndarray:
        """int64 bins of an array of values, bin 0 kept for ``mask_value`` if one is set."""
        hash_bins = self.num_bins
        mask = None
        strings = as_strings(values)
        if self.mask_value is not None and hash_bins > 1:
            hash_bins -= 1
            mask = self._mask_of(values, strings)
        if self.strong_hash:
            hashes = fingerprint.siphash(strings, self.salt)
        else:
            hashes = fingerprint.fingerprint64(strings)
        bins = (hashes % np.uint64(hash_bins)).astype(np.int64)
        if mask is not None:
            bins = np.where(mask, 0, bins + 1)
        return bins.reshape(values.shape)

    def _mask_of(self, values: np.ndarray, strings: list) -> np.ndarray:
        mask_value = self.mask_value
        if is_string_array(values) != isinstance(mask_value, (str, bytes)):
            raise TypeError(
                f"Layer '{self.name}' (Hashing): mask_value={mask_value!r} "
                f"({type(mask_value).__name__}) cannot be compared with inputs of dtype "
                f"{'string' if is_string_array(values) else values.dtype.name}: Keras (TensorFlow) "
                "refuses to convert it to the inputs' dtype."
            )
        if isinstance(mask_value, str):
            mask_value = mask_value.encode("utf-8")
        if isinstance(mask_value, bytes):
            return np.fromiter((s == mask_value for s in strings), dtype=bool, count=len(strings))
        return (values == mask_value).ravel()

    def compute_output_shape(self, input_shape: Sequence[Optional[int]]) -> tuple:
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        # Keras' spec: the last axis becomes ``num_bins`` in every encoding mode (an eager
        # ``one_hot`` call appends an axis instead when the last one is not 1).
        inputs = args[0] if args else kwargs["inputs"]
        return KerasTensor(self.compute_output_shape(inputs.shape), self.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return config
