"""IntegerLookup: integer tokens to vocabulary indices, or back (``invert=True``).

Integers are torch-native, so the lookup runs where the data is, on sorted-vocabulary tables
(``torch.searchsorted``) kept as non-persistent buffers: no host round trip, except that
``num_oov_indices=0`` must read whether any token was unknown in order to raise Keras' error, and
``oov_method="farmhash"`` hashes the tokens' decimal strings on the host.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np
import torch

from kerasish.layers.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integers to indices through a vocabulary given or learnt by ``adapt``."""

    _vocabulary_dtype = "int64"

    def __init__(
        self,
        max_tokens: Optional[int] = None,
        num_oov_indices: int = 1,
        mask_token: Optional[int] = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def _token_list(self, values: Iterable) -> list:
        return [int(value) for value in values]

    def _tokens_of(self, data: Any) -> np.ndarray:
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        array = np.asarray(data)
        if array.dtype.kind not in "iub":
            raise TypeError(
                f"Layer '{self.name}' (IntegerLookup) expects integer tokens; received data of "
                f"dtype {array.dtype} and shape {array.shape}."
            )
        return array.astype(np.int64)

    def _on_vocabulary_change(self) -> None:
        device = self._anchor.device
        tokens = torch.tensor(self._tokens, dtype=torch.int64)
        keys, order = torch.sort(tokens)
        self.register_buffer("_keys", keys.to(device), persistent=False)
        self.register_buffer("_values", (order + self._token_start_index()).to(device), persistent=False)
        table = torch.tensor(self.get_vocabulary() + [self.oov_token], dtype=torch.int64)
        self.register_buffer("_inverse_table", table.to(device), persistent=False)

    def _as_tensor(self, inputs: Any, what: str) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(np.asarray(inputs))
        if inputs.is_floating_point() or inputs.is_complex():
            raise TypeError(
                f"Layer '{self.name}' (IntegerLookup) expects integer {what}; received a tensor "
                f"of dtype {inputs.dtype} and shape {tuple(inputs.shape)}."
            )
        return inputs.to(device=self._anchor.device, dtype=torch.int64)

    def _lookup(self, inputs: Any) -> torch.Tensor:
        x = self._as_tensor(inputs, "tokens")
        if x.ndim == 0:
            return self._lookup(x.reshape(1)).reshape(())
        if not self._tokens:
            found = torch.zeros_like(x, dtype=torch.bool)
            indices = torch.zeros_like(x)
        else:
            position = torch.searchsorted(self._keys, x).clamp_(max=len(self._tokens) - 1)
            found = self._keys[position] == x
            indices = self._values[position]
        is_mask = x == self.mask_token if self.mask_token is not None else None
        if self.num_oov_indices == 0:
            unknown = ~found if is_mask is None else ~found & ~is_mask
            if bool(unknown.any()):  # Keras' assertion: one host read, only in this mode
                self._oov_error(x[unknown].tolist())
            oov = torch.full_like(x, -1)
        elif self.num_oov_indices == 1:
            oov = torch.full_like(x, self._oov_start_index())
        elif self.oov_method == "farmhash":
            oov = self._hashed(x)
        else:
            oov = torch.remainder(x, self.num_oov_indices) + self._oov_start_index()
        indices = torch.where(found, indices, oov)
        if is_mask is not None:
            indices = torch.where(is_mask, 0 if self.output_mode == "int" else -1, indices)
        return indices

    def _hashed(self, x: torch.Tensor) -> torch.Tensor:
        """FarmHash/SipHash OOV slots of the tokens' decimal strings (TensorFlow's
        ``as_string`` then hash): computed on the host, once per distinct value."""
        distinct, inverse = np.unique(x.cpu().numpy(), return_inverse=True)
        buckets = self.hashed_oov_indices([str(value).encode() for value in distinct.tolist()])
        return torch.from_numpy(buckets[inverse].reshape(tuple(x.shape))).to(x.device)

    def _invert(self, inputs: Any) -> torch.Tensor:
        x = self._as_tensor(inputs, "indices")
        last = self._inverse_table.numel() - 1
        out_of_range = (x < 0) | (x >= last)
        return self._inverse_table[torch.where(out_of_range, last, x)]

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
