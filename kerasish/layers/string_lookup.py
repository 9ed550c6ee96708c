"""StringLookup: strings to vocabulary indices, or indices back to strings (``invert=True``).

torch has no string tensor, so strings stay NumPy/Python: the layer takes a ``str``/``bytes``,
(nested) lists of them, or NumPy ``str_``/``bytes_``/object arrays (bytes decoded with
``encoding``, as TensorFlow stores text), and returns int64 torch tensors (``"int"``) or float32
encodings. ``invert=True`` returns a NumPy array of ``str`` (Keras returns bytes tensors on
TensorFlow, a list of ``str`` on torch). The lookup itself is one ``np.unique`` over the batch
and one dictionary read per distinct string.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np
import torch

from kerasish.layers.index_lookup import IndexLookup


def as_strings(data: Any, encoding: str = "utf-8", owner: str = "StringLookup") -> np.ndarray:
    """Text input as a NumPy unicode array of the same shape (bytes decoded)."""
    if isinstance(data, torch.Tensor):
        raise TypeError(
            f"{owner} expects strings (str, bytes, or lists/NumPy arrays of them); received a "
            f"torch tensor of dtype {data.dtype} and shape {tuple(data.shape)}."
        )
    if isinstance(data, bytes):
        return np.array(data.decode(encoding))
    array = np.asarray(data)
    kind = array.dtype.kind
    if kind == "U":
        return array
    if kind == "S":
        return np.char.decode(array, encoding)
    if kind == "O" or (kind == "f" and array.size == 0):
        flat = [_one_string(value, encoding, owner) for value in array.ravel().tolist()]
        return np.array(flat, dtype=str).reshape(array.shape)
    raise TypeError(
        f"{owner} expects strings (str, bytes, or lists/NumPy arrays of them); received data "
        f"of dtype {array.dtype} and shape {array.shape}."
    )


def _one_string(value: Any, encoding: str, owner: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode(encoding)
    raise TypeError(f"{owner} expects strings; received {value!r} of type {type(value).__name__}.")


def as_indices(data: Any, owner: str) -> np.ndarray:
    """Integer input (tensor, array, list, int) as a NumPy int64 array."""
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    array = np.asarray(data)
    if array.dtype.kind not in "iub":
        raise TypeError(
            f"{owner} with invert=True expects integer indices; received data of dtype "
            f"{array.dtype} and shape {array.shape}."
        )
    return array.astype(np.int64)


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary given or learnt by ``adapt``."""

    _vocabulary_dtype = "string"

    def __init__(
        self,
        max_tokens: Optional[int] = None,
        num_oov_indices: int = 1,
        mask_token: Optional[str] = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: Optional[str] = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            **kwargs,
        )

    def _token_list(self, values: Iterable) -> list:
        return [
            value.decode(self.encoding) if isinstance(value, bytes) else str(value)
            for value in values
        ]

    def _tokens_of(self, data: Any) -> np.ndarray:
        return as_strings(data, self.encoding, f"Layer '{self.name}' (StringLookup)")

    def _lookup(self, inputs: Any) -> torch.Tensor:
        indices = self.indices_of(self._tokens_of(inputs))
        return torch.from_numpy(indices).to(self._anchor.device)

    def indices_of(self, strings: np.ndarray) -> np.ndarray:
        """int64 indices of a unicode array (masks as 0 in ``"int"`` mode, -1 otherwise)."""
        distinct, inverse = np.unique(strings.ravel(), return_inverse=True)
        default = self._oov_start_index() if self.num_oov_indices else -1
        masked = 0 if self.output_mode == "int" else -1
        index, mask = self._index, self.mask_token
        tokens = distinct.tolist()
        values = np.fromiter(
            (masked if t == mask else index.get(t, default) for t in tokens),
            dtype=np.int64,
            count=len(tokens),
        )
        if self.num_oov_indices != 1:
            unknown = [i for i, t in enumerate(tokens) if t not in index and t != mask]
            if unknown and self.num_oov_indices == 0:
                self._oov_error([tokens[i] for i in unknown])
            if unknown:
                encoded = [tokens[i].encode(self.encoding) for i in unknown]
                values[unknown] = self.hashed_oov_indices(encoded)
        return values[inverse].reshape(strings.shape)

    def _invert(self, inputs: Any) -> np.ndarray:
        indices = as_indices(inputs, f"Layer '{self.name}' (StringLookup)")
        table = np.array(self.get_vocabulary() + [self.oov_token], dtype=str)
        out_of_range = (indices < 0) | (indices >= len(table) - 1)
        return table[np.where(out_of_range, len(table) - 1, indices)]

    def get_config(self) -> dict:
        config = super().get_config()
        del config["vocabulary_dtype"]  # Keras: strings are the only choice
        config["encoding"] = self.encoding
        return config
